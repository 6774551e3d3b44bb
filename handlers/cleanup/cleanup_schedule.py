"""Automatic drill cleanup: when a drill ends, its cleanup is due ``drillCleanupAfterMinutes``
after (the plan's; 0 = never), recorded as ``cleanupDueAt``, with a reminder at most an hour before
(``cleanup_reminder`` event: email and a Slack thread reply with Keep / Clean up buttons). A keep
moves ``cleanupDueAt`` by the same period (a conditional write: one of two racing keeps wins) and
reschedules both. Schedules are one-time EventBridge Scheduler schedules (handlers/aws/schedules.py)
named after the execution, so a reschedule replaces them; a schedule that fires anyway after a
keep finds ``cleanupDueAt`` not yet passed and does nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.accounts.account_context import Caller
from handlers.aws import schedules
from handlers.cleanup.cleanup import clean_up, get_execution, refuse_if_not_cleanable
from handlers.core.errors import ConflictError
from handlers.core.observability import count, logger
from handlers.core.settings import ConfigurationError
from handlers.core.timestamps import format_iso, has_passed, now, parse_iso
from handlers.events.execution_events import announce
from handlers.models.execution import CleanupReminderTask, Execution, ScheduledCleanupTask
from handlers.repositories.execution_cleanup import ExecutionCleanupRepository
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository

REMINDER_LEAD = timedelta(minutes=60)  # the reminder comes at most this long before the cleanup
SCHEDULE = "schedule"  # requestedBy / requestedVia of an automatic cleanup


def cleanup_name(execution_id: str) -> str:
    return f"cleanup-{execution_id}"


def reminder_name(execution_id: str) -> str:
    return f"cleanup-reminder-{execution_id}"


def plan_cleanup(execution: Execution) -> str:
    """At the end of a drill: record when it is cleaned up and schedule that and its reminder;
    the due time ("" if never). Scheduling failures are logged and counted, never raised: the
    drill's outcome is recorded already, and its instances can still be cleaned up by hand."""
    minutes = _period_minutes(execution)
    if not execution.isDrill or minutes == 0:
        return ""
    ended = parse_iso(execution.endTime) if execution.endTime else now()
    due = format_iso(ended + timedelta(minutes=minutes))
    if not ExecutionCleanupRepository().set_due(execution.executionId, due, expected=""):
        return ""  # already planned (a redelivered finish)
    _schedule(execution.model_copy(update={"cleanupDueAt": due}), minutes)
    return due


def keep_drill(caller: Caller, execution_id: str) -> Execution:
    """``drill_keep``: postpone the automatic cleanup by the plan's period."""
    execution = get_execution(caller, execution_id)
    refuse_if_not_cleanable(execution)
    if execution.cleanup is not None and execution.cleanup.status != "FAILED":
        raise ConflictError(f"the drill's cleanup is already {execution.cleanup.status}: nothing to keep")
    minutes = _period_minutes(execution)
    if minutes == 0 or not execution.cleanupDueAt:
        raise ConflictError(f"execution {execution_id} has no automatic cleanup to postpone")
    due = format_iso(max(parse_iso(execution.cleanupDueAt), now()) + timedelta(minutes=minutes))
    if not ExecutionCleanupRepository().set_due(execution_id, due, expected=execution.cleanupDueAt):
        raise ConflictError("someone else postponed or changed this cleanup just now; look again")
    kept = execution.model_copy(update={"cleanupDueAt": due})
    _schedule(kept, minutes)
    logger.info("drill cleanup postponed", extra={"executionId": execution_id, "dueAt": due})
    return kept


def cleanup_reminder(task: CleanupReminderTask) -> dict[str, Any]:
    """The reminder's schedule fired: announce it unless the cleanup moved or already happened."""
    execution = ExecutionRepository().get(task.executionId)
    if execution is None or not _still_due(execution, task.dueAt):
        return {"reminded": False}
    announce(execution, "cleanup_reminder", keepMinutes=_period_minutes(execution))
    return {"reminded": True}


def scheduled_cleanup(task: ScheduledCleanupTask) -> dict[str, Any]:
    """The cleanup's schedule fired: clean up if ``cleanupDueAt`` has passed (a keep moved it on)."""
    execution = ExecutionRepository().get(task.executionId)
    if execution is None or not _still_due(execution, execution.cleanupDueAt):
        return {"cleaned": False}
    if not has_passed(execution.cleanupDueAt):
        return {"cleaned": False, "dueAt": execution.cleanupDueAt}
    done = clean_up(execution, by=SCHEDULE, via=SCHEDULE)
    return {"cleaned": True, "status": done.cleanup.status if done.cleanup else ""}


def _still_due(execution: Execution, due_at: str) -> bool:
    cleaned = execution.cleanup is not None and execution.cleanup.status == "COMPLETED"
    return bool(execution.cleanupDueAt) and execution.cleanupDueAt == due_at and not cleaned


def _period_minutes(execution: Execution) -> int:
    plan = RecoveryPlanRepository().get(execution.planId)
    return plan.drillCleanupAfterMinutes if plan is not None else 0


def _schedule(execution: Execution, minutes: int) -> None:
    due = parse_iso(execution.cleanupDueAt)
    remind = due - min(REMINDER_LEAD, timedelta(minutes=minutes))
    execution_id, due_at = execution.executionId, execution.cleanupDueAt
    remind_now = remind <= now() + timedelta(seconds=5)  # too close to schedule
    if remind_now:
        announce(execution, "cleanup_reminder", keepMinutes=minutes)
    try:
        schedules.schedule_at(
            cleanup_name(execution_id), due, _task("scheduled_cleanup", execution_id, due_at)
        )
        if remind_now:
            schedules.cancel(reminder_name(execution_id))  # an earlier reminder of this drill
        else:
            schedules.schedule_at(
                reminder_name(execution_id), remind, _task("cleanup_reminder", execution_id, due_at)
            )
    except (ClientError, BotoCoreError, ConfigurationError) as exc:
        count("CleanupScheduleFailure")
        logger.error(
            "drill cleanup not scheduled",
            extra={"executionId": execution_id, "error": type(exc).__name__, "detail": str(exc)[:300]},
        )


def _task(kind: str, execution_id: str, due_at: str) -> dict[str, str]:
    return {"task": kind, "executionId": execution_id, "dueAt": due_at}
