"""Drill cleanup buttons: ``drill_cleanup`` (a finished drill's message, ``/dr cleanup``, the
cleanup reminder; Slack's confirm dialog comes first) and ``drill_keep`` (the reminder). Operators
only, in the account the channel is bound to (another account's execution is not found); anyone
else gets an ephemeral refusal naming the operators. The clicked message is updated in place."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot import ids
from bot.blocks.common import Reply, context, escape, section
from bot.blocks.executions import cleanup_line, date_and_clock, status_blocks, status_text
from bot.identity import SlackUser, caller_for
from bot.listeners.common import Respond, answer, not_allowed, user_from_body
from bot.subcommand_table import subcommand
from handlers.cleanup import cleanup, cleanup_schedule
from handlers.core.observability import logger
from handlers.models.events import ExecutionSnapshot


def register(app: App) -> None:
    app.action(ids.DRILL_CLEANUP)(ack=acknowledge, lazy=[clean_up])
    app.action(ids.DRILL_KEEP)(ack=acknowledge, lazy=[keep])


def acknowledge(ack: Ack) -> None:
    ack()


def clean_up(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond) -> None:
    user = user_from_body(body)
    answer(respond, lambda: _clean_up(user, str(action.get("value", "")), body, client))


def _clean_up(user: SlackUser, execution_id: str, body: dict[str, Any], client: WebClient) -> Reply | None:
    refusal = not_allowed(user, subcommand("cleanup").permission)
    if refusal:
        return refusal
    execution = cleanup.cleanup_execution(caller_for(user), execution_id)
    snapshot = ExecutionSnapshot.of(execution)
    line = cleanup_line(snapshot)
    if _is_parent(body, execution_id):
        blocks = status_blocks(snapshot)
        return _update(body, client, status_text(snapshot), blocks, fallback=line)
    return _update(body, client, line, [section(line)], fallback=line)


def keep(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond) -> None:
    user = user_from_body(body)
    answer(respond, lambda: _keep(user, str(action.get("value", "")), body, client))


def _keep(user: SlackUser, execution_id: str, body: dict[str, Any], client: WebClient) -> Reply | None:
    refusal = not_allowed(user, subcommand("cleanup").permission)
    if refusal:
        return refusal
    kept = cleanup_schedule.keep_drill(caller_for(user), execution_id)
    due = date_and_clock(kept.cleanupDueAt)
    line = f"⏳ Kept by {user.principal}: the drill's recovery instances are cleaned up at {due}."
    return _update(body, client, line, [section(line)], fallback=line)


def _is_parent(body: dict[str, Any], execution_id: str) -> bool:
    """Whether the clicked message is the execution's status message (its blocks say so)."""
    blocks = (body.get("message") or {}).get("blocks") or []
    return any(b.get("block_id") == f"cleanup:{execution_id}" for b in blocks if isinstance(b, dict))


def _update(
    body: dict[str, Any], client: WebClient, text: str, blocks: list[Any], *, fallback: str
) -> Reply | None:
    """Show the outcome in the clicked message; an ephemeral one (a command's reply) is answered."""
    container = body.get("container") or {}
    if container.get("is_ephemeral") or not container.get("message_ts"):
        return Reply(fallback, [section(fallback)])
    try:
        client.chat_update(
            channel=str(container.get("channel_id", "")),
            ts=str(container["message_ts"]),
            text=escape(text),
            blocks=[b.to_dict() for b in blocks],
        )
    except SlackClientError as exc:  # it happened: tell the clicker instead
        logger.warning("cleanup message not updated", extra={"error": type(exc).__name__})
        return Reply(fallback, [section(fallback), context("(the message could not be updated)")])
    return None
