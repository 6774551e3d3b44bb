"""Pause buttons as an attacker sees them: what a viewer can copy from the message, a channel bound
to another account, and the buttons `/dr status` offers when the announcement was lost."""

from __future__ import annotations

import json

import pytest

from bot import ids
from tests.conftest import ACCOUNT_B
from tests.integration.slack.conftest import text_of
from tests.integration.slack.test_commands import make_plan
from tests.integration.test_executions import TERMINAL, execution_status, pause_links
from tests.support.data import ONE_APPROVER
from tests.support.events import call_api, call_page
from tests.support.faults import lose_announcements
from tests.support.slack_requests import APPROVER, CHANNEL, VIEWER

OTHER_CHANNEL = "C0OTHERACCT"


def buttons(message):
    actions = [b for b in message.get("blocks") or [] if b["type"] == "actions"]
    return {e["action_id"]: e["value"] for b in actions for e in b["elements"]}


def run_paused(bot, **plan_fields):
    plan = make_plan(slackChannelId=CHANNEL, approvers=[APPROVER], approvalQuorum=ONE_APPROVER, **plan_fields)
    bot.command(f"run {plan['planId']}")
    execution_id = bot.responses()[-1]["text"].rsplit("status ", 1)[1]
    execution_status(execution_id, {"PAUSED"})
    return execution_id


@pytest.fixture
def paused(orchestration, bot):
    """A Slack-connected plan paused before wave 2, its pause message posted with buttons."""
    execution_id = run_paused(bot, notificationEmail="dr@example.com")
    email = orchestration.wait_for_event("pause")
    bot.pump()
    (message,) = [m for m in bot.fake.messages.values() if buttons(m)]
    approval_id = pause_links(email)["resume"].split("approval=")[1]
    return {"executionId": execution_id, "message": message, "approvalId": approval_id}


def test_a_viewer_cannot_use_a_pause_buttons_value_on_the_email_route(paused, bot):
    # Given a viewer who reads the pause message's JSON (every value its buttons carry)
    message = paused["message"]
    assert paused["approvalId"] not in json.dumps(message)
    assert paused["approvalId"] not in json.dumps(bot.fake.calls)  # nowhere in anything sent to Slack
    # When they post each value to the email approval route, as resume and as cancel
    for value in buttons(message).values():
        for action in ("resume", "cancel"):
            status, _, _ = call_page("POST", "/execution-callback", f"action={action}&approval={value}")
            assert status in (400, 404)
    # Then nothing was decided
    current = call_api("GET", f"/executions/{paused['executionId']}")[1]
    assert current["status"] == "PAUSED" and current["decisions"] == []


@pytest.mark.parametrize("action_id", [ids.APPROVAL_RESUME, ids.APPROVAL_CANCEL])
def test_a_channel_bound_to_another_account_cannot_decide_its_pause(paused, bot, action_id):
    # Given a channel bound to account B, where A's plan approver clicks A's button value
    from handlers.accounts.channel_settings import set_channel_account

    set_channel_account(OTHER_CHANNEL, ACCOUNT_B, by="@setup")
    value = buttons(paused["message"])[action_id]
    bot.click(action_id, value, user=APPROVER, channel=OTHER_CHANNEL, message_ts=paused["message"]["ts"])
    # Then the pause is not found there, and A's run is untouched
    assert "not found" in bot.last_reply()
    assert call_api("GET", f"/executions/{paused['executionId']}")[1]["status"] == "PAUSED"
    assert buttons(bot.fake.messages[paused["message"]["ts"]])


def test_status_offers_the_pause_buttons_to_an_approver_and_not_to_a_viewer(paused, bot):
    # When an approver and a viewer ask for the paused execution's status
    bot.command(f"status {paused['executionId']}", user=APPROVER)
    offered = bot.responses()[-1]
    bot.command(f"status {paused['executionId']}", user=VIEWER)
    refused = bot.responses()[-1]
    # Then only the approver gets Resume / Cancel; the viewer is told who may decide
    assert set(buttons(offered)) == {ids.APPROVAL_RESUME, ids.APPROVAL_CANCEL}
    assert buttons(refused) == {} and f"<@{APPROVER}>" in text_of(refused)
    assert paused["approvalId"] not in json.dumps([offered, refused])


def test_the_status_of_a_pause_whose_announcement_was_lost_can_resume_it(orchestration, bot, monkeypatch):
    # Given SNS refused the pause announcement: no pause message, no email
    lose_announcements(monkeypatch, "pause")
    execution_id = run_paused(bot)
    bot.pump()
    assert not any(buttons(m) for m in bot.fake.messages.values())
    # When the approver lists the status and clicks the Resume it offers
    bot.command("status", user=APPROVER)
    value = buttons(bot.responses()[-1])[ids.APPROVAL_RESUME]
    bot.decide(ids.APPROVAL_RESUME, value, user=APPROVER, user_name="alice")
    # Then the run is resumed by that approver and finishes
    finished = execution_status(execution_id, TERMINAL)
    assert finished["status"] == "SUCCEEDED"
    assert (finished["decisions"][0]["decidedBy"], finished["decisions"][0]["channel"]) == ("@alice", "slack")


def test_cancel_from_slack_reports_the_cancelled_execution(paused, bot):
    # When an operator confirms /dr cancel on the paused execution
    bot.click(ids.CANCEL_EXECUTION_CONFIRM, paused["executionId"])
    # Then the channel is told it is CANCELLED (the outcome that took effect), not PAUSED
    assert f"cancelled execution {paused['executionId']}" in bot.last_reply()
    assert bot.last_reply().rstrip(".").endswith("CANCELLED")
    assert execution_status(paused["executionId"], TERMINAL)["status"] == "CANCELLED"


def test_cancel_from_slack_after_someone_else_resumed_says_who(paused, bot, orchestration):
    # Given the approver resumed the pause from its button
    value = buttons(paused["message"])[ids.APPROVAL_RESUME]
    bot.decide(
        ids.APPROVAL_RESUME, value, user=APPROVER, user_name="alice", message_ts=paused["message"]["ts"]
    )
    # When another click on the (stale) Cancel button arrives
    bot.click(ids.APPROVAL_CANCEL, value, user=APPROVER, user_name="bob", message_ts=paused["message"]["ts"])
    # Then the clicker is told who resumed, and the run goes on
    assert "Already resumed by @alice via slack" in bot.last_reply()
    assert execution_status(paused["executionId"], TERMINAL)["status"] == "SUCCEEDED"
