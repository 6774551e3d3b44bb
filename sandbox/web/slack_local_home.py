"""The back end of ``/slack-local``'s Home tab, one per sandbox user: opening it sends the signed
``app_home_opened`` event Slack would send (the bot answers with ``views.publish``, recorded by the
fake Slack per user), the page reads the published view, and a button in it becomes the signed
``block_actions`` of a click in a home tab (a view, no channel)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.data import slack_requests
from sandbox.data.names import SLACK_USERS
from sandbox.web.web_host import SlackLocalHost

Role = Literal["operator", "viewer", "approver"]
Send = Callable[[dict[str, str], bytes], tuple[int, dict[str, str], bytes]]
Reply = tuple[int, dict[str, Any]]


class HomeInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=3000)
    user: Role = "operator"


class HomeActionInput(HomeInput):
    """A button click in the user's published home tab."""

    actionId: str = Field(min_length=1, max_length=255)
    blockId: str = Field(default="", max_length=255)
    value: str = Field(default="", max_length=2000)
    text: str = Field(default="", max_length=255)


def _bot_failed(status: int, raw: bytes) -> Reply:
    detail = raw.decode("utf-8", "replace")[:300] or "no details"
    message = f"the bot answered {status}: {detail} (the sandbox log has the details)"
    return 502, {"ok": False, "error": "BOT_ERROR", "message": message, "botStatus": status}


def open_home(sandbox: SlackLocalHost, send: Send, request: HomeInput) -> Reply:
    """The user opened the Home tab: the signed event (JSON, as Slack sends events)."""
    body = slack_requests.app_home_opened(user_id=SLACK_USERS[request.user])
    headers = slack_requests.signed_headers(sandbox.signing_secret, body, content_type="application/json")
    status, _, raw = send(headers, body.encode())
    return (200, {"ok": True, "status": status}) if status == 200 else _bot_failed(status, raw)


def home_view(sandbox: SlackLocalHost, request: HomeInput) -> Reply:
    """What the bot last published as this user's home (None until it has)."""
    return 200, {"ok": True, "view": sandbox.slack.home(SLACK_USERS[request.user])}


def home_action(sandbox: SlackLocalHost, send: Send, request: HomeActionInput) -> Reply:
    user_id = SLACK_USERS[request.user]
    view = sandbox.slack.home(user_id)
    if view is None:
        return 404, {"ok": False, "error": "NOT_FOUND", "message": f"nothing is published for {request.user}"}
    action = slack_requests.button(request.actionId, request.blockId, request.value, request.text)
    body = slack_requests.home_block_actions(
        user_id=user_id, user_name=f"sandbox-{request.user}", view=view, action=action
    )
    status, _, raw = send(slack_requests.signed_headers(sandbox.signing_secret, body), body.encode())
    return (200, {"ok": True, "status": status}) if status == 200 else _bot_failed(status, raw)


def as_json(reply: Reply) -> tuple[int, dict[str, str], bytes]:
    status, value = reply
    return status, {"Content-Type": "application/json"}, json.dumps(value, default=str).encode()
