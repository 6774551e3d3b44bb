"""The App Home tab: ``app_home_opened`` publishes the user's home (``views.publish``) lazily, with
only the accounts of the channels the user is a member of (``users.conversations``, every page). If
Slack does not list them, the home shows no account and says why (it never falls back to all)."""

from __future__ import annotations

from typing import Any

import pydantic
from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.blocks.home import HOME_PREFIX, Home, home_view
from bot.home import gather
from bot.listeners.common import Respond
from bot.payloads import HomeOpened
from handlers.core.observability import count, logger
from handlers.core.settings import get_settings


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
    try:
        home = gather(user_id, member_channels(client, user_id))
    except SlackClientError as exc:
        count("SlackHomeChannelsUnread")
        error = exc.response.get("error", "") if isinstance(exc, SlackApiError) else type(exc).__name__
        home = Home(problem=f"Slack did not list your channels ({error}), so no account is shown.")
    view = home_view(home, get_settings().slack_command, note)
    try:
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        count("SlackHomeNotPublished")
        logger.warning("home tab not published", extra={"error": str(exc.response.get("error", ""))})


CHANNEL_TYPES = "public_channel,private_channel"
MAX_CHANNEL_PAGES = 50  # 1,000 channels a page: far more than anyone is in


def member_channels(client: WebClient, user_id: str) -> list[str]:
    """The public and private channels ``user_id`` is a member of, every page (Slack's cursor)."""
    channels: list[str] = []
    cursor = ""
    for _ in range(MAX_CHANNEL_PAGES):
        page = client.users_conversations(
            user=user_id, types=CHANNEL_TYPES, exclude_archived=True, limit=1000, cursor=cursor or None
        )
        channels += [str(c["id"]) for c in page.get("channels") or [] if isinstance(c, dict) and c.get("id")]
        cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            break
    return channels


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
