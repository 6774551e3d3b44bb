"""/slack-local's Home tab per sandbox user: opening it sends the signed ``app_home_opened`` event
(JSON, as Slack sends events), the page reads what the bot published for that user, and a button
in it is sent as the click of a home tab (a view container, no channel)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from sandbox.data.names import SLACK_USERS
from sandbox.emulators.slack_fake import SlackRecorder
from sandbox.web.slack_local import SlackLocal

SECRET = "local-secret"


def local(sent: list[tuple[dict[str, str], bytes]]) -> tuple[SlackLocal, SlackRecorder]:
    slack = SlackRecorder(fault=lambda: "ok")

    def send(headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        sent.append((headers, body))
        return 200, {}, b""

    sandbox = SimpleNamespace(slack=slack, signing_secret=SECRET, base_url="http://sandbox")
    return SlackLocal(sandbox, send), slack  # type: ignore[arg-type]


def verified(headers: dict[str, str], body: bytes) -> bool:
    return SignatureVerifier(SECRET).is_valid(
        body.decode(), headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )


def test_opening_a_home_sends_a_signed_app_home_opened_event_for_that_user() -> None:
    sent: list[tuple[dict[str, str], bytes]] = []
    page, _ = local(sent)
    status, _, raw = page.handle("/slack-local/home", json.dumps({"user": "approver"}).encode())
    assert status == 200 and json.loads(raw)["ok"]
    ((headers, body),) = sent
    assert headers["Content-Type"] == "application/json" and verified(headers, body)
    event = json.loads(body)
    assert event["type"] == "event_callback"
    assert (event["event"]["type"], event["event"]["user"]) == ("app_home_opened", SLACK_USERS["approver"])


def test_the_page_reads_the_published_home_and_its_buttons_click_as_a_home_tab() -> None:
    sent: list[tuple[dict[str, str], bytes]] = []
    page, slack = local(sent)
    user = SLACK_USERS["operator"]
    # Nothing published yet, then the bot publishes a home with one button
    status, _, raw = page.handle("/slack-local/home-view", b'{"user": "operator"}')
    assert json.loads(raw) == {"ok": True, "view": None}
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Resume"},
        "action_id": "approval_resume",
        "value": "e:2",
    }
    view: dict[str, Any] = {
        "type": "home",
        "blocks": [{"type": "actions", "block_id": "home:C0:e:2", "elements": [button]}],
    }
    assert slack.answer("views.publish", {"user_id": user, "view": view})[2]["ok"]
    assert json.loads(page.handle("/slack-local/home-view", b'{"user": "operator"}')[2])["view"]["blocks"]
    # When its button is clicked
    click = {"user": "operator", "actionId": "approval_resume", "blockId": "home:C0:e:2", "value": "e:2"}
    status, _, raw = page.handle("/slack-local/home-action", json.dumps(click).encode())
    # Then the bot gets a signed block_actions from a view, in no channel
    assert status == 200, raw
    headers, body = sent[-1]
    assert verified(headers, body)
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    assert payload["container"]["type"] == "view" and "channel" not in payload
    assert payload["actions"][0]["block_id"] == "home:C0:e:2" and payload["user"]["id"] == user


def test_bad_home_requests_are_400s() -> None:
    page, _ = local([])
    for path, body in (
        ("/slack-local/home", b'{"user": "mallory"}'),
        ("/slack-local/home-action", b'{"user": "operator"}'),
    ):
        status, _, raw = page.handle(path, body)
        assert status == 400 and json.loads(raw)["error"] == "VALIDATION_ERROR"
    status, _, _ = page.handle("/slack-local/home-action", b'{"user": "viewer", "actionId": "a"}')
    assert status == 404  # nothing published for the viewer yet
