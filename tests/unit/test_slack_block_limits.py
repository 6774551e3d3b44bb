"""Every message and modal the bot builds, with extreme inputs (255-character names, 100 waves,
150 groups, long reasons), is accepted by the strict fake Slack (``sandbox.emulators.slack_fake``, whose rules
are ``sandbox.data.slack_rules``), and what does not fit is truncated or paginated, never lost silently."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.blocks import catalog
from bot.blocks.common import Reply, paginate, section
from bot.blocks.events import event_line
from bot.blocks.executions import Pause, decided_blocks, pause_blocks, status_blocks
from bot.blocks.modal import plan_create_view
from bot.subcommand_table import help_text
from handlers.models.events import ExecutionSnapshot
from handlers.models.protection_group import ProtectionGroup
from handlers.models.recovery_plan import RecoveryPlan
from sandbox.emulators.slack_fake import SlackRecorder
from tests.support.sns import sample_event

CHANNEL = "C0LIMITS"
LONG = "Ω<&>" + "n" * 251  # 255 characters, with markup and a non-ASCII letter
WHEN = "2030-01-01T14:02:09.123Z"


def slack() -> SlackRecorder:
    return SlackRecorder(channels=[CHANNEL], fault=lambda: "ok")


def post(blocks: list[Block], text: str = "fallback") -> dict[str, Any]:
    status, _, body = slack().answer(
        "chat.postMessage", {"channel": CHANNEL, "text": text, "blocks": [b.to_dict() for b in blocks]}
    )
    assert status == 200 and body["ok"], body
    return body


def groups(count: int) -> list[ProtectionGroup]:
    return [
        ProtectionGroup(
            groupId=f"pg-{i:04d}",
            groupName=f"{i:03d} {LONG}"[:255],
            accountId="111111111111",
            region="us-east-1",
            sourceServerIds=[f"s-{i:017x}"] * 20,
            createdAt=WHEN,
            updatedAt=WHEN,
            createdBy="@x",
        )
        for i in range(count)
    ]


def plan(waves: int) -> RecoveryPlan:
    return RecoveryPlan.model_validate(
        {
            "planId": "plan-" + "p" * 30,
            "planName": LONG,
            "description": "d" * 1000,
            "accountId": "111111111111",
            "notificationEmail": "e" * 64 + "@example.com",
            "subscriptionStatus": "pending_confirmation",
            "waves": [
                {
                    "waveNumber": n,
                    "protectionGroupId": f"pg-{n:04d}",
                    "protectionGroupName": LONG,
                    "pauseBeforeExecution": True,
                }
                for n in range(1, waves + 1)
            ],
            "approvers": [f"U{n:010d}" for n in range(50)],
            "status": "invalid",
            "statusReason": "r" * 5000,
            "createdAt": WHEN,
            "updatedAt": WHEN,
            "createdBy": "@x",
        }
    )


def execution(waves: int) -> ExecutionSnapshot:
    return ExecutionSnapshot.model_validate(
        {
            "executionId": "e" * 36,
            "planId": "p",
            "accountId": "111111111111",
            "planName": LONG,
            "status": "FAILED",
            "isDrill": False,
            "startedBy": "@" + "u" * 254,
            "startTime": WHEN,
            "statusReason": "why " * 2000,
            "waves": [
                {
                    "waveNumber": n,
                    "protectionGroupName": LONG,
                    "status": "FAILED",
                    "launched": 999,
                    "total": 1000,
                    "pauseBeforeExecution": True,
                }
                for n in range(1, waves + 1)
            ],
        }
    )


def shown(blocks: list[Block]) -> str:
    return str([b.to_dict() for b in blocks])


def test_a_deliberately_broken_message_is_refused_with_invalid_blocks() -> None:
    too_many = [section(str(i)).to_dict() for i in range(51)]
    long_button = {
        "type": "actions",
        "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b" * 76}, "action_id": "a"}],
    }
    for blocks in (too_many, [long_button]):
        _, _, body = slack().answer("chat.postMessage", {"channel": CHANNEL, "text": "t", "blocks": blocks})
        assert body["error"] == "invalid_blocks"


@pytest.mark.parametrize("waves", [1, 10, 100])
def test_execution_status_fits_and_shows_every_wave(waves: int) -> None:
    blocks = status_blocks(execution(waves))
    post(blocks)
    assert f"Wave {waves}:" in shown(blocks)


def test_pause_and_decided_messages_fit_with_long_names() -> None:
    pause = Pause(LONG, 10, LONG, WHEN)
    post(pause_blocks(pause, "a" * 43), pause.text())
    post(decided_blocks(pause, "Resumed by @" + "u" * 254 + " via slack at 14:02 UTC"))


def test_thread_lines_fit_with_long_reasons() -> None:
    line = event_line(sample_event(eventType="fail", reason="r" * 10_000)) or ""
    post([section(line)], line[:40_000])


@pytest.mark.parametrize("page", [1, 2, 8])
def test_group_and_plan_lists_fit_and_show_every_item_of_the_page(page: int) -> None:
    many = groups(150)
    listed = paginate(many, page)
    blocks = catalog.group_list(listed, "/dr", "111111111111")
    post(blocks)
    assert all(g.groupId in shown(blocks) for g in listed.items)
    plans = paginate([plan(1).model_copy(update={"planId": f"plan-{i}"}) for i in range(150)], page)
    blocks = catalog.plan_list(plans, "/dr", "111111111111")
    post(blocks)
    assert all(p.planId in shown(blocks) for p in plans.items)


@pytest.mark.parametrize("waves", [10, 100])
def test_plan_details_fit_and_show_every_wave(waves: int) -> None:
    approvers = ", ".join(f"<@U{n:010d}>" for n in range(50))
    blocks = catalog.plan_details(plan(waves), {}, None, approvers)
    post(blocks)
    assert f"{waves}. " in shown(blocks)


def test_confirmations_and_candidate_lists_fit() -> None:
    from slack_sdk.models.blocks import ButtonElement

    from bot.subcommands import confirm_reply

    button = ButtonElement(text="Start recovery", action_id="a", value="plan-" + "p" * 100, style="danger")
    reply = confirm_reply(f"Start a real RECOVERY of {LONG}? " * 5, button, title="Start?", confirm="Go")
    post(reply.blocks, reply.payload()["text"])
    names = [(LONG, f"plan-{i}") for i in range(60)]
    blocks = catalog.candidates(names)
    post(blocks)
    assert "plan-59" in shown(blocks)


def test_help_and_replies_fit() -> None:
    payload = Reply(help_text("/" + "d" * 30), [section(help_text())]).payload()
    post([Block.parse(b) for b in payload["blocks"]], payload["text"])  # type: ignore[misc]


@pytest.mark.parametrize("count", [1, 10, 100, 150])
def test_the_plan_create_modal_fits_for_any_number_of_groups(count: int) -> None:
    view = plan_create_view(groups(count), CHANNEL).to_dict()
    status, _, body = slack().answer("views.open", {"trigger_id": "t", "view": view})
    assert status == 200 and body["ok"], body
