"""Deciding an approval through the api Lambda (``POST /execution-callback``, the email form) vs the
floor: one bare conditional ``update_item`` + one ``send_task_success``, on moto in process,
measured in the same run. Targets: median <= 3x the floor, p99 < 200 ms.

The click itself is one conditional write (returning the approval) and one Step Functions call;
recording the decision on the execution and announcing it happen in the orchestrator, off the
click's path. Every sample needs its own live task token, so the setup pauses 2 x SAMPLES executions of a
one-state machine (``lambda:invoke.waitForTaskToken``) whose Lambda only hands the token over."""

from __future__ import annotations

import json
import statistics
import time
import uuid
from typing import Any

from benchmarks.support import ACCOUNT, REGION, median_ms, moto_with_tables, quiet, verdict

SAMPLES = 100
TARGET_RATIO = 3.0
TARGET_P99_MS = 200.0
_PAUSE_ONLY = {
    "StartAt": "Pause",
    "States": {
        "Pause": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "collector", "Payload": {"token.$": "$$.Task.Token"}},
            "TimeoutSeconds": 3600,
            "End": True,
        }
    },
}


def _live_tokens(count: int) -> list[str]:
    import boto3

    from tests.support.inprocess import lambda_functions
    from tests.support.orchestration import wait_until

    tokens: list[str] = []
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name=f"pause-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(_PAUSE_ONLY),
        roleArn="arn:aws:iam::123456789012:role/bench",
    )["stateMachineArn"]
    with lambda_functions({"collector": lambda event, _: tokens.append(event["token"])}):
        for _ in range(count):
            sfn.start_execution(stateMachineArn=arn, name=str(uuid.uuid4()))  # moto: unnamed = one execution
        wait_until(lambda: len(tokens) >= count, timeout=120)
    assert len(tokens) == count, f"only {len(tokens)} of {count} executions paused"
    return tokens


def _paused_approvals(tokens: list[str]) -> list[str]:
    """One approval per token, on an execution of a real plan (what the page shows)."""
    from handlers.models.execution import Execution, WaveProgress
    from handlers.repositories.executions import ExecutionRepository
    from handlers.services.approvals import open_approval
    from tests.support.data import group_body, plan_body
    from tests.support.events import invoke_direct

    group = invoke_direct("create_protection_group", {"accountId": ACCOUNT, **group_body("Bench")})
    plan = invoke_direct("create_recovery_plan", {"accountId": ACCOUNT, **plan_body([group["groupId"]])})
    approval_ids = []
    for token in tokens:
        execution = Execution(
            executionId=str(uuid.uuid4()),
            planId=plan["planId"],
            planName=plan["planName"],
            accountId=ACCOUNT,
            startedBy="bench",
            startedVia="direct",
            startTime="2026-01-01T00:00:00Z",
            waves=[WaveProgress(**w) for w in plan["waves"]],
        )
        ExecutionRepository().insert(execution)
        approval_ids.append(open_approval(execution, 1, token).approvalId)
    return approval_ids


def _decide(approval_id: str) -> float:
    from handlers.api import lambda_handler
    from tests.support.events import LambdaContext, api_event

    event = api_event(
        "POST", "/execution-callback", account=None, raw_body=f"action=resume&approval={approval_id}"
    )
    start = time.perf_counter()
    response = lambda_handler(event, LambdaContext())
    elapsed = time.perf_counter() - start
    assert response["statusCode"] == 200 and "Done" in response["body"], response["statusCode"]
    return elapsed


def _floor(table: Any, sfn: Any, token: str) -> float:
    key = {"approvalId": str(uuid.uuid4())}
    table.put_item(Item={**key, "status": "PENDING"})
    start = time.perf_counter()
    table.update_item(
        Key=key,
        UpdateExpression="SET #s = :d",
        ConditionExpression="#s = :p",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":d": "RESUMED", ":p": "PENDING"},
    )
    sfn.send_task_success(taskToken=token, output="{}")
    return time.perf_counter() - start


def measure() -> dict[str, float]:
    import boto3

    with moto_with_tables() as tables, quiet():
        tokens = _live_tokens(2 * SAMPLES)
        approvals = _paused_approvals(tokens[:SAMPLES])
        table = boto3.resource("dynamodb", region_name=REGION).Table(tables["APPROVALS_TABLE"])
        sfn = boto3.client("stepfunctions", region_name=REGION)
        decided, floor = [], []
        for approval_id, token in zip(approvals, tokens[SAMPLES:], strict=True):
            decided.append(_decide(approval_id))
            floor.append(_floor(table, sfn, token))
    p99 = statistics.quantiles(decided, n=100)[98] * 1000
    return {
        "decide_ms": median_ms(decided),
        "floor_ms": median_ms(floor),
        "p99_ms": p99,
        "ratio": median_ms(decided) / median_ms(floor),
    }


def main() -> dict[str, float]:
    figures = measure()
    print(f"[decisions] moto in process, {SAMPLES} decisions, each on its own live task token")
    print(f"  POST /execution-callback (decide + result page)       {figures['decide_ms']:6.2f} ms median")
    print(f"  floor: conditional update_item + send_task_success        {figures['floor_ms']:6.2f} ms median")
    print(
        f"  ratio {figures['ratio']:.2f}x "
        f"(target <= {TARGET_RATIO}x: {verdict(figures['ratio'], TARGET_RATIO)})"
    )
    print(
        f"  p99 {figures['p99_ms']:.1f} ms (target < {TARGET_P99_MS:.0f} ms: "
        f"{verdict(figures['p99_ms'], TARGET_P99_MS)})"
    )
    return figures


if __name__ == "__main__":
    main()
