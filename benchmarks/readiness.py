"""Readiness of a 500-server plan (10 waves of 50) through the api Lambda
(``GET /recovery-plans/{id}/readiness``) vs the floor: the bare DRS calls it cannot do without
(``DescribeSourceServers`` in chunks of 200, three here) and one ``ListServiceQuotas``, made with
clients created up front, on moto and the in-process DRS emulator, measured in the same run.
Target: median <= 1.5x the floor.

Beyond the floor the check also lists running jobs and recovery instances, reads the plan and its
ten groups from DynamoDB and creates its clients; the deployment runs in the plan's account here
(``MOTO_ACCOUNT_ID``), so no role is assumed."""

from __future__ import annotations

import os
import time
from typing import Any

from benchmarks.support import ACCOUNT, REGION, median_ms, moto_with_tables, quiet, verdict

WAVES = 10
SERVERS_PER_WAVE = 50
SAMPLES = 30
TARGET_RATIO = 1.5


def _plan() -> tuple[str, list[str]]:
    from tests.support.data import plan_body, server_id
    from tests.support.events import invoke_direct

    groups, servers = [], []
    for wave in range(WAVES):
        ids = [server_id() for _ in range(SERVERS_PER_WAVE)]
        body = {"accountId": ACCOUNT, "groupName": f"Tier {wave}", "sourceServerIds": ids}
        groups.append(invoke_direct("create_protection_group", body)["groupId"])
        servers += ids
    plan = invoke_direct("create_recovery_plan", {"accountId": ACCOUNT, **plan_body(groups)})
    return str(plan["planId"]), servers


def _check(plan_id: str) -> float:
    from handlers.api import lambda_handler
    from tests.support.events import LambdaContext, api_event

    event = api_event("GET", f"/recovery-plans/{plan_id}/readiness", account=ACCOUNT)
    start = time.perf_counter()
    response = lambda_handler(event, LambdaContext())
    elapsed = time.perf_counter() - start
    assert response["statusCode"] == 200 and '"ready": true' in response["body"], response["body"][:500]
    return elapsed


def _floor(drs: Any, quotas: Any, servers: list[str]) -> float:
    start = time.perf_counter()
    for first in range(0, len(servers), 200):
        drs.describe_source_servers(filters={"sourceServerIDs": servers[first : first + 200]})
    quotas.list_service_quotas(ServiceCode="drs")
    return time.perf_counter() - start


def _stored_reads(tables: dict[str, str], plan_id: str, group_ids: list[str]) -> float:
    """What the check reads from DynamoDB: the plan and its groups (moto serializes items slowly)."""
    import boto3

    dynamodb = boto3.resource("dynamodb", region_name=REGION)
    start = time.perf_counter()
    dynamodb.Table(tables["RECOVERY_PLANS_TABLE"]).get_item(Key={"planId": plan_id}, ConsistentRead=True)
    keys = [{"groupId": g} for g in group_ids]
    dynamodb.batch_get_item(RequestItems={tables["PROTECTION_GROUPS_TABLE"]: {"Keys": keys}})
    return time.perf_counter() - start


def measure() -> dict[str, float]:
    import boto3

    from tests.support.quotas import ServiceQuotasFake, service_quotas_answered

    os.environ["MOTO_ACCOUNT_ID"] = ACCOUNT  # the deployment's own account is the plan's
    with moto_with_tables() as tables, service_quotas_answered(ServiceQuotasFake()), quiet():
        plan_id, servers = _plan()
        group_ids = [w["protectionGroupId"] for w in _waves(plan_id)]
        drs = boto3.client("drs", region_name=REGION)
        quotas = boto3.client("service-quotas", region_name=REGION)
        _check(plan_id), _floor(drs, quotas, servers)  # warm up both paths
        checked, floor, stored = [], [], []
        for _ in range(SAMPLES):
            checked.append(_check(plan_id))
            floor.append(_floor(drs, quotas, servers))
            stored.append(_stored_reads(tables, plan_id, group_ids))
    os.environ.pop("MOTO_ACCOUNT_ID", None)
    return {
        "check_ms": median_ms(checked),
        "floor_ms": median_ms(floor),
        "ratio": median_ms(checked) / median_ms(floor),
        "stored_ms": median_ms(stored),
        "ratio_with_reads": median_ms(checked) / (median_ms(floor) + median_ms(stored)),
    }


def _waves(plan_id: str) -> list[dict[str, Any]]:
    from tests.support.events import invoke_direct

    return list(invoke_direct("get_recovery_plan", {"accountId": ACCOUNT, "planId": plan_id})["waves"])


def main() -> dict[str, float]:
    figures = measure()
    servers = WAVES * SERVERS_PER_WAVE
    print(
        f"[readiness] moto + DRS emulator in process, a {servers}-server plan ({WAVES} waves), {SAMPLES} runs"
    )
    print(f"  GET /recovery-plans/{{id}}/readiness                     {figures['check_ms']:7.2f} ms median")
    print(f"  floor: 3 x DescribeSourceServers + ListServiceQuotas    {figures['floor_ms']:7.2f} ms median")
    print(
        f"  ratio {figures['ratio']:.2f}x (target <= {TARGET_RATIO}x: "
        f"{verdict(figures['ratio'], TARGET_RATIO)})"
    )
    print(f"  for scale: moto get_item + batch_get_item (plan, groups) {figures['stored_ms']:7.2f} ms median")
    print(f"  ratio against DRS floor + those reads {figures['ratio_with_reads']:.2f}x")
    return figures


if __name__ == "__main__":
    main()
