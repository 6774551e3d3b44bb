"""A DRS that keeps failing (after botocore's retries) ends the execution with a record that says so:
the wave that met the failure is FAILED, and it and the execution name DRS and the call.

End to end in process (tests/support/orchestration.py): the real ASL on moto, the orchestrator, and
the sandbox's DRS emulator answering the chosen calls with an error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.emulators.drs import Call, DrsError
from tests.conftest import ACCOUNT_A
from tests.support.data import group_body, plan_body
from tests.support.events import call_api
from tests.support.orchestration import wait_until

TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"}


def _failing(operation: str, *, polls_only: bool = False) -> Callable[[Call, dict[str, Any]], None]:
    """``polls_only``: only calls naming job ids (a running wave's), not the readiness check's listing."""

    def before(call: Call, body: dict[str, Any]) -> None:
        if polls_only and not (body.get("filters") or {}).get("jobIDs"):
            return
        if call.operation == operation:
            raise DrsError(500, "InternalServerException", "simulated: DRS is failing")

    return before


def _drill_to_the_end() -> dict[str, Any]:
    status, group = call_api("POST", "/protection-groups", group_body("Database tier"), account=ACCOUNT_A)
    assert status == 201, group
    status, plan = call_api("POST", "/recovery-plans", plan_body([group["groupId"]]), account=ACCOUNT_A)
    assert status == 201, plan
    status, started = call_api("POST", "/executions", {"planId": plan["planId"]}, account=ACCOUNT_A)
    assert status == 201, started

    def probe() -> dict[str, Any] | None:
        current = call_api("GET", f"/executions/{started['executionId']}", account=ACCOUNT_A)[1]
        return current if current["status"] in TERMINAL else None

    found = wait_until(probe, 40)
    assert found, "the execution never finished"
    return dict(found)


def test_a_failing_start_recovery_fails_the_wave_and_the_execution_naming_drs(orchestration):
    # Given DRS answers every StartRecovery with an internal error
    orchestration.drs.before = _failing("StartRecovery")
    # When a one-wave drill runs
    finished = _drill_to_the_end()
    # Then the wave is FAILED (not skipped) and both records name DRS, the call and the error
    [wave] = finished["waves"]
    assert finished["status"] == "FAILED"
    assert wave["status"] == "FAILED" and wave["endTime"]
    for text in (wave["message"], finished["statusReason"]):
        assert "DRS StartRecovery failed" in text and "InternalServerException" in text, text


def test_a_failing_describe_jobs_fails_the_running_wave_naming_drs(orchestration):
    # Given DRS starts the job but then answers every DescribeJobs with an internal error
    orchestration.drs.before = _failing("DescribeJobs", polls_only=True)
    # When a one-wave drill runs
    finished = _drill_to_the_end()
    # Then the running wave is FAILED, and the record names DRS and the call that failed
    [wave] = finished["waves"]
    assert finished["status"] == "FAILED" and wave["status"] == "FAILED"
    assert "DRS DescribeJobs failed" in finished["statusReason"], finished["statusReason"]
    assert "DRS DescribeJobs failed" in wave["message"], wave["message"]
