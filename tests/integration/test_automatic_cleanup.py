"""Automatic drill cleanup (handlers/cleanup/cleanup_schedule.py) on moto's EventBridge Scheduler
and the DRS emulator: a drill's end records ``cleanupDueAt`` and sets one-time schedules for the
cleanup and its reminder; the scheduled tasks act only when due, with a controlled clock; a keep
postpones, and the schedule it replaced does nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from handlers.accounts.account_context import Caller
from handlers.cleanup import cleanup_schedule
from handlers.core.timestamps import format_iso, now, parse_iso
from handlers.models.execution import CleanupReminderTask, ScheduledCleanupTask
from handlers.orchestrator import lambda_handler as orchestrator
from handlers.repositories.executions import ExecutionRepository
from handlers.runs.lifecycle import finish_execution
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.support.drills import finished_execution, live_instances, plan_with_groups
from tests.support.events import LambdaContext
from tests.support.orchestration import tap_topic
from tests.support.schedules import GROUP, ORCHESTRATOR, ROLE, settle_cleanup, use_scheduler

OPERATOR = Caller(account_id=ACCOUNT_A, principal="@oncall", source="slack")


@pytest.fixture
def scheduler(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    return use_scheduler(aws, monkeypatch)


def _schedules(scheduler: Any) -> dict[str, dict[str, Any]]:
    names = [s["Name"] for s in scheduler.list_schedules(GroupName=GROUP)["Schedules"]]
    return {
        n: scheduler.get_schedule(Name=n, GroupName=GROUP)
        for n in names
        if not n.startswith("cleanup-check-")
    }


def _ended_drill(plan: dict[str, Any]) -> Any:
    """A drill that was running, ended by the orchestrator's finish (the product's own path)."""
    running = finished_execution(plan, status="RUNNING")
    assert finish_execution(running.executionId, "SUCCEEDED")
    ended = ExecutionRepository().get(running.executionId)
    assert ended is not None
    return ended


def _at(moment: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The product's clock reads ``moment`` from now on."""
    monkeypatch.setattr("handlers.core.timestamps.now", lambda: moment)
    monkeypatch.setattr("handlers.cleanup.cleanup_schedule.now", lambda: moment)


def test_a_drills_end_schedules_its_cleanup_and_a_reminder_an_hour_before(aws: Any, scheduler: Any) -> None:
    # Given a plan that cleans drills up after 1440 minutes (the default)
    drill = _ended_drill(plan_with_groups())
    # Then the due time is recorded, one day after the end
    assert parse_iso(drill.cleanupDueAt) == parse_iso(drill.endTime) + timedelta(days=1)
    # And two one-time schedules exist: the cleanup at the due time, the reminder an hour before
    found = _schedules(scheduler)
    cleanup = found[f"cleanup-{drill.executionId}"]
    reminder = found[f"cleanup-reminder-{drill.executionId}"]
    due = parse_iso(drill.cleanupDueAt)
    assert (
        cleanup["ScheduleExpression"]
        == f"at({format_iso(due.replace(microsecond=0) + timedelta(seconds=1))[:19]})"
    )
    remind = due - timedelta(hours=1)
    assert (
        reminder["ScheduleExpression"]
        == f"at({format_iso(remind.replace(microsecond=0) + timedelta(seconds=1))[:19]})"
    )
    for schedule in (cleanup, reminder):
        assert schedule["ScheduleExpressionTimezone"] == "UTC"
        assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert schedule["ActionAfterCompletion"] == "DELETE"
        assert schedule["Target"]["Arn"] == ORCHESTRATOR and schedule["Target"]["RoleArn"] == ROLE
    assert json.loads(cleanup["Target"]["Input"]) == {
        "task": "scheduled_cleanup",
        "executionId": drill.executionId,
        "dueAt": drill.cleanupDueAt,
    }
    assert json.loads(reminder["Target"]["Input"])["task"] == "cleanup_reminder"


def test_zero_minutes_means_never(aws: Any, scheduler: Any) -> None:
    drill = _ended_drill(plan_with_groups(drillCleanupAfterMinutes=0))
    assert drill.cleanupDueAt == "" and _schedules(scheduler) == {}


