"""When the orchestrator's own bookkeeping fails (the start task, the final record, SNS), the real
ASL on moto retries it, then ends the execution record truthfully and frees the plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.data import group_body, plan_body
from tests.support.events import call_api, call_page
from tests.support.orchestration import wait_until

TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"}


def make_plan(waves: int) -> dict[str, Any]:
    """A plan of ``waves`` waves; the second (if any) pauses for approval."""
    groups = [call_api("POST", "/protection-groups", group_body(f"Tier {i}"))[1] for i in range(waves)]
    status, plan = call_api("POST", "/recovery-plans", plan_body([g["groupId"] for g in groups]))
    assert status == 201, plan
    return dict(plan)


def start(plan: dict[str, Any]) -> str:
    status, execution = call_api("POST", "/executions", {"planId": plan["planId"]})
    assert status == 201, execution
    return str(execution["executionId"])


def execution_status(execution_id: str, wanted: set[str], timeout: float = 40) -> dict[str, Any]:
    def probe() -> Any:
        current = call_api("GET", f"/executions/{execution_id}")[1]
        return current if current["status"] in wanted else None

    found = wait_until(probe, timeout)
    assert found, f"never reached {wanted}: {call_api('GET', f'/executions/{execution_id}')[1]}"
    return dict(found)


def run_ended(orchestration: Any, execution_id: str, timeout: float = 40) -> dict[str, Any]:
    """The state machine run of the execution, once it has ended."""
    sfn = orchestration.aws.client("stepfunctions")
    arn = call_api("GET", f"/executions/{execution_id}")[1]["stateMachineExecutionArn"]
    described = wait_until(
        lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d, timeout
    )
    assert described, "the state machine run never ended"
    return dict(described)


def plan_lock(orchestration: Any, plan_id: str) -> str | None:
    table = orchestration.aws.tables["RECOVERY_PLANS_TABLE"]
    item = orchestration.aws.client("dynamodb").get_item(TableName=table, Key={"planId": {"S": plan_id}})
    return item["Item"].get("activeExecutionId", {}).get("S")


def failing_task(
    monkeypatch: pytest.MonkeyPatch, task: str, *, times: int | None, when: Callable[[Any], bool] = bool
) -> list[Any]:
    """Make the orchestrator's ``task`` raise (as a data-store failure) ``times`` times, or always
    when ``times`` is None, for payloads ``when`` selects. Returns the payloads that failed."""
    from handlers import orchestrator
    from handlers.core.errors import DomainError

    real = orchestrator._TASKS[task]
    failed: list[Any] = []

    def flaky(payload: Any) -> Any:
        if when(payload) and (times is None or len(failed) < times):
            failed.append(payload)
            raise DomainError("the data store failed; try again")
        return real(payload)

    monkeypatch.setitem(orchestrator._TASKS, task, flaky)
    return failed


def test_a_start_task_that_fails_once_is_retried_and_the_run_goes_on(orchestration, monkeypatch):
    # Given the orchestrator's start task fails once
    failed = failing_task(monkeypatch, "start", times=1)
    plan = make_plan(2)
    # When the plan is started
    execution_id = start(plan)
    # Then Step Functions retries it and the run reaches its pause
    assert execution_status(execution_id, {"PAUSED"})["waves"][0]["status"] == "COMPLETED"
    assert len(failed) == 1


def test_a_start_task_that_keeps_failing_ends_the_record_failed_and_frees_the_plan(
    orchestration, monkeypatch
):
    plan = make_plan(2)
    with monkeypatch.context() as patch:
        # Given the orchestrator's start task always fails
        failing_task(patch, "start", times=None)
        # When the plan is started
        execution_id = start(plan)
        # Then after the retries the record says FAILED and why, and nothing was launched
        ended = execution_status(execution_id, TERMINAL)
        assert ended["status"] == "FAILED" and "the data store failed" in ended["statusReason"]
        assert [w["status"] for w in ended["waves"]] == ["SKIPPED", "SKIPPED"]
        assert run_ended(orchestration, execution_id)["status"] == "FAILED"
        assert orchestration.wait_for_event("fail") and orchestration.drs.started == []
    # And the plan can be started again
    assert execution_status(start(plan), {"PAUSED"})


def test_sns_failing_throughout_does_not_stop_the_recovery(orchestration, monkeypatch):
    # Given every SNS publish fails (start, pause, resume, wave and finish announcements)
    from botocore.client import BaseClient
    from botocore.exceptions import EndpointConnectionError

    original = BaseClient._make_api_call
    published: list[str] = []

    def sns_down(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "Publish":
            published.append(params["MessageAttributes"]["eventType"]["StringValue"])
            raise EndpointConnectionError(endpoint_url="https://sns.us-east-1.amazonaws.com")
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", sns_down)
    plan = make_plan(2)
    execution_id = start(plan)
    # When the pause is resumed (its email never went out; the approval is still there)
    execution_status(execution_id, {"PAUSED"})
    table = orchestration.aws.tables["APPROVALS_TABLE"]
    items = orchestration.aws.client("dynamodb").scan(TableName=table)["Items"]
    status, page, _ = call_page(
        "POST", "/execution-callback", f"action=resume&approval={items[0]['approvalId']['S']}"
    )
    assert status == 200, page
    # Then the recovery completes and the record is truthful
    ended = execution_status(execution_id, TERMINAL)
    assert ended["status"] == "SUCCEEDED" and ended["statusReason"] == ""
    assert [w["status"] for w in ended["waves"]] == ["COMPLETED", "COMPLETED"]
    assert ended["decisions"][0]["action"] == "resume"
    assert run_ended(orchestration, execution_id)["status"] == "SUCCEEDED"
    assert {"start", "pause", "resume", "wave_complete", "complete"} <= set(published)
    assert plan_lock(orchestration, plan["planId"]) is None


def test_a_final_record_that_fails_once_is_retried(orchestration, monkeypatch):
    # Given the orchestrator's finish task fails once
    failed = failing_task(monkeypatch, "finish", times=1)
    plan = make_plan(1)
    # When the plan runs
    execution_id = start(plan)
    # Then the retry records the success and frees the plan
    assert execution_status(execution_id, TERMINAL)["status"] == "SUCCEEDED"
    # (the same finish frees the plan just after writing the record)
    assert wait_until(lambda: plan_lock(orchestration, plan["planId"]) is None) and len(failed) == 1
    assert run_ended(orchestration, execution_id)["status"] == "SUCCEEDED"


def test_a_plan_lock_whose_release_failed_once_is_released_by_the_retry(orchestration, monkeypatch):
    # Given freeing the plan fails once, after the record was already written
    from handlers.core.errors import DomainError
    from handlers.repositories.recovery_plans import RecoveryPlanRepository

    real = RecoveryPlanRepository.unlock_execution
    calls: list[str] = []

    def flaky(self: Any, plan_id: str, execution_id: str) -> None:
        calls.append(execution_id)
        if len(calls) == 1:
            raise DomainError("the data store failed; try again")
        real(self, plan_id, execution_id)

    monkeypatch.setattr(RecoveryPlanRepository, "unlock_execution", flaky)
    plan = make_plan(1)
    # When the plan runs to its end
    execution_id = start(plan)
    assert execution_status(execution_id, TERMINAL)["status"] == "SUCCEEDED"
    # Then the retried finish frees the plan although the record was final already
    assert wait_until(lambda: len(calls) >= 2) and plan_lock(orchestration, plan["planId"]) is None


def test_a_final_record_that_keeps_failing_records_the_execution_failed_saying_why(
    orchestration, monkeypatch
):
    # Given recording the outcome always fails (but a plain FAILED record can still be written)
    failing_task(monkeypatch, "finish", times=None, when=lambda task: task.recordError is None)
    plan = make_plan(1)
    # When the plan runs
    execution_id = start(plan)
    # Then the record ends FAILED naming the failed bookkeeping, the run ends in a named state
    ended = execution_status(execution_id, TERMINAL)
    assert ended["status"] == "FAILED"
    assert "could not record how the execution ended" in ended["statusReason"]
    assert "the data store failed" in ended["statusReason"]
    assert ended["waves"][0]["status"] == "COMPLETED"
    described = run_ended(orchestration, execution_id)
    assert described["status"] == "FAILED" and described.get("error") == "OutcomeNotRecorded"
    # And the plan is free
    assert plan_lock(orchestration, plan["planId"]) is None


def test_when_no_record_can_be_written_the_next_start_finds_the_run_ended(orchestration, monkeypatch):
    import json

    from tests.support.orchestration import tap_topic

    alerts = tap_topic(orchestration.aws, orchestration.aws.alerts_topic_arn, name="alerts-tap")
    plan = make_plan(1)
    with monkeypatch.context() as patch:
        # Given the orchestrator can write no final record at all
        failing_task(patch, "finish", times=None)
        first = start(plan)
        described = run_ended(orchestration, first, timeout=60)
        assert described.get("error") == "RecordNotWritten"
        assert call_api("GET", f"/executions/{first}")[1]["status"] == "RUNNING"
    # Then operators are alerted by the state machine itself
    received = orchestration.aws.client("sqs").receive_message(QueueUrl=alerts)["Messages"]
    alert = json.loads(received[0]["Body"])
    assert first in alert["Message"] and "could not record" in alert["Message"]
    # When the plan is started again
    second = start(plan)
    # And the start is accepted: the old record was ended FAILED with why, not left RUNNING
    old = call_api("GET", f"/executions/{first}")[1]
    assert old["status"] == "FAILED" and "ended (FAILED) without recording" in old["statusReason"]
    assert execution_status(second, TERMINAL)["status"] == "SUCCEEDED"


def test_a_plan_whose_run_is_still_going_stays_locked(orchestration):
    # Given a run paused for approval (its state machine run is still RUNNING)
    plan = make_plan(2)
    first = start(plan)
    execution_status(first, {"PAUSED"})
    # When the plan is started again
    status, error = call_api("POST", "/executions", {"planId": plan["planId"]})
    # Then it is refused: the lock is not stale
    assert status == 409 and first in error["message"]


def test_a_wave_step_that_fails_ends_the_record_failed_with_its_message(orchestration, monkeypatch):
    # Given starting a wave fails (a step inside the wave loop)
    failing_task(monkeypatch, "start_wave", times=None)
    plan = make_plan(1)
    # When the plan runs
    execution_id = start(plan)
    # Then the failure leaves the loop as a named error carrying the step's message
    ended = execution_status(execution_id, TERMINAL)
    assert ended["status"] == "FAILED"
    assert ended["statusReason"] == "WaveStepFailed: the data store failed; try again"
    assert run_ended(orchestration, execution_id).get("error") == "RecoveryFailed"
    assert plan_lock(orchestration, plan["planId"]) is None
