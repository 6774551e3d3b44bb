"""``/dr check`` and ``/dr run ... at <time> force`` in Slack: parsing (pure) and the readiness
messages, which stay within Slack's limits for a plan of 500 failing servers (checked by the strict
fake Slack, ``sandbox.emulators.slack_fake``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.blocks.readiness import MAX_LINES, not_ready_reply, readiness_reply
from bot.parsing import Command, ParseError
from bot.runs import run_options, run_value
from bot.subcommand_table import parse
from handlers.core.timestamps import parse_iso
from handlers.models.readiness import Check, Readiness
from sandbox.emulators.slack_fake import SlackRecorder

CHANNEL = "C0READY"


def post(blocks: list[Block], text: str) -> dict[str, Any]:
    recorder = SlackRecorder(channels=[CHANNEL], fault=lambda: "ok")
    status, _, body = recorder.answer(
        "chat.postMessage", {"channel": CHANNEL, "text": text, "blocks": [b.to_dict() for b in blocks]}
    )
    assert status == 200 and body["ok"], body
    return body


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("check Payments failover", Command("check", target="Payments failover")),
        (
            "check Payments at 2026-11-30T10:00Z",
            Command("check", target="Payments", point_in_time="2026-11-30T10:00:00.000000Z"),
        ),
        (
            "run Payments failover drill at 2026-11-30T10:00:30+01:00",
            Command("run", target="Payments failover", point_in_time="2026-11-30T09:00:30.000000Z"),
        ),
        ("run Payments recovery force", Command("run", target="Payments", recovery=True, force=True)),
        ("run Look at me", Command("run", target="Look at me")),
    ],
)
def test_check_and_run_parse(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["run Payments at 2h ago", "run Payments drill at 2 h ago force"])
def test_hours_ago_is_that_long_before_now(text):
    command = parse(text)
    assert command.target == "Payments" and not command.recovery
    ago = datetime.now(UTC) - parse_iso(command.point_in_time)
    assert timedelta(hours=2) <= ago < timedelta(hours=2, seconds=30)


@pytest.mark.parametrize("text", ["run Payments at 2026-13-45T10:00Z", "check Payments at 3 weeks ago"])
def test_a_bad_time_is_an_error_saying_which(text):
    with pytest.raises(ParseError) as error:
        parse(text)
    assert "is not a time" in error.value.message and "ISO 8601" in error.value.message


def test_the_recovery_buttons_value_carries_the_runs_options_back():
    command = Command(
        "run", target="x", recovery=True, point_in_time="2026-11-30T10:00:00.000000Z", force=True
    )
    value = run_value("plan-1", command)
    assert len(value) <= 2000
    plan_id, back = run_options(value)
    assert plan_id == "plan-1" and back.point_in_time == command.point_in_time and back.force
    assert run_options("plan-2") == ("plan-2", Command("run", target="plan-2", recovery=True))


def _failing(n: int) -> list[Check]:
    return [
        Check(
            check="replication_healthy",
            status="FAIL" if i % 2 else "WARN",
            message=f"s-{i:017x} replication STALLED since 09:12 UTC: fix replication or remove it from group "
            + "Ω<&>" * 60,
            sourceServerId=f"s-{i:017x}",
            waveNumber=1 + i // 50,
        )
        for i in range(n)
    ]


def test_a_500_server_readiness_fits_slack_failures_first_and_counts_the_rest():
    checks = [Check(check="quotas", status="PASS", message="fine"), *_failing(500)]
    readiness = Readiness(
        planId="p", accountId="111111111111", ready=False, checkedAt="2026-12-01T10:00:00Z", checks=checks
    )
    reply = readiness_reply("Ω<&>" * 60, readiness)
    post(reply.blocks, reply.payload()["text"])
    payload = reply.payload()
    texts = [str(b) for b in payload["blocks"]]
    assert "❌" in texts[2] and "⚠️" not in texts[2]  # failures first
    assert (
        "… and 471 more: WARN replication_healthy: 250, FAIL replication_healthy: 220, PASS quotas: 1"
        in texts[-1]
    )
    assert MAX_LINES == 30


def test_a_refused_run_lists_the_failures_and_how_to_force():
    reply = not_ready_reply("Payments", _failing(3), "/dr run Payments drill force")
    post(reply.blocks, reply.payload()["text"])
    assert "3 readiness checks fail" in reply.text
    assert "/dr run Payments drill force" in str(reply.blocks[-1].to_dict())
