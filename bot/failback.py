"""Failback from Slack (docs/failback.md): ``/dr reprotect <executionId>`` (reverse replication of a
RECOVERY's recovery instances, or re-protect after a FAILBACK), ``/dr failback <executionId>`` (the
failback view) and what the view's "Start failback" button does (bot/listeners/failback.py).

Each calls the service every channel shares (handlers/failback/cycle.py) as the channel's account:
another account's execution is not found, a drill or a run that did not succeed is refused before
DRS is called. Reversing and starting change things, so they are the operators'; reading the view is
everyone's. The FAILBACK a press starts is production: a plan naming approvers holds it before
wave 1 for the plan's recovery quorum, exactly as a RECOVERY's start (the starter's own vote does not
count when the quorum is more than one)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.access import operators_may
from bot.blocks.common import Reply, section
from bot.blocks.failback import failback_view_blocks
from bot.identity import caller_for, person_for
from handlers.failback import cycle

if TYPE_CHECKING:
    from bot.identity import SlackUser
    from bot.parsing import Command

REVERSE = operators_may("reverse replication or re-protect")
START = operators_may("start a failback")


def reprotect(user: SlackUser, command: Command) -> Reply:
    """``/dr reprotect <executionId>``: reverse each EC2-origin instance once (a RECOVERY), or
    re-protect the origin (a FAILBACK that SUCCEEDED); the view after."""
    view = cycle.reverse_replication(caller_for(user), command.target)
    return view_reply(user, view)


def show_failback(user: SlackUser, command: Command) -> Reply:
    """``/dr failback <executionId>``: each server's state; the start button once all are ready."""
    view = cycle.get_failback(caller_for(user), command.target)
    return view_reply(user, view)


def view_reply(user: SlackUser, view: dict[str, Any]) -> Reply:
    ready = sum(1 for s in view.get("servers", []) if s.get("ready"))
    text = (
        f"Failback of {view.get('planName', '')} ({view['executionId']}): {view['status']}, "
        f"{ready} of {len(view.get('servers', []))} server(s) ready"
    )
    return Reply(text, failback_view_blocks(view, user.command))


def start(user: SlackUser, execution_id: str) -> Reply:
    """The "Start failback" button: a FAILBACK execution, told in the channel. Refusals (not ready,
    started already by someone else) are the service's, naming the servers or the execution."""
    execution = cycle.start_failback(person_for(user), execution_id)
    held = (
        " It waits for the plan's approvers before wave 1 (the recovery quorum)."
        if execution.startApproval
        else ""
    )
    text = (
        f"{user.principal} started a FAILBACK of {execution.planName} (recovery {execution_id}).{held} "
        f"Progress: {user.command} status {execution.executionId}"
    )
    return Reply(text, [section(text)], in_channel=True)
