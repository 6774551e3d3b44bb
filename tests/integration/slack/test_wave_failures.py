"""A failed wave's pause in Slack: Retry / Skip / Cancel buttons, approver-checked and bound to the
channel's account; the message updated in place (by the notifier) with who decided."""

from __future__ import annotations

import pytest

from bot import ids
from tests.conftest import ACCOUNT_B
from tests.integration.slack.conftest import text_of
from tests.integration.slack.test_commands import make_groups
from tests.integration.slack.test_pause_decisions import OTHER_CHANNEL, buttons
from tests.integration.test_executions import TERMINAL, execution_status
from tests.support.data import ONE_APPROVER, plan_body
from tests.support.events import call_api
from tests.support.slack_requests import APPROVER, CHANNEL, VIEWER


@pytest.fixture
def failed(orchestration, bot):
    """A Slack-connected plan whose wave 1 failed (a critical server), its pause message posted."""
    groups = make_groups(2)
    body = plan_body(groups, slackChannelId=CHANNEL, approvers=[APPROVER], approvalQuorum=ONE_APPROVER)
    for wave in body["waves"]:
        wave["pauseBeforeExecution"] = False
    status, plan = call_api("POST", "/recovery-plans", body)
    assert status == 201, plan
    group = call_api("GET", f"/protection-groups/{groups[0]}")[1]
    orchestration.drs.failing.add(group["sourceServerIds"][0])
    bot.command(f"run {plan['planId']}")
    execution_id = bot.responses()[-1]["text"].rsplit("status ", 1)[1]
    paused = execution_status(execution_id, {"PAUSED"} | TERMINAL)
    assert paused["pendingApproval"]["kind"] == "wave_failed", paused
    orchestration.wait_for_event("wave_failed_pause")
    bot.pump()
    (message,) = [m for m in bot.fake.messages.values() if buttons(m)]
    return {"executionId": execution_id, "message": message}


def test_the_failed_wave_message_offers_retry_skip_cancel(failed):
    message = failed["message"]
    assert set(buttons(message)) == {ids.WAVE_RETRY, ids.WAVE_SKIP, ids.APPROVAL_CANCEL}
    assert set(buttons(message).values()) == {f"{failed['executionId']}:1"}
    assert "wave 1" in text_of(message) and "failed" in text_of(message)


def test_retry_from_slack_after_the_servers_recover_succeeds(failed, bot, orchestration):
    orchestration.drs.recovered = True
    value = buttons(failed["message"])[ids.WAVE_RETRY]
    bot.decide(ids.WAVE_RETRY, value, user=APPROVER, user_name="alice", message_ts=failed["message"]["ts"])
    finished = execution_status(failed["executionId"], TERMINAL)
    assert finished["status"] == "SUCCEEDED" and finished["waves"][0]["retries"] == 1
    assert (finished["decisions"][0]["action"], finished["decisions"][0]["decidedBy"]) == ("retry", "@alice")
    orchestration.wait_for_event("wave_retry")
    bot.pump()
    updated = bot.fake.messages[failed["message"]["ts"]]
    assert not buttons(updated) and "Retried by @alice via slack" in text_of(updated)


def test_skip_from_slack_runs_the_next_wave(failed, bot, orchestration):
    value = buttons(failed["message"])[ids.WAVE_SKIP]
    bot.decide(ids.WAVE_SKIP, value, user=APPROVER, user_name="alice", message_ts=failed["message"]["ts"])
    finished = execution_status(failed["executionId"], TERMINAL)
    assert [w["status"] for w in finished["waves"]] == ["SKIPPED", "COMPLETED"]
    # and a late Retry on the same message says who skipped it, changing nothing
    retry = buttons(failed["message"])[ids.WAVE_RETRY]
    bot.click(ids.WAVE_RETRY, retry, user=APPROVER, user_name="bob", message_ts=failed["message"]["ts"])
    assert "Already skipped by @alice via slack" in bot.last_reply()
    # the message (the notifier's) shows the failed wave's pause and who skipped it
    orchestration.wait_for_event("wave_skip")
    bot.pump()
    shown = text_of(bot.fake.messages[failed["message"]["ts"]])
    assert "Skipped by @alice via slack" in shown and "wave 1" in shown and "failed" in shown
    assert not buttons(bot.fake.messages[failed["message"]["ts"]])
    assert [d["action"] for d in call_api("GET", f"/executions/{failed['executionId']}")[1]["decisions"]] == [
        "skip"
    ]


def test_a_viewer_cannot_retry(failed, bot):
    value = buttons(failed["message"])[ids.WAVE_RETRY]
    bot.click(ids.WAVE_RETRY, value, user=VIEWER, message_ts=failed["message"]["ts"])
    assert f"<@{APPROVER}>" in bot.last_reply()
    current = call_api("GET", f"/executions/{failed['executionId']}")[1]
    assert current["status"] == "PAUSED" and current["decisions"] == []


@pytest.mark.parametrize("action_id", [ids.WAVE_RETRY, ids.WAVE_SKIP])
def test_a_channel_bound_to_another_account_cannot_decide_it(failed, bot, action_id):
    from handlers.accounts.channel_settings import set_channel_account

    set_channel_account(OTHER_CHANNEL, ACCOUNT_B, by="@setup")
    value = buttons(failed["message"])[action_id]
    bot.click(action_id, value, user=APPROVER, channel=OTHER_CHANNEL, message_ts=failed["message"]["ts"])
    assert "not found" in bot.last_reply()
    assert call_api("GET", f"/executions/{failed['executionId']}")[1]["status"] == "PAUSED"


def test_a_resume_button_value_replayed_on_the_failed_wave_is_refused(failed, bot):
    # A resume click (a before-wave pause's button) carrying this pause's value changes nothing
    value = buttons(failed["message"])[ids.WAVE_RETRY]
    bot.click(ids.APPROVAL_RESUME, value, user=APPROVER, message_ts=failed["message"]["ts"])
    assert "retry or skip or cancel" in bot.last_reply()
    assert call_api("GET", f"/executions/{failed['executionId']}")[1]["status"] == "PAUSED"
