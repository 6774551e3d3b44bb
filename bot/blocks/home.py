"""The App Home tab (``views.publish``), for the accounts of the channels the user is in: "Waiting
for you" (with the pause buttons), "Running", "Awaiting failback" (recoveries whose production still
runs in the recovery region, where each stands and the command that shows its failback), "Recent"
(outcome, measured RTO when the execution has one, how to get its report). Slack allows a home tab
100 blocks: each part is capped and says how many more there are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import Block, DividerBlock
from slack_sdk.models.views import View

from bot.blocks.common import context, header, markdown, section, sections
from bot.blocks.executions import (
    STATUS_ICONS,
    Pause,
    clock,
    date_and_clock,
    markdown_context,
    pause_blocks,
)
from handlers.models.events import mode_label
from handlers.models.execution import Execution


@dataclass(frozen=True)
class Waiting:
    execution: Execution
    pause: Pause
    channel: str  # where its buttons act ("": no channel is bound to its account; no buttons)


@dataclass
class Home:
    waiting: list[Waiting] = field(default_factory=list)
    running: list[Execution] = field(default_factory=list)
    recent: list[Execution] = field(default_factory=list)
    homebound: list[Execution] = field(default_factory=list)  # recoveries not yet failed back
    accounts: list[str] = field(default_factory=list)
    problem: str = ""  # why no account is shown (Slack did not list the user's channels)


HOME_BLOCKS = 100
MAX_WAITING = 25  # at most 3 blocks each
MAX_RUNNING = 30
MAX_HOMEBOUND = 10
# where a recovery stands on its way home, as the App Home says it (docs/failback.md)
HOMEBOUND_STATES = {
    "": "not reversed yet",
    "REVERSING": "reversing replication",
    "READY": "ready to fail back",
}
HOME_PREFIX = "home:"  # block id of a Home pause's buttons: home:<channel>:<executionId>:<wave>


def home_view(home: Home, command: str = "/dr", note: str = "") -> View:
    """The home tab; ``note`` (escaped mrkdwn) on top says what the user's last click did."""
    blocks: list[Block] = [header("Disaster recovery")]
    scope = ", ".join(home.accounts) or f"none (an operator binds a channel: {command} account <id>)"
    blocks.append(context(home.problem or f"Accounts of the channels you are in: {scope}"))
    if note:  # the bot's own mrkdwn, escaped by whoever wrote it
        blocks.append(markdown(note))
    blocks += [header("Waiting for you"), *waiting_blocks(home.waiting, command)]
    blocks += [DividerBlock(), header("Running"), *running_blocks(home.running)]
    if home.homebound:
        blocks += [DividerBlock(), header("Awaiting failback"), *homebound_blocks(home.homebound, command)]
    blocks += [DividerBlock(), header("Recent"), *recent_blocks(home.recent, command)]
    return View(type="home", blocks=fit(blocks))


def waiting_blocks(waiting: list[Waiting], command: str) -> list[Block]:
    if not waiting:
        return [context("Nothing is waiting for you.")]
    blocks: list[Block] = []
    for item in waiting[:MAX_WAITING]:
        execution = item.execution
        if item.channel:
            prefix = f"{HOME_PREFIX}{item.channel}:"
            shown = pause_blocks(item.pause, execution.executionId, block_prefix=prefix)
        else:
            where = f"{command} status {execution.executionId} in a channel bound to {execution.accountId}"
            shown = [section(item.pause.text()), context(f"Decide it with {where}.")]
        shown[0] = section(f"{item.pause.text()} {mode_label(execution.isDrill)} in {execution.accountId}.")
        blocks += [b for b in shown if not _is_expiry(b)]
    if len(waiting) > MAX_WAITING:
        blocks.append(context(f"and {len(waiting) - MAX_WAITING} more waiting: {command} status lists them"))
    return blocks


def _is_expiry(block: Block) -> bool:
    data: dict[str, Any] = block.to_dict()
    return data.get("type") == "context" and "Waiting for a decision until" in str(data)


def running_blocks(running: list[Execution]) -> list[Block]:
    if not running:
        return [context("No execution is running.")]
    lines = [running_line(e) for e in running[:MAX_RUNNING]]
    more = [context(f"and {len(running) - MAX_RUNNING} more running")] if len(running) > MAX_RUNNING else []
    return [*sections(lines), *more]


def running_line(execution: Execution) -> str:
    icon = STATUS_ICONS.get(execution.status, "•")
    done = sum(1 for w in execution.waves if w.status in ("COMPLETED", "SKIPPED"))
    return (
        f"{icon} {mode_label(execution.isDrill)}: {execution.planName} · {execution.status} · "
        f"{done}/{len(execution.waves)} waves done · started by {execution.startedBy} at "
        f"{clock(execution.startTime)} · {execution.executionId}"
    )


def homebound_blocks(homebound: list[Execution], command: str) -> list[Block]:
    lines = [homebound_line(e, command) for e in homebound[:MAX_HOMEBOUND]]
    more = len(homebound) - MAX_HOMEBOUND
    return [
        *sections(lines),
        *([context(f"and {more} more recoveries awaiting failback")] if more > 0 else []),
    ]


def homebound_line(execution: Execution, command: str) -> str:
    status = execution.failback.status if execution.failback else ""
    ended = date_and_clock(execution.endTime) if execution.endTime else "?"
    return (
        f"↩ {execution.planName} · recovered at {ended} in {execution.accountId} · "
        f"{HOMEBOUND_STATES.get(status, status)} · {command} failback {execution.executionId}"
    )


def recent_blocks(recent: list[Execution], command: str) -> list[Block]:
    if not recent:
        return [context("Nothing has finished yet.")]
    return [*sections(recent_line(e, command) for e in recent)]


def recent_line(execution: Execution, command: str) -> str:
    icon = STATUS_ICONS.get(execution.status, "•")
    ended = date_and_clock(execution.endTime) if execution.endTime else "?"
    rto = rto_text(getattr(execution, "rto", None))
    return (
        f"{icon} {mode_label(execution.isDrill)}: {execution.planName} · {execution.status} at {ended}"
        f"{' · ' + rto if rto else ''} · report: {command} report {execution.executionId}"
    )


def rto_text(rto: Any) -> str:
    """``RTO 12m 30s (target met)`` from an execution's measured RTO, if it has one."""
    if rto is None:
        return ""
    fields: dict[str, Any] = rto if isinstance(rto, dict) else getattr(rto, "__dict__", {})
    seconds = fields.get("measuredSeconds")
    if not isinstance(seconds, int | float):
        return ""
    minutes, rest = divmod(int(seconds), 60)
    met = fields.get("met")
    verdict = " (target met)" if met is True else " (target missed)" if met is False else ""
    return f"RTO {minutes}m {rest:02d}s{verdict}"


def fit(blocks: list[Block]) -> list[Block]:
    """At most Slack's 100 home-tab blocks; the last says how many were left out."""
    if len(blocks) <= HOME_BLOCKS:
        return blocks
    kept = blocks[: HOME_BLOCKS - 1]
    return [*kept, markdown_context(f"and {len(blocks) - len(kept)} more blocks not shown")]
