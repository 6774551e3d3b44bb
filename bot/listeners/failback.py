"""The failback view's "Start failback" button (``failback_start``, behind Slack's confirm dialog):
operators only, in the account the channel is bound to (another account's execution is not found);
anyone else gets an ephemeral refusal naming the operators. The view it was pressed on is replaced by
the start, told in the channel (bot/failback.py)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot import failback, ids
from bot.blocks.common import Reply
from bot.listeners.common import Respond, answer, not_allowed, user_from_body


def register(app: App) -> None:
    app.action(ids.FAILBACK_START)(ack=acknowledge, lazy=[start])


def acknowledge(ack: Ack) -> None:
    ack()


def start(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
    user = user_from_body(body)

    def work() -> Reply:
        refusal = not_allowed(user, failback.START)
        if refusal:
            return refusal
        reply = failback.start(user, str(action.get("value", "")))
        respond(delete_original=True)
        return reply

    answer(respond, work)