def test_a_recovery_is_never_scheduled(aws: Any, scheduler: Any) -> None:
    plan = plan_with_groups()
    running = finished_execution(plan, status="RUNNING", is_drill=False)
    finish_execution(running.executionId, "SUCCEEDED")
    assert ExecutionRepository().get(running.executionId).cleanupDueAt == ""  # type: ignore[union-attr]
    assert _schedules(scheduler) == {}


def test_a_short_period_reminds_at_once(aws: Any, scheduler: Any) -> None:
    # Given a plan that cleans drills up one minute after they end (the sandbox's demo setting)
    queue = tap_topic(aws)
    drill = _ended_drill(plan_with_groups(drillCleanupAfterMinutes=1, notificationEmail="dr@example.com"))
    # Then the reminder was published at the end already, and only the cleanup is scheduled
    kinds = _event_types(aws, queue)
    assert "cleanup_reminder" in kinds
    assert list(_schedules(scheduler)) == [f"cleanup-{drill.executionId}"]


def _event_types(aws: Any, queue: str) -> list[str]:
    messages = aws.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"])["MessageAttributes"]["eventType"]["Value"] for m in messages]


def test_the_scheduled_cleanup_acts_only_once_due(
    aws: Any, scheduler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an ended drill whose cleanup is due tomorrow
    drill = _ended_drill(plan_with_groups())
    task = {"task": "scheduled_cleanup", "executionId": drill.executionId, "dueAt": drill.cleanupDueAt}
    # When its schedule fires a minute early (through the orchestrator's entry point)
    _at(parse_iso(drill.cleanupDueAt) - timedelta(minutes=1), monkeypatch)
    assert orchestrator(task, LambdaContext())["cleaned"] is False
    assert len(live_instances(aws.drs, ACCOUNT_A, drill)) == 3
    # When it fires at the due time
    _at(parse_iso(drill.cleanupDueAt) + timedelta(seconds=1), monkeypatch)
    result = orchestrator(task, LambdaContext())
    # Then the drill's cleanup starts, recorded as the schedule's doing, and completes once DRS
    # has terminated the instances
    assert result == {"cleaned": True, "status": "IN_PROGRESS"}
    record = settle_cleanup(aws, drill.executionId)
    assert record is not None and record.status == "COMPLETED"
    assert (record.requestedBy, record.requestedVia) == ("schedule", "schedule")
    assert live_instances(aws.drs, ACCOUNT_A, drill) == []


def test_a_keep_postpones_and_the_stale_schedule_does_nothing(
    aws: Any, scheduler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an ended drill due tomorrow, and its reminder an hour before
    drill = _ended_drill(plan_with_groups())
    stale = ScheduledCleanupTask(
        task="scheduled_cleanup", executionId=drill.executionId, dueAt=drill.cleanupDueAt
    )
    reminder = CleanupReminderTask(
        task="cleanup_reminder", executionId=drill.executionId, dueAt=drill.cleanupDueAt
    )
    # When an operator keeps it
    kept = cleanup_schedule.keep_drill(OPERATOR, drill.executionId)
    # Then it is due one period later, and both schedules were replaced (one of each, new times)
    assert parse_iso(kept.cleanupDueAt) == parse_iso(drill.cleanupDueAt) + timedelta(days=1)
    assert ExecutionRepository().get(drill.executionId).cleanupDueAt == kept.cleanupDueAt  # type: ignore[union-attr]
    found = _schedules(scheduler)
    assert sorted(found) == sorted([f"cleanup-{drill.executionId}", f"cleanup-reminder-{drill.executionId}"])
    assert json.loads(found[f"cleanup-{drill.executionId}"]["Target"]["Input"])["dueAt"] == kept.cleanupDueAt
    # When the old schedule fires anyway at the old time (and the old reminder too)
    _at(parse_iso(drill.cleanupDueAt) + timedelta(seconds=1), monkeypatch)
    assert cleanup_schedule.scheduled_cleanup(stale) == {"cleaned": False, "dueAt": kept.cleanupDueAt}
    assert cleanup_schedule.cleanup_reminder(reminder) == {"reminded": False}
    # Then nothing was terminated; at the new time it is
    assert len(live_instances(aws.drs, ACCOUNT_A, drill)) == 3
    _at(parse_iso(kept.cleanupDueAt) + timedelta(seconds=1), monkeypatch)
    fresh = stale.model_copy(update={"dueAt": kept.cleanupDueAt})
    assert cleanup_schedule.scheduled_cleanup(fresh)["cleaned"] is True
    assert settle_cleanup(aws, drill.executionId).status == "COMPLETED"
    assert live_instances(aws.drs, ACCOUNT_A, drill) == []


def test_two_keeps_of_one_reminder_postpone_once(aws: Any, scheduler: Any) -> None:
    from handlers.core.errors import NotFoundError
    from handlers.repositories.execution_cleanup import ExecutionCleanupRepository

    drill = _ended_drill(plan_with_groups())
    # Given another keep moved the due time between this keep's read and its write
    moved = format_iso(parse_iso(drill.cleanupDueAt) + timedelta(days=1))
    assert ExecutionCleanupRepository().set_due(drill.executionId, moved, expected=drill.cleanupDueAt)
    # Then a write expecting the old due time loses
    assert not ExecutionCleanupRepository().set_due(drill.executionId, "x", expected=drill.cleanupDueAt)
    # And a keep of another account's drill is not found
    with pytest.raises(NotFoundError):
        cleanup_schedule.keep_drill(Caller(ACCOUNT_B, "@mallory", "slack"), drill.executionId)


def test_a_keep_after_the_cleanup_is_refused(aws: Any, scheduler: Any) -> None:
    from handlers.cleanup.cleanup import cleanup_execution
    from handlers.core.errors import ConflictError

    drill = _ended_drill(plan_with_groups())
    cleanup_execution(OPERATOR, drill.executionId)
    with pytest.raises(ConflictError, match="already IN_PROGRESS"):
        cleanup_schedule.keep_drill(OPERATOR, drill.executionId)
    settle_cleanup(aws, drill.executionId)
    with pytest.raises(ConflictError, match="already COMPLETED"):
        cleanup_schedule.keep_drill(OPERATOR, drill.executionId)


def test_the_reminder_announces_when_still_due(aws: Any, scheduler: Any) -> None:
    queue = tap_topic(aws)
    drill = _ended_drill(plan_with_groups(notificationEmail="dr@example.com"))
    task = {"task": "cleanup_reminder", "executionId": drill.executionId, "dueAt": drill.cleanupDueAt}
    assert orchestrator(task, LambdaContext()) == {"reminded": True}
    assert "cleanup_reminder" in _event_types(aws, queue)


def test_scheduling_expression_never_fires_early() -> None:
    from handlers.aws.schedules import expression

    moment = now().replace(microsecond=1)
    assert (
        expression(moment) == f"at({format_iso(moment.replace(microsecond=0) + timedelta(seconds=1))[:19]})"
    )
    assert (
        expression(moment.replace(microsecond=0)) == f"at({format_iso(moment.replace(microsecond=0))[:19]})"
    )


def test_the_period_is_validated_and_travels_with_export_and_import(aws: Any) -> None:
    from tests.support.events import call_api, invoke_direct

    # Given plans may say 0 (never) to 43200 minutes (30 days), nothing else
    plan = plan_with_groups(drillCleanupAfterMinutes=90)
    assert plan["drillCleanupAfterMinutes"] == 90
    for bad in (-1, 43201, "soon", True):
        body = {"version": plan["version"], "drillCleanupAfterMinutes": bad}
        status, answer = call_api("PUT", f"/recovery-plans/{plan['planId']}", body, account=ACCOUNT_A)
        assert status == 400 and "drillCleanupAfterMinutes" in answer["message"], (bad, answer)
    # When the account's configuration is exported, the period changed in it, and imported again
    document = invoke_direct("export_configuration", {"accountId": ACCOUNT_A})
    [exported] = document["recoveryPlans"]
    assert exported["drillCleanupAfterMinutes"] == 90
    exported["drillCleanupAfterMinutes"] = 120
    result = invoke_direct("import_configuration", {"accountId": ACCOUNT_A, "document": document})
    # Then the import saw the change and the plan has it
    assert result["updated"]["recoveryPlans"] == [plan["planId"]], result
    status, stored = call_api("GET", f"/recovery-plans/{plan['planId']}", account=ACCOUNT_A)
    assert stored["drillCleanupAfterMinutes"] == 120
