"""/slack-local's modals load an external select's options as Slack does: a signed
``block_suggestion`` to the bot, with what the user typed, answered with the bot's options."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from bot import ids
from bot.blocks.modal import plan_create_view
from handlers.models.protection_group import ProtectionGroup
from sandbox.emulators.slack_fake import DEFAULT_CHANNEL, SlackRecorder
from sandbox.web.slack_local import SlackLocal

SECRET = "local-secret"


def open_modal(slack: SlackRecorder) -> str:
    group = ProtectionGroup(
        groupId="pg-1",
        groupName="Web tier",
        accountId="111111111111",
        region="us-east-1",
        sourceServerIds=["s-00000000000000001"],
        createdAt="2030-01-01T00:00:00Z",
        updatedAt="2030-01-01T00:00:00Z",
        createdBy="@x",
    )
    view = plan_create_view([group], DEFAULT_CHANNEL).to_dict()
    _, _, body = slack.answer("views.open", {"trigger_id": "t", "view": view})
    assert body["ok"], body
    return str(body["view"]["id"])


def test_an_external_select_asks_the_bot_with_a_signed_block_suggestion() -> None:
    # Given an open modal, and a bot that answers with one option
    slack = SlackRecorder(fault=lambda: "ok")
    view_id = open_modal(slack)
    sent: list[dict[str, Any]] = []

    def bot(headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        verifier = SignatureVerifier(SECRET)
        assert verifier.is_valid(
            body.decode(), headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
        )
        sent.append(json.loads(parse_qs(body.decode())["payload"][0]))
        option = {"text": {"type": "plain_text", "text": "Web tier"}, "value": "pg-1"}
        return 200, {}, json.dumps({"options": [option]}).encode()

    local = SlackLocal(SimpleNamespace(slack=slack, signing_secret=SECRET, base_url="http://s"), bot)  # type: ignore[arg-type]
    # When the page asks for the options of wave 1's picker with "web" typed
    request = {"viewId": view_id, "blockId": "wave_1", "actionId": ids.WAVE_GROUP, "value": "web"}
    status, _, raw = local.handle("/slack-local/options", json.dumps(request).encode())
    # Then the bot got Slack's block_suggestion payload and the page gets its options
    assert status == 200 and json.loads(raw)["options"][0]["value"] == "pg-1"
    (payload,) = sent
    assert (payload["type"], payload["action_id"], payload["block_id"], payload["value"]) == (
        "block_suggestion",
        ids.WAVE_GROUP,
        "wave_1",
        "web",
    )
    assert payload["view"]["private_metadata"] == DEFAULT_CHANNEL


def test_options_for_a_modal_that_is_not_open_are_a_404() -> None:
    local = SlackLocal(SimpleNamespace(slack=SlackRecorder(fault=lambda: "ok")), None)  # type: ignore[arg-type]
    request = {"viewId": "V404", "blockId": "wave_1", "actionId": ids.WAVE_GROUP}
    assert local.handle("/slack-local/options", json.dumps(request).encode())[0] == 404
