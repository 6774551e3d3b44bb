"""Slack HTTP requests as API Gateway (REST v1 proxy) events, signed the way Slack signs them
(``slack_sdk.signature.SignatureVerifier``: HMAC-SHA256 over ``v0:{timestamp}:{body}``)."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
TEAM = "T0TEST"
CHANNEL = "C0DRCHANNEL"
OPERATOR = "U0OPERATOR"
APPROVER = "U0APPROVER"
VIEWER = "U0VIEWER"


class BotContext:
    """What the Lambda runtime passes: Bolt's lazy runner invokes ``invoked_function_arn``."""

    function_name = "drs-chatops-bot-test"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:drs-chatops-bot-test"
    memory_limit_in_mb = 512
    aws_request_id = "req-slack-0001"


def signed_event(
    body: str,
    *,
    timestamp: int | None = None,
    secret: str = SIGNING_SECRET,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, Any]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {
        "resource": "/slack/events",
        "path": "/slack/events",
        "httpMethod": "POST",
        "headers": {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature,
        },
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "requestContext": {"httpMethod": "POST", "resourcePath": "/slack/events", "stage": "test"},
        "body": body,
        "isBase64Encoded": False,
    }


def command_body(
    text: str, *, user: str = OPERATOR, user_name: str = "oncall", channel: str = CHANNEL, response_url: str
) -> str:
    return urlencode(
        {
            "token": "legacy-unused",
            "team_id": TEAM,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "dr",
            "user_id": user,
            "user_name": user_name,
            "command": "/dr",
            "text": text,
            "api_app_id": "A0TEST",
            "response_url": response_url,
            "trigger_id": "1337.42.trigger",
        }
    )


def _user(user: str, user_name: str) -> dict[str, str]:
    return {"id": user, "username": user_name, "name": user_name, "team_id": TEAM}


def action_body(
    action_id: str,
    value: str,
    *,
    user: str = OPERATOR,
    user_name: str = "oncall",
    channel: str = CHANNEL,
    message_ts: str = "1700000000.000001",
    response_url: str,
) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "test"},
        "user": _user(user, user_name),
        "api_app_id": "A0TEST",
        "trigger_id": "1337.43.trigger",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "channel": {"id": channel, "name": "dr"},
        "message": {"ts": message_ts, "text": "", "blocks": []},
        "response_url": response_url,
        "actions": [
            {"type": "button", "action_id": action_id, "block_id": "b", "value": value, "action_ts": "1.2"}
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def view_body(values: dict[str, Any], *, user: str = OPERATOR, channel: str = CHANNEL) -> str:
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "test"},
        "user": _user(user, "oncall"),
        "api_app_id": "A0TEST",
        "trigger_id": "1337.44.trigger",
        "view": {
            "id": "V0TEST",
            "type": "modal",
            "callback_id": "plan_create",
            "private_metadata": channel,
            "state": {"values": values},
            "team_id": TEAM,
        },
    }
    return urlencode({"payload": json.dumps(payload)})
