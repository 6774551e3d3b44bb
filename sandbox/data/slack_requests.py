"""Slack requests as Slack itself would send them to ``/slack/events``: signed, form-encoded.

Used by ``/slack-local`` (the page's command box, buttons and modals) and by ``drs-chatops demo``.
Signature: ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}`` with the signing secret, in
``X-Slack-Signature``, the timestamp in ``X-Slack-Request-Timestamp`` (Slack's scheme, which the
bot's Bolt app verifies). :func:`origin` reads the other way: which channel and user a signed
request came from."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode

from slack_sdk.signature import SignatureVerifier

TEAM = {"id": "T0SANDBOX", "domain": "sandbox"}
CHANNEL_NAME = "dr-sandbox"
API_APP_ID = "A0SANDBOX"


def signed_headers(
    secret: str,
    body: str,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots) sandbox",
    }


def trigger_id() -> str:
    return f"{int(time.time())}.sandbox.{secrets.token_hex(8)}"


def slash_command(
    *,
    text: str,
    user_id: str,
    user_name: str,
    channel: str,
    response_url: str,
    command: str = "/dr",
    channel_name: str = CHANNEL_NAME,
) -> str:
    """The form body of a slash command invocation."""
    return urlencode(
        {
            "token": "sandbox-verification-token",
            "team_id": TEAM["id"],
            "team_domain": TEAM["domain"],
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id(),
        }
    )


def _user(user_id: str, user_name: str) -> dict[str, str]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": TEAM["id"]}


def button(action_id: str, block_id: str, value: str, text: str = "") -> dict[str, Any]:
    """A clicked button as ``block_actions`` carries it (``text``: its label; the action id if none)."""
    return {
        "type": "button",
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "text": {"type": "plain_text", "text": text or action_id},
    }


def block_actions(
    *,
    user_id: str,
    user_name: str,
    message: dict[str, Any],
    action: dict[str, Any],
    response_url: str,
    channel_name: str = CHANNEL_NAME,
) -> str:
    """The form body (``payload=<json>``) of a click on ``action`` in ``message``."""
    channel, ts = str(message["channel"]), str(message["ts"])
    ephemeral = message.get("kind") != "message"
    payload = {
        "type": "block_actions",
        "user": _user(user_id, user_name),
        "api_app_id": API_APP_ID,
        "token": "sandbox-verification-token",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": ephemeral},
        "trigger_id": trigger_id(),
        "team": TEAM,
        "channel": {"id": channel, "name": channel_name},
        "message": {
            "type": "message",
            "ts": ts,
            "text": message.get("text", ""),
            "blocks": message.get("blocks", []),
        },
        "response_url": response_url,
        "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
        "state": {"values": {}},
    }
    return urlencode({"payload": json.dumps(payload)})


def view_submission(*, user_id: str, user_name: str, view: dict[str, Any], values: dict[str, Any]) -> str:
    """The form body of a modal's submission, with the filled-in ``values`` as ``view.state``."""
    submitted = {**view, "state": {"values": values}, "team_id": TEAM["id"], "app_id": API_APP_ID}
    payload = {
        "type": "view_submission",
        "team": TEAM,
        "user": _user(user_id, user_name),
        "api_app_id": API_APP_ID,
        "token": "sandbox-verification-token",
        "trigger_id": trigger_id(),
        "view": submitted,
        "response_urls": [],
    }
    return urlencode({"payload": json.dumps(payload)})


def block_suggestion(
    *, user_id: str, user_name: str, view: dict[str, Any], action_id: str, block_id: str, value: str
) -> str:
    """The form body of an external select asking for its options (``value``: what was typed)."""
    payload = {
        "type": "block_suggestion",
        "user": _user(user_id, user_name),
        "container": {"type": "view", "view_id": view.get("id", "")},
        "api_app_id": API_APP_ID,
        "token": "sandbox-verification-token",
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": TEAM,
        "view": {**view, "team_id": TEAM["id"], "app_id": API_APP_ID},
    }
    return urlencode({"payload": json.dumps(payload)})


def app_home_opened(*, user_id: str) -> str:
    """The JSON body of the Events API's ``app_home_opened`` (the user opened the app's Home tab);
    sent with ``Content-Type: application/json``, as Slack sends events."""
    event = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": f"D{user_id[1:]}"[:11],
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }
    return json.dumps(
        {
            "token": "sandbox-verification-token",
            "team_id": TEAM["id"],
            "api_app_id": API_APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{secrets.token_hex(6).upper()}",
            "event_time": int(time.time()),
        }
    )


def home_block_actions(*, user_id: str, user_name: str, view: dict[str, Any], action: dict[str, Any]) -> str:
    """The form body of a click in a user's Home tab: a view container, no channel, no response_url."""
    payload = {
        "type": "block_actions",
        "user": _user(user_id, user_name),
        "api_app_id": API_APP_ID,
        "token": "sandbox-verification-token",
        "container": {"type": "view", "view_id": view.get("id", "")},
        "trigger_id": trigger_id(),
        "team": TEAM,
        "view": {**view, "team_id": TEAM["id"], "app_id": API_APP_ID},
        "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
    }
    return urlencode({"payload": json.dumps(payload)})


def origin(secret: str, headers: Mapping[str, str], body: bytes) -> tuple[str, str, str] | None:
    """``(channel id, user id, channel name)`` of a slash command or an interaction in a channel
    signed with ``secret``; None for anything else: a bad or stale signature, an event, a modal's
    submission (no channel)."""
    lower = {k.lower(): v for k, v in headers.items()}
    text = body.decode("utf-8", "replace")
    stamp, signature = lower.get("x-slack-request-timestamp", ""), lower.get("x-slack-signature", "")
    form_encoded = "x-www-form-urlencoded" in lower.get("content-type", "")
    if not (form_encoded and stamp and SignatureVerifier(secret).is_valid(text, stamp, signature)):
        return None
    form = {k: v[0] for k, v in parse_qs(text).items()}
    if "payload" not in form:  # a slash command
        channel, user, name = form.get("channel_id"), form.get("user_id"), form.get("channel_name")
    else:  # an interaction: block_actions from a message has its channel, a modal's has none
        try:
            payload = json.loads(form["payload"])
        except ValueError:
            return None
        where = payload.get("channel") if isinstance(payload, dict) else None
        who = payload.get("user") if isinstance(payload, dict) else None
        if not isinstance(where, dict) or not isinstance(who, dict):
            return None
        channel, user, name = where.get("id"), who.get("id"), where.get("name")
    if not channel or not user:
        return None
    return str(channel), str(user), str(name or "")
