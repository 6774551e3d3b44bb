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
from handlers.models.events import ExecutionSnapshot, WaveSummary
from handlers.models.execution import Execution, Vote
from handlers.timestamps import parse_iso

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
_PAST = {"resume": "Resumed", "cancel": "Cancelled"}


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
    blocks += sections(wave_line(w) for w in execution.waves)
    if execution.statusReason:
        blocks.append(context(f"Reason: {execution.statusReason}"))
    return blocks


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
    quorum: int = 1
    votes: tuple[Vote, ...] = ()
    waiting_for: tuple[str, ...] = ()

    def text(self) -> str:
        return f"⏸️ {self.plan_name} is paused before wave {self.wave_number} ({self.group_name})."

    def tally(self) -> str:
        """``1 of 2 approvals: @alice (reason) · waiting for @bob or @carol`` (mrkdwn, user text
        escaped); empty for a quorum of 1 nobody has voted on, which shows as it always did."""
        resumes = [v for v in self.votes if v.action == "resume"]
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
    """The approvers who have not voted (a vote names its voter by id or ``@name``)."""
    voters = " ".join(v.by for v in votes)
    return tuple(a for a in approvers if a not in voters)


def pause_of_execution(execution: Execution, approvers: list[str]) -> Pause | None:
    """The open pause of ``execution`` with its votes so far, or None when it has none."""
    pending = execution.pendingApproval
    if execution.status != "PAUSED" or pending is None:
        return None
    names = {w.waveNumber: w.protectionGroupName for w in execution.waves}
    return Pause(
        execution.planName,
        pending.waveNumber,
        names.get(pending.waveNumber, ""),
        pending.expiresAt,
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
    """The pause message: Resume / Cancel buttons (value: ``pause_value``), Cancel behind a confirm."""
    confirm = ConfirmObject(
        title="Cancel the execution?",
        text=plain(f"This cancels {pause.plan_name}: no further waves will start.", 300),
        confirm="Cancel execution",
        deny="Keep it paused",
        style="danger",
    )
    value = pause_value(execution_id, pause.wave_number)
    buttons = ActionsBlock(
        block_id=f"{block_prefix}{value}",  # unique when /dr status lists several pauses in one message
        elements=[
            ButtonElement(text="Resume", action_id=ids.APPROVAL_RESUME, value=value, style="primary"),
            ButtonElement(
                text="Cancel",
                action_id=ids.APPROVAL_CANCEL,
                value=value,
                style="danger",
                confirm=confirm,
            ),
        ],
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
