"""Reminders for an open pause: at half and at nine tenths of its timeout, the approvers who have
not voted are reminded (``pause_reminder`` event: an email, and a Slack thread reply mentioning
them). Scheduled when the pause opens, as one-time EventBridge Scheduler schedules
(handlers/aws/schedules.py) that run the orchestrator's ``pause_reminder`` task; a reminder for a
pause that has been decided (or replaced by a later one) does nothing.

A reminder stands on its own: the pause's announcement may never have arrived, so the reminder email
carries the pause's decide links itself (the same confirmation-page links as the pause email: a GET
shows a page, nothing is decided until it is confirmed, and the task token never leaves the
approvals table), and says how else to decide (Slack, ``/dr status``, the API)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import schedules
from handlers.core.observability import count, logger
from handlers.core.settings import ConfigurationError
from handlers.core.timestamps import parse_iso
from handlers.events.execution_events import announce
from handlers.events.notifications import callback_urls
from handlers.models.approval import Approval
from handlers.models.execution import PauseReminderTask
from handlers.repositories.executions import ExecutionRepository

FRACTIONS = (0.5, 0.9)  # of the pause's timeout, when each reminder comes


def reminder_name(execution_id: str, wave_number: int, nth: int) -> str:
    return f"pause-reminder-{execution_id}-{wave_number}-{nth}"


def schedule_reminders(approval: Approval) -> None:
    """Schedule the pause's reminders. A failure is logged and counted, never raised: the pause is
    announced already, and ``/dr status`` shows it to its approvers."""
    opened, expires = parse_iso(approval.createdAt), parse_iso(approval.expiresAt)
    task = {
        "task": "pause_reminder",
        "executionId": approval.executionId,
        "waveNumber": approval.waveNumber,
        "requestedAt": approval.createdAt,
    }
    try:
        for nth, fraction in enumerate(FRACTIONS, start=1):
            at = opened + (expires - opened) * fraction
            schedules.schedule_at(reminder_name(approval.executionId, approval.waveNumber, nth), at, task)
    except (ClientError, BotoCoreError, ConfigurationError) as exc:
        count("PauseReminderScheduleFailure")
        logger.error(
            "pause reminders not scheduled",
            extra={"executionId": approval.executionId, "error": type(exc).__name__},
        )


def remind(task: PauseReminderTask) -> dict[str, Any]:
    """The ``pause_reminder`` task: announce the reminder if that very pause is still open."""
    execution = ExecutionRepository().get(task.executionId)
    pending = execution.pendingApproval if execution else None
    if (
        execution is None
        or execution.status != "PAUSED"
        or pending is None
        or (pending.waveNumber, pending.requestedAt) != (task.waveNumber, task.requestedAt)
    ):
        return {"reminded": False}
    announce(
        execution,
        "pause_reminder",
        waveNumber=pending.waveNumber,
        requestedAt=pending.requestedAt,
        expiresAt=pending.expiresAt,
        quorum=pending.quorum,
        votes=pending.votes,
        **decide_links(task.executionId, pending.kind),
    )
    return {"reminded": True}


def decide_links(execution_id: str, kind: str) -> dict[str, str]:
    """The open pause's email links (``resumeUrl``, ``cancelUrl``…: what its kind offers), as the
    pause email carries them; none when the pause's approval cannot be read."""
    approval_id = ExecutionRepository().pending_approval_id(execution_id)
    if not approval_id:
        return {}
    return callback_urls(kind, approval_id)
