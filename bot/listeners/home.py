"""The App Home tab: ``app_home_opened`` publishes the user's home (``views.publish``) lazily."""

from __future__ import annotations

from typing import Any

import pydantic
from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.home import HOME_PREFIX, home_view
from bot.home import gather
from bot.listeners.common import Respond
from bot.payloads import HomeOpened
from handlers.observability import count, logger
from handlers.settings import get_settings


def register(app: App) -> None:
    app.event("app_home_opened")(ack=acknowledge, lazy=[publish])


def acknowledge(ack: Ack) -> None:
    ack()


def publish(event: dict[str, Any], client: WebClient) -> None:
    try:
        opened = HomeOpened.model_validate(event)
    except pydantic.ValidationError:
        count("SlackMalformedPayload")
        logger.warning("app_home_opened without a readable user; ignored")
        return
    if opened.tab == "home":
        publish_home(client, opened.user)


def publish_home(client: WebClient, user_id: str, note: str = "") -> None:
    """Publish ``user_id``'s home now (after a click there, with ``note``, escaped mrkdwn, on top)."""
    view = home_view(gather(user_id), get_settings().slack_command, note)
    try:
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        count("SlackHomeNotPublished")
        logger.warning("home tab not published", extra={"error": str(exc.response.get("error", ""))})


def home_note(client: WebClient, user_id: str) -> Respond:
    def note(**reply: Any) -> None:
        publish_home(client, user_id, str(reply.get("text") or ""))

    return note


def home_channel(block_id: str) -> str:
    """The channel a pause button in the App Home acts through (its block id names it: a home tab
    is in no channel); "" for a button in a channel."""
    if not block_id.startswith(HOME_PREFIX):
        return ""
    return block_id.removeprefix(HOME_PREFIX).split(":", 1)[0]
