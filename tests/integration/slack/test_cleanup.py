"""Drill cleanup in Slack: the Clean up button on a finished drill's message (behind Slack's
confirm dialog), ``/dr cleanup``, the cleanup reminder with Keep, and who may press them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import ids
from handlers.repositories.executions import ExecutionRepository
from handlers.runs.lifecycle import finish_execution
from tests.conftest import ACCOUNT_A
from tests.integration.slack.conftest import text_of
from tests.support.drills import finished_execution, live_instances, plan_with_groups
from tests.support.schedules import settle_cleanup, use_scheduler
from tests.support.slack_requests import CHANNEL, OPERATOR, VIEWER


@pytest.fixture
def scheduler(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    return use_scheduler(aws, monkeypatch)


def _buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    blocks = message.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def _ended_drill(bot: Any, **plan_fields: Any) -> tuple[Any, dict[str, Any]]:
    """A Slack-connected drill that just ended; its final message posted by the notifier."""
    plan = plan_with_groups(slackChannelId=CHANNEL, **plan_fields)
    running = finished_execution(plan, status="RUNNING")
    assert finish_execution(running.executionId, "SUCCEEDED")
    bot.pump()
    refs = ExecutionRepository().slack_refs(running.executionId)
    return running, bot.fake.messages[refs["slackParentTs"]]


def test_the_final_message_of_a_drill_offers_cleanup_behind_a_confirm_dialog(aws: Any, bot: Any) -> None:
    drill, message = _ended_drill(bot)
    button = _buttons(message)[ids.DRILL_CLEANUP]
    assert button["value"] == drill.executionId and button["style"] == "danger"
    assert button["confirm"]["confirm"]["text"] == "Terminate instances"
    assert "terminates every recovery instance" in button["confirm"]["text"]["text"]


def test_an_operator_cleans_up_and_the_message_shows_in_progress_then_the_result(
    aws: Any, bot: Any, scheduler: Any
) -> None:
    # Given a finished drill's final message with its Clean up button
    drill, message = _ended_drill(bot)
    # When an operator presses it (after confirming)
    bot.click(ids.DRILL_CLEANUP, drill.executionId, user=OPERATOR, message_ts=message["ts"])
    # Then the record says who, and the message shows the cleanup in progress, without a button
    cleanup = ExecutionRepository().get(drill.executionId).cleanup  # type: ignore[union-attr]
    assert cleanup is not None and cleanup.status == "IN_PROGRESS"
    assert (cleanup.requestedBy, cleanup.requestedVia) == ("@oncall", "slack")
    updated = bot.fake.messages[message["ts"]]
    assert "Cleanup in progress, requested by @oncall via slack" in text_of(updated)
    assert ids.DRILL_CLEANUP not in _buttons(updated)
    # When the scheduled checks see DRS has terminated the instances (and the notifier runs)
    assert settle_cleanup(aws, drill.executionId).status == "COMPLETED"
    bot.pump()
    # Then the instances are gone, and the message and a thread reply show the result
    assert live_instances(aws.drs, ACCOUNT_A, drill) == []
    finished = bot.fake.messages[message["ts"]]
    assert "Cleaned up by @oncall via slack" in text_of(finished)
    assert "none is left" in text_of(finished) and ids.DRILL_CLEANUP not in _buttons(finished)
    replies = [m for m in bot.fake.messages.values() if m.get("thread_ts") == message["ts"]]
    assert any("Cleaned up by @oncall via slack" in text_of(m) for m in replies)


def test_a_viewer_is_refused_ephemerally_naming_the_operators(aws: Any, bot: Any) -> None:
    drill, message = _ended_drill(bot)
    bot.click(ids.DRILL_CLEANUP, drill.executionId, user=VIEWER, message_ts=message["ts"])
    reply = bot.responses()[-1]
    assert reply.get("response_type", "ephemeral") == "ephemeral"
    assert "Only operators may clean drills up" in bot.last_reply() and f"<@{OPERATOR}>" in bot.last_reply()
    assert len(live_instances(aws.drs, ACCOUNT_A, drill)) == 3
    assert ExecutionRepository().get(drill.executionId).cleanup is None  # type: ignore[union-attr]
    bot.click(ids.DRILL_KEEP, drill.executionId, user=VIEWER, message_ts=message["ts"])
    assert "Only operators may clean drills up" in bot.last_reply()


def test_dr_cleanup_asks_to_confirm_then_cleans_up(aws: Any, bot: Any, scheduler: Any) -> None:
    drill, _ = _ended_drill(bot)
    bot.command(f"cleanup {drill.executionId}")
    reply = bot.responses()[-1]
    button = _buttons(reply)[ids.DRILL_CLEANUP]
    assert button["confirm"] and len(live_instances(aws.drs, ACCOUNT_A, drill)) == 3  # nothing yet
    # When the operator confirms with the reply's button
    bot.click(ids.DRILL_CLEANUP, drill.executionId, user=OPERATOR)
    assert "Cleanup in progress" in bot.last_reply()
    settle_cleanup(aws, drill.executionId)
    assert live_instances(aws.drs, ACCOUNT_A, drill) == []
    bot.command(f"cleanup {drill.executionId}")
    assert "Cleaned up by @oncall via slack" in bot.last_reply()


def test_dr_cleanup_of_a_recovery_is_refused(aws: Any, bot: Any) -> None:
    plan = plan_with_groups(slackChannelId=CHANNEL)
    recovery = finished_execution(plan, is_drill=False)
    bot.command(f"cleanup {recovery.executionId}")
    assert "RECOVERY" in bot.last_reply() and "production" in bot.last_reply()


def test_the_reminder_offers_keep_and_keep_postpones(aws: Any, bot: Any, monkeypatch: Any) -> None:
    # Given a drill cleaned up one minute after it ends: the reminder comes at once (no scheduler
    # configured here: the due time is recorded, the schedules are not, and that is logged)
    drill, _ = _ended_drill(bot, drillCleanupAfterMinutes=1)
    bot.pump()
    reminders = [m for m in bot.fake.messages.values() if ids.DRILL_KEEP in _buttons(m)]
    assert len(reminders) == 1
    reminder = reminders[0]
    assert _buttons(reminder)[ids.DRILL_KEEP]["text"]["text"] == "Keep for another 1 min"
    assert ids.DRILL_CLEANUP in _buttons(reminder)
    due = ExecutionRepository().get(drill.executionId).cleanupDueAt  # type: ignore[union-attr]
    # When an operator keeps it
    bot.click(ids.DRILL_KEEP, drill.executionId, user=OPERATOR, message_ts=reminder["ts"])
    # Then the due time moved by one period and the reminder says who kept it until when
    kept = ExecutionRepository().get(drill.executionId).cleanupDueAt  # type: ignore[union-attr]
    assert kept > due
    assert "Kept by @oncall" in text_of(bot.fake.messages[reminder["ts"]])
