"""Executions in Slack: status (one line per wave), the pause message and its decided form."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
)

from bot import ids
from bot.blocks.common import clip, context, escape, header, plain, section, sections
from bot.blocks.hooks import failed_hook_text
from handlers.core.timestamps import parse_iso
from handlers.models.events import ExecutionSnapshot, WaveSummary
from handlers.models.execution import Execution, Vote

WAVE_ICONS = {
    "PENDING": "⏳",
    "WAITING_APPROVAL": "⏸️",
    "RUNNING": "🔄",
    "COMPLETED": "✅",
    "FAILED": "❌",
    "CANCELLED": "🚫",
    "SKIPPED": "⏭️",
}
STATUS_ICONS = {
    "RUNNING": "🔄",
    "PAUSED": "⏸️",
    "SUCCEEDED": "✅",
    "FAILED": "❌",
    "CANCELLED": "🚫",
    "TIMED_OUT": "⌛",
}
_PAST = {
    "resume": "Resumed",
    "cancel": "Cancelled",
    "retry": "Retried",
    "skip": "Skipped",
    "wave_retry": "Retried",
    "wave_skip": "Skipped",
}


def clock(iso: str) -> str:
    """``2024-05-01T14:02:09.123Z`` -> ``14:02 UTC`` (what people read in a channel)."""
    try:
        return parse_iso(iso).strftime("%H:%M UTC")
    except ValueError:
        return iso


def date_and_clock(iso: str) -> str:
    """``2024-05-01T14:02:09Z`` -> ``2024-05-01 14:02 UTC``: for deadlines, which may be days away."""
    try:
        return parse_iso(iso).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def wave_line(wave: WaveSummary) -> str:
    icon = WAVE_ICONS.get(wave.status, "•")
    progress = f" · {wave.progress} servers launched" if wave.total else ""
    pause = " · pause before" if wave.pauseBeforeExecution else ""
    return f"{icon} Wave {wave.waveNumber}: {wave.protectionGroupName}{progress}{pause}"


def status_blocks(execution: ExecutionSnapshot) -> list[Block]:
    """An execution (stored, or as an event saw it) as blocks: ``/dr status`` and the parent message."""
    icon = STATUS_ICONS.get(execution.status, "•")
    title = f"{icon} {execution.mode}: {execution.planName}"
    facts = (
        f"{execution.status} · started by {execution.startedBy} "
        f"at {clock(execution.startTime)} · execution {execution.executionId}"
    )
    blocks: list[Block] = [header(title), context(facts)]
    if execution.rtoLine:
        blocks.append(section(execution.rtoLine))
    if execution.pointInTime:
        blocks.append(context(f"From point in time {date_and_clock(execution.pointInTime)}"))
    if execution.forced:
        failed = "; ".join(execution.readinessFailures) or "see the readiness check"
        blocks.append(context(f"⚠️ FORCED past failing readiness checks: {failed}"))
    blocks += sections(wave_line(w) for w in execution.waves)
    if execution.statusReason:
        blocks.append(context(f"Reason: {execution.statusReason}"))
    return blocks + cleanup_blocks(execution)


def cleanup_blocks(execution: ExecutionSnapshot) -> list[Block]:
    """A finished drill's cleanup: its result, or a Clean up button (with a confirm dialog)."""
    if not execution.isDrill or execution.status in ("RUNNING", "PAUSED"):
        return []
    done = execution.cleanup
    if done is not None and done.status != "FAILED":
        return [context(cleanup_line(execution))]
    lines = [cleanup_line(execution)] if done is not None else []
    if execution.cleanupDueAt:
        lines.append(
            f"Recovery instances are cleaned up automatically at {date_and_clock(execution.cleanupDueAt)}."
        )
    button = cleanup_button(execution.executionId, execution.planName)
    actions = ActionsBlock(block_id=f"cleanup:{execution.executionId}", elements=[button])
    return [*(context(line) for line in lines), actions]


