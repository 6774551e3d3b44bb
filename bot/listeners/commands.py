"""The slash command (``/dr``, configurable). The ack answers at once what needs no AWS call (bad
input, help, refusals); everything else is answered by the lazy listener through ``respond``."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks.common import Reply
from bot.blocks.modal import plan_create_view
from bot.listeners.common import Respond, answer, user_from_command
from bot.lookup import all_groups
from bot.parsing import Command, ParseError, help_text, parse
from bot.subcommands import SUBCOMMANDS, SlackUser, caller_for, not_allowed
from handlers.settings import get_settings

_WHAT = {
    "plan create": "create plans",
    "run": "start executions",
    "cancel": "cancel executions",
    "subscribe": "change subscriptions",
    "unsubscribe": "change subscriptions",
    "account set": "set the channel's account",
}


def register(app: App) -> None:
    app.command(get_settings().slack_command)(ack=acknowledge, lazy=[respond_to_command])


def triage(text: str, user: SlackUser) -> tuple[Command | None, Reply | None]:
    """Pure and fast: the command to run lazily, or the reply the ack itself gives."""
    try:
        command = parse(text)
    except ParseError as exc:
        return None, Reply(exc.explain(user.command))
    if command.name == "help":
        return None, Reply(help_text(user.command))
    if command.changes_things:
        refusal = not_allowed(user, _WHAT[command.name])
        if refusal:
            return None, refusal
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
    if parsed.name == "plan create":
        answer(respond, lambda: open_plan_form(user, str(command.get("trigger_id", "")), client))
    else:
        answer(respond, lambda: SUBCOMMANDS[parsed.name](user, parsed))


def open_plan_form(user: SlackUser, trigger_id: str, client: WebClient) -> Reply | None:
    groups = all_groups(caller_for(user))
    if not groups:
        return Reply("There are no protection groups in this channel's account: create one first.")
    client.views_open(trigger_id=trigger_id, view=plan_create_view(groups, user.channel_id))
    return None
