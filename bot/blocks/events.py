"""One line per execution event, for the thread under an execution's parent message."""

from __future__ import annotations

from typing import Any

from bot.blocks.executions import EXPIRED_LINE, decision_line, mode


def event_line(details: dict[str, Any]) -> str | None:
    """The thread reply for an event (None: the event has no reply of its own)."""
    kind = str(details.get("eventType", ""))
    wave = f"Wave {details.get('waveNumber', '?')} ({details.get('protectionGroupName', '')})"
    run = mode(bool(details.get("isDrill", True)))
    lines = {
        "wave_complete": f"✅ {wave} completed: {_launched(details)} servers launched",
        "wave_fail": f"❌ {wave} failed: {details.get('message') or 'servers failed to launch'}",
        "resume": f"▶️ {decided(details)}",
        "cancel": f"🚫 {decided(details) if details.get('decidedBy') else run + ' cancelled'}",
        "complete": f"✅ {run} completed",
        "fail": f"❌ {run} failed: {details.get('reason') or 'see the execution status'}",
        "timeout": f"⌛ Timed out waiting for approval before wave {details.get('waveNumber', '?')}",
    }
    return lines.get(kind)


def _launched(details: dict[str, Any]) -> str:
    return f"{details.get('launched', 0)}/{details.get('total', 0)}"


def decided(details: dict[str, Any]) -> str:
    return decision_line(
        str(details.get("eventType", "")),
        str(details.get("decidedBy", "")),
        str(details.get("decidedVia", "")),
        str(details.get("decidedAt", "")),
    )


def pause_outcome(details: dict[str, Any]) -> str | None:
    """How an event ends the open pause message, if it does."""
    kind = details.get("eventType")
    if kind in ("resume", "cancel") and details.get("decidedBy"):
        return decided(details)
    if kind in ("timeout", "cancel", "fail", "complete"):
        return EXPIRED_LINE if kind == "timeout" else f"Closed: the execution ended ({kind})."
    return None
