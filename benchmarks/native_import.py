"""Importing a DRS native plan of 20 steps and 2,000 servers (``import_native_recovery_plan``) vs the
floor: the bare DRS reads it must make (GetRecoveryPlan, ListRecoveryPlanSteps, DescribeSourceServers
for the 2,000 ids) plus the DynamoDB writes it must make (20 transactions of 100 server claims, 20
groups, 1 plan), same moto, same in-process DRS emulator, measured in the same run, interleaved.
Target: median ratio <= 1.5 (the checks before writing, and the all-or-nothing bookkeeping, cost at
most half again the reads and writes themselves)."""

from __future__ import annotations

import os
import time
from typing import Any

from benchmarks.support import ACCOUNT, REGION, median_ms, moto_with_tables, quiet, verdict

STEPS = 20
SERVERS_PER_STEP = 100
SAMPLES = 3  # about a minute each on moto (measured: import 57.6 s, floor 40.9 s, 1.41x)
TARGET_RATIO = 1.5
FLOOR_ACCOUNT = "999999999999"  # the floor's claims, never the import's


def _server(n: int) -> str:
    return f"s-{700_000 + n:017x}"


def _native_plan(drs: Any) -> str:
    arn = str(drs.create_recovery_plan(name="Bench estate")["recoveryPlan"]["recoveryPlanArn"])
    for step in range(STEPS):
        servers = [
            {
                "serverArn": f"arn:aws:drs:{REGION}:{ACCOUNT}:source-server/"
                f"{_server(step * SERVERS_PER_STEP + n)}",
                "impactLevel": "OPTIONAL" if n % 10 == 0 else "CRITICAL",
            }
            for n in range(SERVERS_PER_STEP)
        ]
        drs.create_recovery_plan_step(
            recoveryPlanArn=arn,
            stepName=f"tier {step + 1}",
            configuration={"serverStepConfiguration": {"servers": servers}},
        )
    return arn


def _import(arn: str) -> float:
    from handlers.accounts.account_context import Caller
    from handlers.native_plans import importing

    caller = Caller(account_id=ACCOUNT, principal="bench@example.com", source="direct")
    start = time.perf_counter()
    result = importing.import_native_recovery_plan(caller, arn)
    elapsed = time.perf_counter() - start
    assert len(result["recoveryPlan"]["waves"]) == STEPS
    _undo_import(caller, result)
    return elapsed


def _undo_import(caller: Any, result: dict[str, Any]) -> None:
    from handlers.plans import protection_groups, recovery_plans

    recovery_plans.delete_recovery_plan(caller, result["recoveryPlan"]["planId"])
    for group in result["protectionGroups"]:
        protection_groups.delete_protection_group(caller, group["groupId"])


def _floor(drs: Any, arn: str, tables: dict[str, str]) -> float:
    import boto3

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    servers = [_server(n) for n in range(STEPS * SERVERS_PER_STEP)]
    start = time.perf_counter()
    drs.get_recovery_plan(recoveryPlanArn=arn)
    for _ in drs.get_paginator("list_recovery_plan_steps").paginate(
        recoveryPlanArn=arn, PaginationConfig={"PageSize": 100}
    ):
        pass
    for first in range(0, len(servers), 200):
        drs.describe_source_servers(filters={"sourceServerIDs": servers[first : first + 200]})
    for step in range(STEPS):
        chunk = servers[step * SERVERS_PER_STEP : (step + 1) * SERVERS_PER_STEP]
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": tables["SERVER_CLAIMS_TABLE"],
                        "Item": {"claimKey": {"S": f"{FLOOR_ACCOUNT}#{s}"}, "groupId": {"S": f"g{step}"}},
                        "ConditionExpression": "attribute_not_exists(claimKey)",
                    }
                }
                for s in chunk
            ]
        )
        dynamodb.put_item(
            TableName=tables["PROTECTION_GROUPS_TABLE"],
            Item={"groupId": {"S": f"floor-{step}"}, "accountId": {"S": FLOOR_ACCOUNT}},
            ConditionExpression="attribute_not_exists(groupId)",
        )
    dynamodb.put_item(
        TableName=tables["RECOVERY_PLANS_TABLE"],
        Item={"planId": {"S": "floor"}, "accountId": {"S": FLOOR_ACCOUNT}},
        ConditionExpression="attribute_not_exists(planId)",
    )
    elapsed = time.perf_counter() - start
    for s in servers:  # not timed: the next sample writes them again
        dynamodb.delete_item(
            TableName=tables["SERVER_CLAIMS_TABLE"], Key={"claimKey": {"S": f"{FLOOR_ACCOUNT}#{s}"}}
        )
    for step in range(STEPS):
        dynamodb.delete_item(
            TableName=tables["PROTECTION_GROUPS_TABLE"], Key={"groupId": {"S": f"floor-{step}"}}
        )
    dynamodb.delete_item(TableName=tables["RECOVERY_PLANS_TABLE"], Key={"planId": {"S": "floor"}})
    return elapsed


def measure() -> dict[str, float]:
    import boto3

    os.environ["MOTO_ACCOUNT_ID"] = ACCOUNT  # the deployment's own account is the native plan's
    with moto_with_tables() as tables, quiet():
        drs = boto3.client("drs", region_name=REGION)
        arn = _native_plan(drs)
        # no warm-up round: one import takes tens of seconds on moto, far beyond any first-call cost
        imported, floor = [], []
        for _ in range(SAMPLES):
            imported.append(_import(arn))
            floor.append(_floor(drs, arn, tables))
    os.environ.pop("MOTO_ACCOUNT_ID", None)
    return {
        "import_ms": median_ms(imported),
        "floor_ms": median_ms(floor),
        "ratio": median_ms(imported) / median_ms(floor),
    }


def main() -> dict[str, float]:
    figures = measure()
    servers = STEPS * SERVERS_PER_STEP
    print(
        f"[native_import] moto + DRS emulator in process, a {STEPS}-step {servers}-server native plan, "
        f"{SAMPLES} runs"
    )
    print(f"  import_native_recovery_plan                              {figures['import_ms']:8.1f} ms median")
    print(f"  floor: its bare DRS reads + claim/group/plan writes      {figures['floor_ms']:8.1f} ms median")
    print(
        f"  ratio {figures['ratio']:.2f}x "
        f"(target <= {TARGET_RATIO}x: {verdict(figures['ratio'], TARGET_RATIO)})"
    )
    return figures


if __name__ == "__main__":
    main()
