"""Failback in Slack: the event lines of the execution's thread and the failback view of
``/dr failback <executionId>`` and ``/dr reprotect <executionId>`` (each server, and the "Start
failback" button, behind Slack's confirm dialog, once every server can fail back). The button
starts a FAILBACK execution, whose start waits for the plan's recovery quorum like a RECOVERY's
(handlers/failback/cycle.py). Everything DRS or a user wrote (plan name, DRS's messages, states) is
escaped before it goes into mrkdwn."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject

from bot import ids
from bot.blocks.common import context, escape, markdown, plain
from handlers.models.events import ExecutionEvent

MAX_LISTED = 20  # servers listed in the view (the rest counted)


def failback_line(event: ExecutionEvent) -> str | None:
    """The thread line of a failback event."""
    if event.eventType == "failback_ready":
        return f"🏠 Ready to fail back: {event.message}. `/dr failback {event.executionId}`"
    if event.eventType == "failback_started":
        by = f" by {event.decidedBy}" if event.decidedBy else ""
        why = f": {event.reason}" if event.reason else ""
        return f"🔙 Failback started{by}{why} ({event.message})"
    if event.eventType == "failback_completed":
        return (
            f"🏁 Failback completed ({event.message}); re-protect with `/dr reprotect <failback execution>`"
        )
    return None


def _server_line(server: dict[str, Any]) -> str:
    mark = "✅" if server.get("ready") else "⏳"
    target = escape(str(server.get("reversedSourceServerId") or server.get("recoveryInstanceId") or ""))
    state = escape(str(server.get("state") or server.get("reversal") or "not reversed"))
    message = f" ({escape(str(server['message']))})" if server.get("message") else ""
    source, origin = escape(str(server["sourceServerId"])), escape(str(server["origin"]))
    return f"{mark} `{source}` {origin} → `{target}`: {state}{message}"


def view_header(view: dict[str, Any]) -> str:
    """The view's first line, in mrkdwn (escaped)."""
    mode = "Re-protect" if view.get("mode") == "FAILBACK" else "Failback"
    header = (
        f"*{mode} of {escape(str(view.get('planName', '')))}* "
        f"(`{escape(str(view['executionId']))}`): *{escape(str(view['status']))}*"
    )
    if view.get("failbackExecutionId"):
        header += f", FAILBACK execution `{escape(str(view['failbackExecutionId']))}`"
    if view.get("failbackOf"):
        header += f", failing back `{escape(str(view['failbackOf']))}`"
    return header


def failback_view_blocks(view: dict[str, Any], command: str = "/dr") -> list[Block]:
    """The failback view: status, each server, and the button when it is READY."""
    servers = view.get("servers", [])
    lines = [_server_line(s) for s in servers[:MAX_LISTED]]
    if len(servers) > MAX_LISTED:
        lines.append(f"… and {len(servers) - MAX_LISTED} more")
    blocks: list[Block] = [markdown(view_header(view)), markdown("\n".join(lines) or "no server")]
    if view.get("ready"):
        blocks.append(ActionsBlock(elements=[start_button(view)]))
    elif view.get("status") in ("", "REVERSING"):
        waiting = ", ".join(str(i) for i in view.get("notReady", [])[:5])
        blocks.append(
            context(
                f"Not ready yet: {waiting or 'see above'}. "
                f"{command} failback {view['executionId']} reads again."
            )
        )
    elif view.get("status") == "FAILED_BACK":
        blocks.append(
            context(f"Re-protect: {command} reprotect {view['failbackExecutionId']} (the FAILBACK execution)")
        )
    return blocks


def start_button(view: dict[str, Any]) -> ButtonElement:
    """ "Start failback": value = the RECOVERY's execution id; Slack asks to confirm first."""
    count = len(view.get("servers", []))
    question = (
        f"Fail {count} server(s) of {view.get('planName', '')} back to their origin? This starts a "
        "FAILBACK execution of the plan's waves; a plan naming approvers waits for its recovery "
        "quorum before wave 1."
    )
    return ButtonElement(
        text="Start failback",
        action_id=ids.FAILBACK_START,
        value=str(view["executionId"]),
        style="danger",
        confirm=ConfirmObject(
            title="Start failback?", text=plain(question, 300), confirm="Start failback", deny="Go back"
        ),
    )