def cleanup_line(execution: ExecutionSnapshot) -> str:
    done = execution.cleanup
    if done is None:
        return ""
    who = f"{done.requestedBy} via {done.requestedVia}"
    if done.status == "IN_PROGRESS":
        return f"🧹 Cleanup in progress, requested by {who} at {clock(done.requestedAt)}."
    icon = "🧹" if done.status == "COMPLETED" else "⚠️"
    verb = "Cleaned up" if done.status == "COMPLETED" else "Cleanup FAILED"
    return f"{icon} {verb} by {who} at {clock(done.completedAt)}: {done.message}"


def cleanup_button(execution_id: str, plan_name: str) -> ButtonElement:
    confirm = ConfirmObject(
        title="Clean the drill up?",
        text=plain(f"This terminates every recovery instance the drill of {plan_name} launched.", 300),
        confirm="Terminate instances",
        deny="Keep them",
        style="danger",
    )
    return ButtonElement(
        text="Clean up", action_id=ids.DRILL_CLEANUP, value=execution_id, style="danger", confirm=confirm
    )


def keep_button(execution_id: str, minutes: int) -> ButtonElement:
    period = f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"
    return ButtonElement(text=f"Keep for another {period}", action_id=ids.DRILL_KEEP, value=execution_id)


def status_text(execution: ExecutionSnapshot) -> str:
    return f"{execution.mode} {execution.planName}: {execution.status}"


@dataclass(frozen=True)
class Pause:
    """What a pause message shows; ``quorum``/``votes`` from the execution's ``pendingApproval``,
    ``waiting_for`` the approvers (``U…`` users, ``S…`` user groups) who have not voted yet."""

    plan_name: str
    wave_number: int
    group_name: str
    expires_at: str = ""
    # or "wave_failed": the wave failed and waits for Retry / Skip / Cancel; or "start": a RECOVERY
    # waits for approval to start at all
    kind: str = "before_wave"
    message: str = ""  # a failed wave's: which servers failed
    quorum: int = 1
    votes: tuple[Vote, ...] = ()
    waiting_for: tuple[str, ...] = ()

    def text(self) -> str:
        if self.kind == "hook_failed":
            return failed_hook_text(self.plan_name, self.wave_number, self.group_name, self.message)
        if self.kind == "wave_failed":
            failed = f" {self.message}." if self.message else ""
            return (
                f"⚠️ {self.plan_name}: wave {self.wave_number} ({self.group_name}) failed.{failed} "
                "Retry its failed servers, skip it, or cancel the execution."
            )
        if self.kind == "start":
            return (
                f"🛑 A RECOVERY of {self.plan_name} waits for approval to start: nothing runs until "
                f"the plan's approvers approve (wave 1: {self.group_name})."
            )
        return f"⏸️ {self.plan_name} is paused before wave {self.wave_number} ({self.group_name})."

    def tally(self) -> str:
        """``1 of 2 approvals: @alice (reason) · waiting for @bob or @carol`` (mrkdwn, user text
        escaped); empty for a quorum of 1 nobody has voted on, which shows as it always did."""
        resumes = [v for v in self.votes if v.action != "cancel"]  # resume; a failed wave's retry/skip
        if self.quorum <= 1 and not resumes:
            return ""
        voters = ", ".join(escape(v.by) + (f" ({escape(v.reason)})" if v.reason else "") for v in resumes)
        line = f"{len(resumes)} of {self.quorum} approvals" + (f": {voters}" if voters else "")
        if self.waiting_for and len(resumes) < self.quorum:
            line += " · waiting for " + " or ".join(mention(a) for a in self.waiting_for)
        return line


def mention(approver: str) -> str:
    """A configured approver id as a Slack mention: ``<@U…>`` for a user, ``<!subteam^S…>`` for a group."""
    return f"<!subteam^{approver}>" if approver.startswith("S") else f"<@{approver}>"


def waiting_for(approvers: list[str], votes: list[Vote]) -> tuple[str, ...]:
    """The approvers (``U…`` users, ``S…`` groups) still asked: every named user who has not voted
    in Slack, and every group (another of its members may still vote)."""
    voted = {v.userId for v in votes if v.userId}
    return tuple(a for a in approvers if a not in voted)


