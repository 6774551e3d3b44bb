"""The sandbox's EventBridge Scheduler runner (sandbox/runtime/scheduler.py) on moto's Scheduler: it fires
a one-time schedule once it is due, exactly once, and deletes it; driven here by ``tick`` with a
chosen time, and its target run in process (the orchestrator's entry point)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.core.timestamps import parse_iso
from handlers.repositories.executions import ExecutionRepository
from sandbox.runtime.scheduler import SchedulerRunner, due
from tests.conftest import ACCOUNT_A
from tests.integration.test_automatic_cleanup import GROUP, _ended_drill, scheduler  # noqa: F401
from tests.support.drills import live_instances, plan_with_groups
from tests.support.schedules import InProcessRuntime


def test_due_reads_at_expressions_only() -> None:
    now = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)
    assert due("at(2026-12-01T10:00:00)", now) and due("at(2026-12-01T09:59:59)", now)
    assert not due("at(2026-12-01T10:00:01)", now)
    assert not due("rate(5 minutes)", now) and not due("at(garbage)", now)


def test_the_runner_fires_the_automatic_cleanup_at_its_time_once(
    aws: Any,
    scheduler: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an ended drill whose cleanup and reminder are scheduled
    drill = _ended_drill(plan_with_groups())
    runtime = InProcessRuntime()
    runner = SchedulerRunner(aws.client("scheduler"), runtime, GROUP)  # type: ignore[arg-type]
    due_at = parse_iso(drill.cleanupDueAt)
    # When the runner looks before anything is due: nothing fires
    assert runner.tick(due_at - timedelta(hours=2)) == []
    # When it looks an hour before: the reminder fires (and is gone), the cleanup waits
    assert runner.tick(due_at - timedelta(minutes=59)) == [f"cleanup-reminder-{drill.executionId}"]
    assert len(live_instances(aws.drs, ACCOUNT_A, drill)) == 3
    # When it looks at the due time (the product's clock agreeing)
    monkeypatch.setattr("handlers.core.timestamps.now", lambda: due_at + timedelta(seconds=2))
    assert runner.tick(due_at + timedelta(seconds=2)) == [f"cleanup-{drill.executionId}"]
    # Then the drill's cleanup is the schedule's, IN_PROGRESS while DRS terminates the instances
    record = ExecutionRepository().get(drill.executionId).cleanup  # type: ignore[union-attr]
    assert record is not None and record.status == "IN_PROGRESS" and record.requestedBy == "schedule"
    # When the runner fires the cleanup's checks at their times
    check = f"cleanup-check-{drill.executionId}"
    assert runner.tick(datetime.now(UTC) + timedelta(minutes=1)) == [check]  # DRS still terminating
    assert runner.tick(datetime.now(UTC) + timedelta(minutes=3)) == [check]
    # Then the cleanup COMPLETED, and nothing is left to fire again
    record = ExecutionRepository().get(drill.executionId).cleanup  # type: ignore[union-attr]
    assert record is not None and record.status == "COMPLETED"
    assert live_instances(aws.drs, ACCOUNT_A, drill) == []
    assert runner.tick(due_at + timedelta(days=10)) == []
    assert [event["task"] for _, event in runtime.invoked] == [
        "cleanup_reminder",
        "scheduled_cleanup",
        "cleanup_check",
        "cleanup_check",
    ]
