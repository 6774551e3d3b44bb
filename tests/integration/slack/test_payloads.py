"""Signed interactive payloads of the wrong shape are a 400 naming the field, before any listener
runs: nothing is decided, started or posted (the payload models in bot/payloads.py)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from bot import ids
from tests.support.slack_requests import action_body, view_body


def _payload(form: str) -> dict[str, Any]:
    return dict(json.loads(parse_qs(form)["payload"][0]))


def _form(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


@pytest.mark.parametrize(
    "actions",
    [
        "approval_resume",
        {"action_id": ids.APPROVAL_RESUME},
        [],
        [None],
        [1],
        [{"action_id": [ids.APPROVAL_RESUME], "value": "x"}],
        [{"action_id": ids.APPROVAL_RESUME, "value": {"approvalId": "x"}}],
    ],
)
def test_wrong_typed_actions_are_a_400_and_run_no_listener(bot, actions):
    # Given a correctly signed block_actions payload whose actions have the wrong shape
    payload = _payload(action_body(ids.APPROVAL_RESUME, "x", response_url=bot.fake.response_url()))
    payload["actions"] = actions
    # When Slack (or someone holding the signing secret) sends it
    response = bot.send(_form(payload))
    # Then it is refused with a message naming the field, and no listener ran
    assert response["statusCode"] == 400 and "actions" in response["body"]
    assert bot.invocations == [] and bot.fake.calls == []


@pytest.mark.parametrize(
    ("field", "value"), [("user", "U0OPERATOR"), ("user", {"id": ["U0OPERATOR"]}), ("container", "C1")]
)
def test_wrong_typed_clicker_or_container_is_a_400(bot, field, value):
    payload = _payload(action_body(ids.RUN_RECOVERY_CONFIRM, "p-1", response_url=bot.fake.response_url()))
    payload[field] = value
    response = bot.send(_form(payload))
    assert response["statusCode"] == 400 and field in response["body"] and bot.invocations == []


@pytest.mark.parametrize(
    "state",
    [
        None,
        "values",
        {"values": []},
        {"values": {ids.BLOCK_PLAN_NAME: "Payments"}},
        {"values": {ids.BLOCK_PLAN_NAME: {ids.ELEMENT: "Payments"}}},
        {"values": {ids.BLOCK_EMAIL: {ids.ELEMENT: {"type": "plain_text_input", "value": ["a@b.co"]}}}},
        {"values": {"wave_1": {ids.ELEMENT: {"selected_option": "g-1"}}}},
    ],
)
def test_wrong_typed_view_state_is_a_400_and_creates_nothing(bot, state):
    # Given a signed view_submission of the plan form whose state has the wrong shape
    payload = _payload(view_body({}))
    payload["view"]["state"] = state
    # When it is submitted
    response = bot.send(_form(payload))
    # Then it is refused naming the state, and no plan was created
    assert response["statusCode"] == 400 and "view.state" in response["body"]
    assert bot.invocations == [] and bot.fake.calls == []


def test_a_view_that_is_not_an_object_is_a_400(bot):
    payload = _payload(view_body({}))
    payload["view"] = "plan_create"
    assert bot.send(_form(payload))["statusCode"] == 400


def test_an_unsigned_malformed_payload_is_still_401(bot):
    payload = _payload(action_body(ids.APPROVAL_RESUME, "x", response_url=bot.fake.response_url()))
    payload["actions"] = "x"
    assert bot.send(_form(payload), secret="not-the-signing-secret")["statusCode"] == 401


DEEP = "[" * 50_000 + "]" * 50_000


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (urlencode({"payload": '{"type": "block_actions", "actions": ' + DEEP + "}"}), None),
        ('{"type": "event_callback", "event": ' + DEEP + "}", "application/json"),
        (
            urlencode({"payload": '{"type": "view_submission", "view": ' + '{"a":' * 40 + "1" + "}" * 41}),
            None,
        ),
    ],
    ids=["interactivity 50,000 deep", "events JSON 50,000 deep", "interactivity 40 deep"],
)
def test_a_signed_payload_nested_deeper_than_the_api_allows_is_a_400_not_a_5xx(bot, body, content_type):
    # Given a correctly signed request whose payload nests far deeper than any Slack payload
    kwargs = {"content_type": content_type} if content_type else {}
    # When it reaches the bot's Lambda handler
    response = bot.send(body, **kwargs)
    # Then it is refused with the API's own nesting rule, and nothing ran
    assert response["statusCode"] == 400, response
    assert "nests objects and arrays deeper than 32 levels" in response["body"]
    assert bot.invocations == [] and bot.fake.calls == []
