"""Announcing an execution event: one :class:`~handlers.models.events.ExecutionEvent` built from the
execution as stored, so email, Slack and logs agree.

The event model and the publisher load on the first announcement: most of the orchestrator's tasks
(a wave's polls) announce nothing, and its cold start leaves them out (``benchmarks/cold_start.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.models.events import EventType
    from handlers.models.execution import Execution


def announce(execution: Execution, event_type: EventType, **extra: object) -> bool:
    """Publish ``event_type`` of ``execution``; ``extra`` sets the event's own fields (``waveNumber``,
    ``decidedBy``, ``reason``, ...). False when it could not be published (never raises)."""
    from handlers.events.notifications import publish_recovery_plan_notification
    from handlers.models.events import ExecutionEvent

    return publish_recovery_plan_notification(ExecutionEvent.of(execution, event_type, **extra))
