"""What each execution event shows in Slack: a line in the thread under the execution's parent
message, and how it ends an open pause message. :data:`LINES` has an entry for every
``EventType`` (``tests/unit/test_event_types.py`` checks it)."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk.models.blocks import ActionsBlock, Block

from bot.blocks.common import escape, section
from bot.blocks.executions import (
    EXPIRED_LINE,
    Pause,
    cleanup_button,
    cleanup_line,
    date_and_clock,
    decision_line,
    keep_button,
    mention,
)
from bot.blocks.failback import failback_line
from bot.blocks.hooks import hook_line
from handlers.models.events import EventType, ExecutionEvent


def _wave(event: ExecutionEvent) -> str:
    return f"Wave {event.waveNumber or '?'} ({event.protectionGroupName})"


def decided(event: ExecutionEvent) -> str:
    return decision_line(event.eventType, event.decidedBy, event.decidedVia, event.decidedAt)


def _why(event: ExecutionEvent) -> str:
    """A decision's reason in its thread line (a plain_text section: shown as typed)."""
    return f" · reason: {event.reason}" if event.reason else ""


def pause_of(event: ExecutionEvent) -> Pause:
    kind = "wave_failed" if event.eventType in FAILED_WAVE_EVENTS else "before_wave"
    kind = "start" if event.eventType == "start_pause" else kind
    kind = "hook_failed" if event.eventType == "hook_failed_pause" else kind
    message = event.message if event.eventType in ("wave_failed_pause", "hook_failed_pause") else ""
    return Pause(
        event.planName, event.waveNumber or 0, event.protectionGroupName, event.expiresAt, kind, message
    )


def _rto_first(event: ExecutionEvent, line: str) -> str:
    """The final message leads with the measured RTO against the target."""
    return f"{event.rtoLine}\n{line}" if event.rtoLine else line


# posted with their buttons
PAUSE_EVENTS = frozenset({"pause", "wave_failed_pause", "start_pause", "hook_failed_pause"})
FAILED_WAVE_EVENTS = frozenset({"wave_failed_pause", "wave_retry", "wave_skip"})


# None: the event has no thread line of its own (the start is the parent message itself; the
# pause is posted with its buttons, ``Pause.text`` being its line).
LINES: dict[EventType, Callable[[ExecutionEvent], str | None]] = {
    "start": lambda e: None,
    "pause": lambda e: None,
    "vote": lambda e: None,  # the pause message shows the votes (updated in place)
    "resume": lambda e: f"▶️ {decided(e)}{_why(e)}",
    "cancel": lambda e: _rto_first(e, f"🚫 {decided(e) + _why(e) if e.decidedBy else e.mode + ' cancelled'}"),
    "wave_complete": lambda e: (
        f"✅ {_wave(e)} completed: {e.launched}/{e.total} servers launched"
        + (f" ({e.message})" if e.message else "")
    ),
    "wave_fail": lambda e: f"❌ {_wave(e)} failed: {e.message or 'servers failed to launch'}",
    "wave_failed_pause": lambda e: None,
    "wave_retry": lambda e: (
        f"🔁 {decided(e)}{_why(e)}: hook {_hook(e)} of wave {e.waveNumber or '?'} runs again "
        "(its servers are not launched again)"
        if _hook(e)
        else f"🔁 {decided(e)}{_why(e)}: wave {e.waveNumber or '?'} launches its failed servers again"
    ),
    "wave_skip": lambda e: (
        f"⏭️ {decided(e)}{_why(e)}: failed hook {_hook(e)} of wave {e.waveNumber or '?'} skipped, "
        "the wave goes on without it"
        if _hook(e)
        else f"⏭️ {decided(e)}{_why(e)}: wave {e.waveNumber or '?'} skipped, the next wave runs"
    ),
    "complete": lambda e: _rto_first(e, f"✅ {e.mode} completed"),
    "fail": lambda e: _rto_first(e, f"❌ {e.mode} failed: {e.reason or 'see the execution status'}"),
    "timeout": lambda e: _rto_first(
        e, f"⌛ Timed out waiting for approval before wave {e.waveNumber or '?'}"
    ),
    "cleanup_reminder": lambda e: None,  # posted with its Keep / Clean up buttons (reminder_blocks)
    "cleanup_done": lambda e: cleanup_line(e),  # the parent message shows it too (cleanup_blocks)
    "pause_reminder": lambda e: None,  # a thread reply mentioning who has not voted (bot/notifier.py)
    "start_pause": lambda e: None,  # posted with its buttons, like a pause
    "policy_changed": lambda e: policy_line(e),  # a message of its own in the plan's channel(s)
    "hook_start": hook_line,  # bot/blocks/hooks.py
    "hook_result": hook_line,
    "hook_failed_pause": lambda e: None,  # posted with its Retry / Skip / Cancel buttons
    "failback_ready": failback_line,  # bot/blocks/failback.py
    "failback_started": failback_line,
    "failback_completed": failback_line,
}


def _hook(event: ExecutionEvent) -> str:
    """The failed hook a Retry / Skip decided (a name of letters, digits, spaces and ._-), or ""."""
    return event.wave.failedHook if event.wave else ""


def policy_line(event: ExecutionEvent) -> str:
    """A plan's policy change (a plain_text section: names shown as typed)."""
    changes = "; ".join(event.policyChanges) or "no field changed"
    return (
        f"🔐 The approval policy of {event.planName} was changed by {event.decidedBy} "
        f"(via {event.decidedVia}): {changes}"
    )


def asked_line(event: ExecutionEvent) -> str:
    """An unanswered pause's end, in mrkdwn: who was asked (Slack ids as mentions, API principals
    escaped) and the approvals they gave; empty for any other event."""
    if event.eventType != "timeout" and not (event.askedApprovers or event.askedPrincipals):
        return ""
    asked = ", ".join([*map(mention, event.askedApprovers), *map(escape, event.askedPrincipals)])
    line = f"Asked: {asked}" if asked else "Asked: any operator (the plan names no approvers)"
    resumes = [v for v in event.votes if v.action != "cancel"]
    if event.quorum > 1 or resumes:
        voters = ", ".join(escape(v.by) for v in resumes) or "none"
        line += f" · {len(resumes)} of {event.quorum or '?'} approvals: {voters}"
    return line


def event_line(event: ExecutionEvent) -> str | None:
    """The thread reply for an event (None: the event has no reply of its own)."""
    return LINES[event.eventType](event)


def pause_outcome(event: ExecutionEvent) -> str | None:
    """How an event ends the open pause message, if it does."""
    kind = event.eventType
    if kind in ("resume", "cancel", "wave_retry", "wave_skip") and event.decidedBy:
        return decided(event)
    if kind in ("timeout", "cancel", "fail", "complete"):
        return EXPIRED_LINE if kind == "timeout" else f"Closed: the execution ended ({kind})."
    return None


def reminder_text(event: ExecutionEvent) -> str:
    return (
        f"🧹 The recovery instances of this drill of {event.planName} will be terminated at "
        f"{date_and_clock(event.cleanupDueAt)}."
    )


def reminder_blocks(event: ExecutionEvent) -> list[Block]:
    """The cleanup reminder: Keep (postpones by the plan's period) and Clean up (now)."""
    buttons = [
        *([keep_button(event.executionId, event.keepMinutes)] if event.keepMinutes else []),
        cleanup_button(event.executionId, event.planName),
    ]
    return [
        section(reminder_text(event)),
        ActionsBlock(block_id=f"reminder:{event.executionId}", elements=buttons),
    ]
