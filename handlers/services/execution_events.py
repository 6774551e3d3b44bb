"""Announcing an execution event: one :class:`~handlers.models.events.ExecutionEvent` built from the
execution as stored, so email, Slack and logs agree."""

from __future__ import annotations

from handlers.models.events import EventType, ExecutionEvent
from handlers.models.execution import Execution
from handlers.notifications import publish_recovery_plan_notification


def announce(execution: Execution, event_type: EventType, **extra: object) -> bool:
    """Publish ``event_type`` of ``execution``; ``extra`` sets the event's own fields (``waveNumber``,
    ``decidedBy``, ``reason``, ...). False when it could not be published (never raises)."""
    return publish_recovery_plan_notification(ExecutionEvent.of(execution, event_type, **extra))
