"""Options for the ``plan create`` modal's group pickers (``block_suggestion``): the groups of the
channel's account matching what the user typed. Answered in the ack, as Slack requires (there is
no lazy path for options); a channel without an account gets no options."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot import ids
from bot.blocks.modal import group_options
from bot.identity import NoAccountError, caller_for
from bot.listeners.common import user_from_body
from bot.lookup import all_groups


def register(app: App) -> None:
    app.options(ids.WAVE_GROUP)(offer_groups)


def offer_groups(ack: Ack, body: dict[str, Any]) -> None:
    channel = str((body.get("view") or {}).get("private_metadata", ""))
    try:
        groups = all_groups(caller_for(user_from_body(body, channel)))
    except NoAccountError:
        groups = []
    ack(options=[o.to_dict() for o in group_options(groups, str(body.get("value") or ""))])
