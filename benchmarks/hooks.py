"""The state machine's added cost per passing wave hook (docs/hooks.md), in one run on moto in process:
the real ASL on moto's Step Functions engine, the orchestrator through in-process ``lambda.Invoke``
routing, DRS answered by the sandbox's emulator, the hook function the sandbox's
(``drs-chatops-hook-sandbox``, deployed in the plan's account so readiness finds it). Three plans of
one wave each, run one after the other: no hooks, 5 passing ``lambda`` hooks (before), 10 (5 before, 5
after). Measured: wall time and Step Functions history events of each execution; the added cost per
hook is the difference to the wave without hooks divided by the hooks. A hook that is looked at
again (an automation, a status check) adds a ``WaitForHook`` / ``RunHook`` / ``HookNext?`` round of 9
events per look (handlers/core/run_limits.py, counted from the ASL)."""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any, cast

from benchmarks.support import ACCOUNT, moto_with_tables, quiet

HOOK_COUNTS = (0, 5, 10)


class _NoFaults:
    denied_actions: frozenset[str] = frozenset()  # no action is denied


def _call(operation: str, body: dict[str, Any]) -> Any:
    from tests.support.events import invoke_direct

    result = invoke_direct(operation, {"accountId": ACCOUNT, **body})
    assert "error" not in result, result
    return result


def _hooks(count: int) -> dict[str, list[dict[str, Any]]]:
    from sandbox.runtime import hook_function

    hooks = [
        {"name": f"check {n}", "type": "lambda", "functionName": hook_function.NAME} for n in range(count)
    ]
    return {"before": hooks[:5], "after": hooks[5:]}


def _run(plan_id: str) -> tuple[float, int, str]:
    """Start the plan, wait for its end: (seconds, history events, status)."""
    import boto3

    start = time.perf_counter()
    execution_id = _call("start_execution", {"planId": plan_id})["executionId"]
    while True:
        status = _call("get_execution", {"executionId": execution_id})["status"]
        if status in {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"}:
            break
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = next(
        e["executionArn"]
        for m in sfn.list_state_machines()["stateMachines"]
        for e in sfn.list_executions(stateMachineArn=m["stateMachineArn"])["executions"]
        if e["name"].startswith(execution_id) or execution_id in e["executionArn"]
    )
    events = sum(
        len(page["events"]) for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
    )
    return seconds, events, status


def measure() -> dict[str, Any]:
    import boto3

    from handlers.core.settings import get_settings
    from handlers.orchestrator import lambda_handler as orchestrator
    from sandbox.emulators.emulator_guarantees import make_dynamodb_writes_atomic
    from sandbox.runtime import hook_function
    from tests.integration.hooks_support import deploy_function
    from tests.support.data import group_body, plan_body
    from tests.support.iam_roles import simulation
    from tests.support.inprocess import lambda_functions
    from tests.support.orchestration import create_state_machine
    from tests.support.quotas import ServiceQuotasFake, service_quotas_answered

    make_dynamodb_writes_atomic()
    results: dict[int, tuple[float, int, str]] = {}
    with (
        moto_with_tables(),
        service_quotas_answered(ServiceQuotasFake()),
        simulation(cast(Any, _NoFaults()), "123456789012", (ACCOUNT,)),  # the target role, as cfn/ defines it
        quiet() if not os.environ.get("BENCH_VERBOSE") else contextlib.nullcontext(),
    ):
        os.environ.update(
            STATE_MACHINE_ARN=create_state_machine(boto3.client("stepfunctions")),
            DRS_POLL_SECONDS="1",
            DRS_POLL_MAX_SECONDS="1",
            API_GATEWAY_URL="https://api.example.test",
        )
        get_settings.cache_clear()
        deploy_function(ACCOUNT, hook_function.NAME)
        plans = {}
        for count in HOOK_COUNTS:
            group = _call("create_protection_group", group_body(f"G{count}"))["groupId"]
            body = plan_body([group], name=f"Hooks {count}")
            body["waves"][0]["pauseBeforeExecution"] = False
            if count:
                body["waves"][0]["hooks"] = _hooks(count)
            plans[count] = _call("create_recovery_plan", body)["planId"]
        with lambda_functions(
            {"orchestrator": orchestrator, hook_function.NAME: hook_function.lambda_handler}
        ):
            _run(plans[0])  # warm up: imports, the first Step Functions execution
            for count in HOOK_COUNTS:
                results[count] = _run(plans[count])
    base_seconds, base_events, _ = results[0]
    per_hook = {
        count: ((seconds - base_seconds) / count, (events - base_events) / count)
        for count, (seconds, events, _) in results.items()
        if count
    }
    return {"runs": results, "per_hook": per_hook}


def main() -> dict[str, Any]:
    f = measure()
    print("[hooks] one wave, passing lambda hooks, on moto's Step Functions in process")
    for count, (seconds, events, status) in f["runs"].items():
        print(f"  {count:2d} hooks: {status} in {seconds:.2f} s, {events} history events")
    for count, (seconds, events) in f["per_hook"].items():
        print(f"  added per hook ({count} hooks): {seconds * 1000:.0f} ms, {events:.1f} history events")
    ok = all(status == "SUCCEEDED" for _, _, status in f["runs"].values()) and all(
        events <= 10 for _, events in f["per_hook"].values()
    )
    print(f"  verdict: {'met' if ok else 'MISSED'} (every run SUCCEEDED; at most 10 events a passing hook)")
    return f


if __name__ == "__main__":
    main()
