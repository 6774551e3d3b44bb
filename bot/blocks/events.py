"""What each execution event shows in Slack: a line in the thread under the execution's parent
message, and how it ends an open pause message. :data:`LINES` has an entry for every
``EventType`` (``tests/unit/test_event_types.py`` checks it)."""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks.executions import EXPIRED_LINE, Pause, decision_line
from handlers.models.events import EventType, ExecutionEvent


def _wave(event: ExecutionEvent) -> str:
    return f"Wave {event.waveNumber or '?'} ({event.protectionGroupName})"


def decided(event: ExecutionEvent) -> str:
    return decision_line(event.eventType, event.decidedBy, event.decidedVia, event.decidedAt)


def pause_of(event: ExecutionEvent) -> Pause:
    return Pause(event.planName, event.waveNumber or 0, event.protectionGroupName, event.expiresAt)


# None: the event has no thread line of its own (the start is the parent message itself; the
# pause is posted with its buttons, ``Pause.text`` being its line).
LINES: dict[EventType, Callable[[ExecutionEvent], str | None]] = {
    "start": lambda e: None,
    "pause": lambda e: None,
    "vote": lambda e: None,  # the pause message shows the votes (updated in place)
    "resume": lambda e: f"▶️ {decided(e)}",
    "cancel": lambda e: f"🚫 {decided(e) if e.decidedBy else e.mode + ' cancelled'}",
    "wave_complete": lambda e: f"✅ {_wave(e)} completed: {e.launched}/{e.total} servers launched",
    "wave_fail": lambda e: f"❌ {_wave(e)} failed: {e.message or 'servers failed to launch'}",
    "complete": lambda e: f"✅ {e.mode} completed",
    "fail": lambda e: f"❌ {e.mode} failed: {e.reason or 'see the execution status'}",
    "timeout": lambda e: f"⌛ Timed out waiting for approval before wave {e.waveNumber or '?'}",
}


def event_line(event: ExecutionEvent) -> str | None:
    """The thread reply for an event (None: the event has no reply of its own)."""
    return LINES[event.eventType](event)


def pause_outcome(event: ExecutionEvent) -> str | None:
    """How an event ends the open pause message, if it does."""
    kind = event.eventType
    if kind in ("resume", "cancel") and event.decidedBy:
        return decided(event)
    if kind in ("timeout", "cancel", "fail", "complete"):
        return EXPIRED_LINE if kind == "timeout" else f"Closed: the execution ended ({kind})."
    return None
