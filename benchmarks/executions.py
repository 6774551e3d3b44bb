"""50 executions started at once, each pausing once and resumed, on moto in process: the real ASL
on moto's Step Functions engine, the orchestrator reached through in-process ``lambda.Invoke``
routing, DRS answered by the test stub. Each pause gets two racing decisions (email and Slack)
at the same moment. Checks: all SUCCEEDED, every pause decided exactly once."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks.support import ACCOUNT, moto_with_tables, quiet

EXECUTIONS = 50


def _call(operation: str, body: dict[str, Any]) -> Any:
    from tests.support.events import invoke_direct

    result = invoke_direct(operation, {"accountId": ACCOUNT, **body})
    assert "error" not in result, result
    return result


def _wait(execution_ids: list[str], wanted: set[str], timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        statuses = {e: _call("get_execution", {"executionId": e})["status"] for e in execution_ids}
        if all(s in wanted for s in statuses.values()) or time.monotonic() > deadline:
            return statuses
        time.sleep(0.5)


def _race(approval_id: str) -> list[str]:
    """Email and Slack decide the same pause at the same moment; returns both outcomes."""
    from handlers.models.approval import DecideApprovalRequest
    from handlers.pauses.approvals import decide_approval

    barrier = threading.Barrier(2)

    def decide(via: str) -> str:
        barrier.wait()
        request = DecideApprovalRequest(action="resume", approvalId=approval_id)
        return decide_approval(request, by=f"bench-{via}", via=via).outcome  # type: ignore[arg-type]

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(decide, ["email", "slack"]))


def measure() -> dict[str, Any]:
    import boto3

    from handlers.core.settings import get_settings
    from handlers.orchestrator import lambda_handler as orchestrator
    from handlers.repositories.executions import ExecutionRepository
    from sandbox.emulators.emulator_guarantees import make_dynamodb_writes_atomic
    from tests.support.data import group_body, plan_body
    from tests.support.inprocess import lambda_functions
    from tests.support.orchestration import create_state_machine

    make_dynamodb_writes_atomic()
    with moto_with_tables(), quiet():
        os.environ.update(
            STATE_MACHINE_ARN=create_state_machine(boto3.client("stepfunctions")),
            DRS_POLL_SECONDS="1",
            API_GATEWAY_URL="https://api.example.test",
        )
        get_settings.cache_clear()
        groups = [_call("create_protection_group", group_body(f"G{i}"))["groupId"] for i in range(2)]
        plans = [
            _call("create_recovery_plan", plan_body(groups, name=f"Plan {n}"))["planId"]
            for n in range(EXECUTIONS)
        ]
        with lambda_functions({"orchestrator": orchestrator}):
            start = time.perf_counter()
            with ThreadPoolExecutor(EXECUTIONS) as pool:
                ids = list(pool.map(lambda p: _call("start_execution", {"planId": p})["executionId"], plans))
            paused = _wait(ids, {"PAUSED"}, timeout=180)
            approvals = [ExecutionRepository().pending_approval_id(e) for e in ids]
            outcomes = [o for a in approvals if a for o in _race(a)]
            final = _wait(ids, {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"}, timeout=240)
            elapsed = time.perf_counter() - start
            decisions = [len(_call("get_execution", {"executionId": e})["decisions"]) for e in ids]
    return {
        "seconds": elapsed,
        "paused": sum(s == "PAUSED" for s in paused.values()),
        "succeeded": sum(s == "SUCCEEDED" for s in final.values()),
        "decided": outcomes.count("decided"),
        "already_decided": outcomes.count("already_decided"),
        "decided_once": sum(d == 1 for d in decisions),
    }


def main() -> dict[str, Any]:
    f = measure()
    print(f"[executions] {EXECUTIONS} executions started at once, each paused once, two racing resumes each")
    print(
        f"  paused {f['paused']}/{EXECUTIONS}, "
        f"SUCCEEDED {f['succeeded']}/{EXECUTIONS} in {f['seconds']:.1f} s"
    )
    print(
        f"  decisions: {f['decided']} won, {f['already_decided']} told who won; "
        f"executions decided exactly once: {f['decided_once']}/{EXECUTIONS}"
    )
    ok = f["succeeded"] == f["decided"] == f["decided_once"] == EXECUTIONS == f["already_decided"]
    print(f"  verdict: {'met' if ok else 'MISSED'}")
    return f


if __name__ == "__main__":
    main()
