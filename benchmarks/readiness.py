"""Readiness of a 500-server plan (10 waves of 50) through the api Lambda
(``GET /recovery-plans/{id}/readiness``) vs the floor: the same reads made bare, with clients
created up front, on moto and the in-process DRS emulator, measured in the same run: the plan (a
strongly consistent ``GetItem``), its ten groups (one consistent ``BatchGetItem``), the
``DescribeSourceServers`` pages of its servers (200 ids a filter, every page: three of 200 here)
and one ``ListServiceQuotas``. Target: median <= 1.5x the floor.

Beyond the floor the check lists running jobs and recovery instances and reads the replication
template, creates its clients and builds its answer; the deployment runs in the plan's account here
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


def _floor(
    tables: dict[str, str], clients: Any, plan_id: str, group_ids: list[str], servers: list[str]
) -> float:
    """The reads the check cannot do without, bare: the plan, its groups, every DescribeSourceServers
    page of its servers (``maxResults`` 200: a filter of 200 ids is one page, as the check asks),
    and one ListServiceQuotas."""
    dynamodb, drs, quotas = clients
    start = time.perf_counter()
    dynamodb.get_item(
        TableName=tables["RECOVERY_PLANS_TABLE"], Key={"planId": {"S": plan_id}}, ConsistentRead=True
    )
    keys = [{"groupId": {"S": g}} for g in group_ids]
    request = {tables["PROTECTION_GROUPS_TABLE"]: {"Keys": keys, "ConsistentRead": True}}
    dynamodb.batch_get_item(RequestItems=request)
    for first in range(0, len(servers), 200):
        kwargs: dict[str, Any] = {
            "filters": {"sourceServerIDs": servers[first : first + 200]},
            "maxResults": 200,
        }
        while True:
            page = drs.describe_source_servers(**kwargs)
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
    quotas.list_service_quotas(ServiceCode="drs")
    return time.perf_counter() - start


def measure() -> dict[str, float]:
    import boto3

    from tests.support.quotas import ServiceQuotasFake, service_quotas_answered

    os.environ["MOTO_ACCOUNT_ID"] = ACCOUNT  # the deployment's own account is the plan's
    with moto_with_tables() as tables, service_quotas_answered(ServiceQuotasFake()), quiet():
        plan_id, servers = _plan()
        group_ids = [w["protectionGroupId"] for w in _waves(plan_id)]
        clients = tuple(boto3.client(s, region_name=REGION) for s in ("dynamodb", "drs", "service-quotas"))
        _check(plan_id), _floor(tables, clients, plan_id, group_ids, servers)  # warm up both paths
        checked, floor = [], []
        for _ in range(SAMPLES):
            checked.append(_check(plan_id))
            floor.append(_floor(tables, clients, plan_id, group_ids, servers))
    os.environ.pop("MOTO_ACCOUNT_ID", None)
    return {
        "check_ms": median_ms(checked),
        "floor_ms": median_ms(floor),
        "ratio": median_ms(checked) / median_ms(floor),
    }


def _waves(plan_id: str) -> list[dict[str, Any]]:
    from tests.support.events import invoke_direct

    return list(invoke_direct("get_recovery_plan", {"accountId": ACCOUNT, "planId": plan_id})["waves"])


def main() -> dict[str, float]:
    figures = measure()
    servers = WAVES * SERVERS_PER_WAVE
    print(
        f"[readiness] moto + DRS emulator in process, a {servers}-server plan ({WAVES} waves), "
        f"{SAMPLES} runs of each, interleaved"
    )
    print(
        f"  GET /recovery-plans/{{id}}/readiness                         {figures['check_ms']:7.2f} ms median"
    )
    print(
        f"  floor: plan + groups + DescribeSourceServers pages + quotas  {figures['floor_ms']:7.2f} ms median"
    )
    print(
        f"  ratio {figures['ratio']:.2f}x (target <= {TARGET_RATIO}x: "
        f"{verdict(figures['ratio'], TARGET_RATIO)})"
    )
    return figures


if __name__ == "__main__":
    main()
