"""Failback in Slack: the event lines of the execution's thread and the failback view of
``/dr failback <executionId>`` (each server, and the "Start failback" button once every server can
fail back). The button starts a FAILBACK execution, whose start waits for the plan's recovery
quorum like a RECOVERY's (handlers/failback/cycle.py)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from handlers.models.events import ExecutionEvent

START_FAILBACK = "failback_start"  # the action id of the "Start failback" button
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
    target = server.get("reversedSourceServerId") or server.get("recoveryInstanceId")
    state = server.get("state") or server.get("reversal") or "not reversed"
    message = f" ({server['message']})" if server.get("message") else ""
    return f"{mark} `{server['sourceServerId']}` {server['origin']} → `{target}`: {state}{message}"


def failback_view_blocks(view: dict[str, Any]) -> list[Block]:
    """The failback view: status, each server, and the button when it is READY."""
    servers = view.get("servers", [])
    lines = [_server_line(s) for s in servers[:MAX_LISTED]]
    if len(servers) > MAX_LISTED:
        lines.append(f"… and {len(servers) - MAX_LISTED} more")
    header = f"*Failback of {view.get('planName', '')}* (`{view['executionId']}`): *{view['status']}*"
    if view.get("failbackExecutionId"):
        header += f", FAILBACK execution `{view['failbackExecutionId']}`"
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=header)),
        SectionBlock(text=MarkdownTextObject(text="\n".join(lines)[:2900] or "no server")),
    ]
    if view.get("ready"):
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Start failback",
                        action_id=START_FAILBACK,
                        value=str(view["executionId"]),
                        style="danger",
                    )
                ]
            )
        )
    else:
        waiting = ", ".join(view.get("notReady", [])[:5])
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=f"Not ready yet: {waiting or 'see above'}")])
        )
    return blocks
