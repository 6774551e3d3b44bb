"""The local Slack's channels (docs/sandbox.md): the workspace's own channels take posts; a
channel nobody has used is ``channel_not_found`` until a signed slash command or click arrives from
it (someone created it and invited the bot); ``users.conversations`` lists who is in which, as Slack
does; ``/slack-local`` lists channels, adds one, and sends from the channel it shows."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from sandbox.data import slack_requests
from sandbox.data.names import SLACK_CHANNELS, SLACK_USERS
from sandbox.emulators.slack_fake import BOT_USER, SlackRecorder
from sandbox.web.routes import Routes
from sandbox.web.slack_local import SlackLocal

SECRET = "channels-secret"
OPERATOR, VIEWER = SLACK_USERS["operator"], SLACK_USERS["viewer"]
NEW = "C0BRANDNEW"


def recorder() -> SlackRecorder:
    return SlackRecorder(channels=SLACK_CHANNELS, users=[*SLACK_USERS.values(), BOT_USER], fault=lambda: "ok")


def routes(slack: SlackRecorder) -> Routes:
    host = SimpleNamespace(slack=slack, signing_secret=SECRET, base_url="http://sandbox", functions={})
    return Routes(host)  # type: ignore[arg-type]


def post(slack: SlackRecorder, channel: str) -> dict[str, Any]:
    return slack.answer("chat.postMessage", {"channel": channel, "text": "hello"})[2]


def signed(body: str, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }


def command(channel: str, user: str = OPERATOR, name: str = "war-room") -> str:
    return urlencode(
        {"command": "/dr", "text": "plans", "channel_id": channel, "channel_name": name, "user_id": user}
    )


def deliver(web: Routes, body: str, headers: dict[str, str] | None = None) -> int:
    status, _, _ = web.dispatch("POST", "/slack/events", headers or signed(body), body.encode())
    return status


def conversations(slack: SlackRecorder, user: str | None) -> list[str]:
    args = {"user": user} if user else {}
    return [c["id"] for c in slack.answer("users.conversations", args)[2]["channels"]]


def test_the_workspace_channels_take_posts() -> None:
    slack = recorder()
    assert len(SLACK_CHANNELS) >= 3
    for channel in SLACK_CHANNELS:
        assert post(slack, channel)["ok"] is True


def test_a_channel_nobody_used_is_not_found_until_a_signed_command_comes_from_it() -> None:
    # Given a channel id the workspace has never seen
    slack = recorder()
    web = routes(slack)
    assert post(slack, NEW)["error"] == "channel_not_found"
    # When a signed slash command arrives from it (the bot being absent changes nothing)
    assert deliver(web, command(NEW)) == 503
    # Then it exists, with the name the command gave it, and takes posts
    assert post(slack, NEW)["ok"] is True
    assert {"id": NEW, "name": "war-room", "members": sorted([OPERATOR, BOT_USER])} in slack.channel_list()


def test_a_click_in_a_message_of_a_new_channel_brings_it_into_being() -> None:
    slack = recorder()
    message = {"channel": NEW, "ts": "1.000001", "kind": "message", "text": "t", "blocks": []}
    body = slack_requests.block_actions(
        user_id=VIEWER,
        user_name="viewer",
        message=message,
        action=slack_requests.button("x", "b", "v"),
        response_url="http://sandbox/r",
        channel_name="clicked-here",
    )
    deliver(routes(slack), body)
    assert post(slack, NEW)["ok"] is True
    assert slack.channels[NEW] == "clicked-here"


@pytest.mark.parametrize(
    "headers",
    [
        signed(command(NEW), secret="someone-else's"),
        {"Content-Type": "application/x-www-form-urlencoded"},
        {**signed(command(NEW)), "X-Slack-Request-Timestamp": str(int(time.time()) - 3600)},
    ],
    ids=["wrong secret", "unsigned", "stale"],
)
def test_an_unsigned_or_badly_signed_request_creates_no_channel(headers: dict[str, str]) -> None:
    slack = recorder()
    deliver(routes(slack), command(NEW), headers)
    assert post(slack, NEW)["error"] == "channel_not_found"


def test_a_request_with_no_channel_id_or_a_direct_message_creates_no_channel() -> None:
    slack = recorder()
    web = routes(slack)
    deliver(web, command("D0SOMEONE"))
    deliver(web, command("not-an-id"))
    assert [c["id"] for c in slack.channel_list()] == list(SLACK_CHANNELS)


def test_users_conversations_lists_a_new_channel_for_its_members_only() -> None:
    # Given the operator used a new channel
    slack = recorder()
    web = routes(slack)
    deliver(web, command(NEW, user=OPERATOR))
    # Then the operator and the bot (also when no user is named: the token's own) are in it, the
    # viewer is not; everyone is in the workspace's channels
    assert NEW in conversations(slack, OPERATOR)
    assert NEW in conversations(slack, BOT_USER)
    assert conversations(slack, None) == conversations(slack, BOT_USER)
    assert conversations(slack, VIEWER) == sorted(SLACK_CHANNELS)
    # When the viewer sends a command from it, the viewer is a member too
    deliver(web, command(NEW, user=VIEWER))
    assert NEW in conversations(slack, VIEWER)


def test_a_known_channel_keeps_its_name_when_a_command_names_it_otherwise() -> None:
    slack = recorder()
    deliver(routes(slack), command("C0SANDBOX2", name="renamed"))
    assert slack.channels["C0SANDBOX2"] == SLACK_CHANNELS["C0SANDBOX2"]


# ---- /slack-local ----


def local(slack: SlackRecorder, sent: list[dict[str, str]]) -> SlackLocal:
    def send(headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        sent.append({k: v[0] for k, v in parse_qs(body.decode()).items()})
        return 200, {}, b""

    host = SimpleNamespace(slack=slack, signing_secret=SECRET, base_url="http://sandbox")
    return SlackLocal(host, send)  # type: ignore[arg-type]


def page(local_slack: SlackLocal, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, _, raw = local_slack.handle(path, json.dumps(body).encode())
    return status, json.loads(raw)


def test_the_page_adds_a_channel_with_the_bot_and_its_creator_in_it() -> None:
    slack = recorder()
    status, answer = page(local(slack, []), "/slack-local/channel", {"user": "viewer", "name": "db-drill"})
    assert status == 200 and answer["ok"]
    channel = answer["channel"]["id"]
    assert post(slack, channel)["ok"] is True
    assert channel in conversations(slack, VIEWER) and channel not in conversations(slack, OPERATOR)


@pytest.mark.parametrize(
    ("name", "status", "error"),
    [
        ("dr-sandbox", 409, "name_taken"),
        ("Has Spaces", 400, "invalid_name"),
        ("a" * 81, 400, "VALIDATION_ERROR"),
    ],
)
def test_the_page_cannot_add_a_channel_slack_would_refuse(name: str, status: int, error: str) -> None:
    slack = recorder()
    answered, answer = page(local(slack, []), "/slack-local/channel", {"name": name})
    assert (answered, answer["ok"], answer["error"]) == (status, False, error) and answer["message"]
    assert len(slack.channel_list()) == len(SLACK_CHANNELS)


def test_the_page_sends_a_command_from_the_channel_it_shows_with_that_channels_name() -> None:
    slack = recorder()
    sent: list[dict[str, str]] = []
    page(local(slack, sent), "/slack-local/command", {"text": "/dr plans", "channel": "C0SANDBOX2"})
    page(
        local(slack, sent),
        "/slack-local/command",
        {"text": "/dr plans", "channel": NEW, "channelName": "fresh"},
    )
    assert [(s["channel_id"], s["channel_name"]) for s in sent] == [
        ("C0SANDBOX2", SLACK_CHANNELS["C0SANDBOX2"]),
        (NEW, "fresh"),
    ]


def test_channels_json_lists_every_channel_oldest_first() -> None:
    slack = recorder()
    web = routes(slack)
    deliver(web, command(NEW))
    status, _, raw = web.dispatch("GET", "/slack-local/channels.json", {}, b"")
    assert status == 200
    assert [c["id"] for c in json.loads(raw)] == [*SLACK_CHANNELS, NEW]


def binder(slack: SlackRecorder, reply: dict[str, Any]) -> SlackLocal:
    """A SlackLocal whose bot answers ``/dr account`` through the response_url with ``reply``."""

    def send(headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        path = form["response_url"].removeprefix("http://sandbox")
        slack.answer_response_url(path, reply)
        return 200, {}, b""

    host = SimpleNamespace(slack=slack, signing_secret=SECRET, base_url="http://sandbox")
    return SlackLocal(host, send)  # type: ignore[arg-type]


def test_binding_a_channel_waits_for_the_bots_answer_in_the_channel() -> None:
    slack = recorder()
    said = {"response_type": "in_channel", "text": "This channel now acts on account 222222222222"}
    binder(slack, said).bind("C0SANDBOX2", "222222222222")
    (message,) = slack.messages()
    assert message["channel"] == "C0SANDBOX2" and message["responseType"] == "in_channel"


def test_binding_a_channel_fails_when_the_bot_refuses_it() -> None:
    slack = recorder()
    refused = {"response_type": "ephemeral", "text": "Only operators may set the channel's account"}
    with pytest.raises(RuntimeError, match="Only operators"):
        binder(slack, refused).bind("C0SANDBOX2", "222222222222", timeout=1)
