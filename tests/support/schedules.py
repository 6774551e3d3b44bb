"""One-time schedules in tests: moto's EventBridge Scheduler holds them (handlers/aws/schedules.py
writes them) and the sandbox's runner (sandbox/runtime/scheduler.py) fires them, here with a chosen time
and the orchestrator's entry point run in process.

:func:`use_scheduler` configures the deployment's schedule group, orchestrator and scheduler role;
:func:`fire_due` runs what is due; :func:`settle_cleanup` fires a drill cleanup's checks until the
cleanup has ended (DRS terminates recovery instances asynchronously, handlers/cleanup/cleanup.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.orchestrator import lambda_handler as orchestrator
from handlers.repositories.executions import ExecutionRepository
from sandbox.runtime.scheduler import SchedulerRunner
from tests.conftest import reset_caches
from tests.support.events import LambdaContext

GROUP = "drs-chatops-test"
ORCHESTRATOR = "arn:aws:lambda:us-east-1:123456789012:function:drs-chatops-orchestrator-test"
ROLE = "arn:aws:iam::123456789012:role/drs-chatops-scheduler-test"


class InProcessRuntime:
    """What the runner needs of the sandbox's Lambda runtime: ``invoke_async``, run here at once."""

    def __init__(self) -> None:
        self.invoked: list[tuple[str, Any]] = []

    def invoke_async(self, arn: str, event: Any) -> None:
        self.invoked.append((arn, event))
        orchestrator(event, LambdaContext())


def use_scheduler(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The schedule group and the settings the product schedules with; moto's Scheduler client."""
    client = aws.client("scheduler")
    client.create_schedule_group(Name=GROUP)
    monkeypatch.setenv("SCHEDULE_GROUP_NAME", GROUP)
    monkeypatch.setenv("ORCHESTRATOR_FUNCTION_ARN", ORCHESTRATOR)
    monkeypatch.setenv("SCHEDULER_ROLE_ARN", ROLE)
    reset_caches()
    return client


def schedules(aws: Any) -> dict[str, dict[str, Any]]:
    """Every schedule of the group, by name."""
    client = aws.client("scheduler")
    names = [s["Name"] for s in client.list_schedules(GroupName=GROUP)["Schedules"]]
    return {n: client.get_schedule(Name=n, GroupName=GROUP) for n in names}


def fire_due(aws: Any, at: datetime, runtime: InProcessRuntime | None = None) -> list[str]:
    """Fire every schedule due at ``at`` (the runner's tick); their names."""
    runner = SchedulerRunner(aws.client("scheduler"), runtime or InProcessRuntime(), GROUP)  # type: ignore[arg-type]
    return runner.tick(at)


def settle_cleanup(aws: Any, execution_id: str, *, rounds: int = 10) -> Any:
    """Fire the cleanup's checks (each due within minutes) until it is no longer IN_PROGRESS; the
    execution's ``cleanup`` record."""
    for _ in range(rounds):
        record = ExecutionRepository().get(execution_id).cleanup  # type: ignore[union-attr]
        if record is None or record.status != "IN_PROGRESS":
            return record
        fire_due(aws, datetime.now(UTC) + timedelta(minutes=10))
    raise AssertionError(f"the cleanup of {execution_id} is still IN_PROGRESS after {rounds} checks")
