"""The slash command (``/dr``, configurable), dispatched through ``bot/subcommand_table.py``. The
ack answers at once what needs no AWS call (bad input, help, refusals); everything else is answered
by the lazy listener through ``respond``."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.blocks.common import Reply
from bot.identity import SlackUser
from bot.listeners.common import Respond, answer, not_allowed, user_from_command
from bot.parsing import Command, ParseError
from bot.subcommand_table import Outcome, explain, parse, subcommand
from handlers.core.settings import get_settings


def register(app: App) -> None:
    app.command(get_settings().slack_command)(ack=acknowledge, lazy=[respond_to_command])


def triage(text: str, user: SlackUser) -> tuple[Command | None, Reply | None]:
    """Pure and fast: the command to run lazily, or the reply the ack itself gives."""
    try:
        command = parse(text)
    except ParseError as exc:
        return None, Reply(explain(exc, user.command))
    row = subcommand(command.name)
    refusal = not_allowed(user, row.permission)
    if refusal:
        return None, refusal
    if row.in_ack:
        reply = row.handle(user, command)
        if not isinstance(reply, Reply):  # a form needs the lazy listener's client
            raise TypeError(f"{row.name} is answered in the ack: its handler must return a Reply")
        return None, reply
    return command, None


def acknowledge(ack: Ack, command: dict[str, Any]) -> None:
    _, immediate = triage(str(command.get("text", "")), user_from_command(command))
    if immediate is None:
        ack()
    else:
        ack(**immediate.payload())


def respond_to_command(command: dict[str, Any], respond: Respond, client: WebClient) -> None:
    user = user_from_command(command)
    parsed, immediate = triage(str(command.get("text", "")), user)
    if parsed is None or immediate is not None:
        return  # the ack already answered
    handle = subcommand(parsed.name).handle
    trigger_id = str(command.get("trigger_id", ""))
    answer(respond, lambda: show(handle(user, parsed), client, trigger_id))


def show(outcome: Outcome, client: WebClient, trigger_id: str) -> Reply | None:
    """A reply goes back through ``respond``; a form is opened (and nothing is said)."""
    if isinstance(outcome, View):
        client.views_open(trigger_id=trigger_id, view=outcome)
        return None
    return outcome