def pause_of_execution(execution: Execution, approvers: list[str]) -> Pause | None:
    """The open pause of ``execution`` with its votes so far, or None when it has none."""
    pending = execution.pendingApproval
    if execution.status != "PAUSED" or pending is None:
        return None
    wave = next((w for w in execution.waves if w.waveNumber == pending.waveNumber), None)
    return Pause(
        execution.planName,
        pending.waveNumber,
        wave.protectionGroupName if wave else "",
        pending.expiresAt,
        kind=pending.kind,
        message=wave.message if wave and pending.kind in ("wave_failed", "hook_failed") else "",
        quorum=pending.quorum,
        votes=tuple(pending.votes),
        waiting_for=waiting_for(approvers, pending.votes),
    )


def pause_value(execution_id: str, wave_number: int) -> str:
    """What a pause button carries: which pause, not a credential. It acts only through a signed
    Slack request from an allowed approver, in the account the channel is bound to; the email
    approval id (a bearer credential) never appears in Slack."""
    return f"{execution_id}:{wave_number}"


def parse_pause_value(value: str) -> tuple[str, int] | None:
    execution_id, _, wave = value.rpartition(":")
    if not execution_id or not wave.isdigit() or len(value) > 200:
        return None
    return execution_id, int(wave)


def pause_blocks(pause: Pause, execution_id: str, block_prefix: str = "approval:") -> list[Block]:
    """The pause message: Resume / Cancel buttons (a failed wave's: Retry / Skip / Cancel; value:
    ``pause_value``), Cancel behind a confirm."""
    confirm = ConfirmObject(
        title="Cancel the execution?",
        text=plain(f"This cancels {pause.plan_name}: no further waves will start.", 300),
        confirm="Cancel execution",
        deny="Keep it paused",
        style="danger",
    )
    value = pause_value(execution_id, pause.wave_number)
    cancel = ButtonElement(
        text="Cancel", action_id=ids.APPROVAL_CANCEL, value=value, style="danger", confirm=confirm
    )
    if pause.kind in ("wave_failed", "hook_failed"):  # a hook's Retry runs the hook again
        go_on = [
            ButtonElement(text="Retry", action_id=ids.WAVE_RETRY, value=value, style="primary"),
            ButtonElement(text="Skip", action_id=ids.WAVE_SKIP, value=value),
        ]
    else:
        label = "Approve start" if pause.kind == "start" else "Resume"
        go_on = [ButtonElement(text=label, action_id=ids.APPROVAL_RESUME, value=value, style="primary")]
    buttons = ActionsBlock(
        block_id=f"{block_prefix}{value}",  # unique when /dr status lists several pauses in one message
        elements=[*go_on, cancel],
    )
    expires = f"Waiting for a decision until {date_and_clock(pause.expires_at)}." if pause.expires_at else ""
    tally = pause.tally()
    return [
        section(pause.text()),
        *([markdown_context(tally)] if tally else []),
        *([context(expires)] if expires else []),
        buttons,
    ]


def decided_blocks(pause: Pause, outcome: str, reason: str = "") -> list[Block]:
    """The pause message after the decision: no buttons; who decided, how, when and why."""
    why = [markdown_context(f"Reason: {escape(reason)}")] if reason else []
    return [section(pause.text()), context(outcome), *why]


def markdown_context(text: str) -> ContextBlock:
    """A context line of the bot's own mrkdwn (dynamic parts escaped by the caller)."""
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text), verbatim=True)])


def decision_line(action: str, by: str, via: str, at: str, *, already: bool = False) -> str:
    verb = _PAST.get(action, action or "Decided")
    line = f"{verb} by {by} via {via} at {clock(at)}"
    return f"Already {line[0].lower()}{line[1:]}" if already else line


EXPIRED_LINE = "This pause expired before anyone decided; nothing changed."
