"""A pause that needs more than one approval shows its votes: the pause message (posted, and kept
current in place on a vote) and ``/dr status`` read ``quorum``/``votes`` from the execution's
``pendingApproval`` ("1 of 2 approvals: @alice (reason) · waiting for @bob or @carol"). The votes
are written to the item here, as the quorum work's domain will write them."""

from __future__ import annotations

import pytest

from bot import ids
from tests.integration.slack.conftest import text_of
from tests.integration.slack.test_commands import make_plan
from tests.integration.test_executions import execution_status
from tests.support.slack_requests import APPROVER, CHANNEL, OPERATOR, VIEWER

WHEN = "2030-01-01T14:02:09Z"


def _buttons(message):
    actions = [b for b in message.get("blocks") or [] if b["type"] == "actions"]
    return {e["action_id"]: e["value"] for b in actions for e in b["elements"]}


def _record_votes(execution_id, quorum, votes):
    from handlers import aws

    aws.table("executions_table").update_item(
        Key={"executionId": execution_id},
        UpdateExpression="SET pendingApproval.#q = :q, pendingApproval.#v = :v",
        ExpressionAttributeNames={"#q": "quorum", "#v": "votes"},
        ExpressionAttributeValues={":q": quorum, ":v": votes},
    )


@pytest.fixture
def paused(orchestration, bot):
    plan = make_plan(slackChannelId=CHANNEL, approvers=[APPROVER, OPERATOR])
    bot.command(f"run {plan['planId']}")
    execution_id = bot.responses()[-1]["text"].rsplit("status ", 1)[1]
    execution_status(execution_id, {"PAUSED"})
    return execution_id


ALICE = {
    "action": "resume",
    "by": "@alice",
    "via": "slack",
    "at": WHEN,
    "reason": "db <ok>",
    "userId": OPERATOR,
}


def test_status_shows_the_votes_so_far_and_who_is_still_asked(paused, bot):
    # Given a quorum-2 pause with one vote
    _record_votes(paused, 2, [ALICE])
    # When an approver asks for its status
    bot.command(f"status {paused}", user=APPROVER)
    reply = bot.responses()[-1]
    # Then it shows the tally, escaped, with the buttons
    shown = text_of(reply)
    assert "1 of 2 approvals: @alice (db &lt;ok&gt;) · waiting for <@U0APPROVER>" in shown
    assert set(_buttons(reply)) == {ids.APPROVAL_RESUME, ids.APPROVAL_CANCEL}


def test_a_quorum_of_one_without_votes_shows_as_before(paused, bot):
    bot.command(f"status {paused}", user=APPROVER)
    assert "approvals" not in text_of(bot.responses()[-1])


def test_the_pause_message_and_the_reason_form_show_the_votes(paused, bot, orchestration):
    # Given a quorum-2 pause with one vote, announced
    _record_votes(paused, 2, [ALICE])
    orchestration.wait_for_event("pause")
    bot.pump()
    (message,) = [m for m in bot.fake.messages.values() if _buttons(m)]
    assert "1 of 2 approvals: @alice" in text_of(message)
    # When the other approver opens the form, then it shows the tally too
    bot.click(ids.APPROVAL_RESUME, f"{paused}:2", user=APPROVER, message_ts=message["ts"])
    assert "1 of 2 approvals" in text_of({"blocks": bot.opened_form()["blocks"]})


def test_a_vote_event_updates_the_pause_message_in_place(paused, bot, orchestration):
    from bot import notifier
    from handlers.repositories.executions import ExecutionRepository

    # Given the posted pause message, then a vote recorded (the quorum work publishes "vote")
    orchestration.wait_for_event("pause")
    bot.pump()
    (message,) = [m for m in bot.fake.messages.values() if _buttons(m)]
    _record_votes(paused, 2, [ALICE])
    refs = ExecutionRepository().slack_refs(paused)
    event = next(e for e in orchestration_events(bot) if e.eventType == "pause")
    execution = ExecutionRepository().get(paused)
    # When the notifier handles the vote
    notifier.update_votes(paused, refs, notifier.open_pause(execution, event, [APPROVER, OPERATOR]))
    # Then the same message shows it, buttons kept
    updated = bot.fake.messages[message["ts"]]
    assert "1 of 2 approvals: @alice" in text_of(updated) and _buttons(updated)
    assert VIEWER not in text_of(updated)


def orchestration_events(bot):
    import json

    from handlers.models.events import ExecutionEvent

    return [ExecutionEvent.model_validate(json.loads(m)) for m in bot.published]


def test_a_pause_reminder_mentions_in_the_thread_the_approvers_who_have_not_voted(paused, bot):
    # Given a quorum-2 pause where the operator has voted, its messages posted
    from handlers.orchestrator import lambda_handler as orchestrator
    from handlers.repositories.executions import ExecutionRepository
    from tests.support.events import LambdaContext

    _record_votes(paused, 2, [ALICE])
    bot.pump()
    pending = ExecutionRepository().get(paused).pendingApproval
    # When its reminder fires (what the one-time schedule runs) and the notifier delivers it
    task = {
        "task": "pause_reminder",
        "executionId": paused,
        "waveNumber": 2,
        "requestedAt": pending.requestedAt,
    }
    assert orchestrator(task, LambdaContext()) == {"reminded": True}
    bot.pump()
    # Then a thread reply mentions only who has not voted yet, with the tally
    replies = [m for m in bot.fake.messages.values() if "still waits for a decision" in text_of(m)]
    assert len(replies) == 1 and replies[0].get("thread_ts")
    shown = text_of(replies[0])
    assert f"<@{APPROVER}>" in shown and f"<@{OPERATOR}>" not in shown.split(":")[0]
    assert "1 of 2 approvals" in shown


def test_a_pause_that_times_out_names_in_the_thread_who_was_asked(orchestration, bot, monkeypatch):
    # Given a pause that times out in 4 s, with the operator's vote of the 2 it needs
    from tests.conftest import reset_caches

    monkeypatch.setenv("APPROVAL_TIMEOUT_SECONDS", "4")
    reset_caches()
    plan = make_plan(slackChannelId=CHANNEL, approvers=[APPROVER, OPERATOR])
    bot.command(f"run {plan['planId']}")
    execution_id = bot.responses()[-1]["text"].rsplit("status ", 1)[1]
    execution_status(execution_id, {"PAUSED"})
    _record_votes(execution_id, 2, [ALICE])
    # When nobody else decides before it expires
    assert execution_status(execution_id, {"TIMED_OUT"}, timeout=40)["status"] == "TIMED_OUT"
    orchestration.wait_for_event("timeout")
    bot.pump()
    # Then the thread says so and mentions every approver it asked, with the approvals given
    (reply,) = [m for m in bot.fake.messages.values() if "Timed out waiting for approval" in text_of(m)]
    shown = text_of(reply)
    assert f"Asked: <@{APPROVER}>, <@{OPERATOR}>" in shown
    assert "1 of 2 approvals: @alice" in shown


def test_a_slack_vote_stops_the_pause_message_waiting_for_its_voter(orchestration, bot):
    # Given a quorum-2 pause started through the API (so both Slack approvers may count)
    from tests.integration.test_executions import start

    two = {"drill": 2, "recovery": 2}
    plan = make_plan(slackChannelId=CHANNEL, approvers=[APPROVER, OPERATOR], approvalQuorum=two)
    execution_id = start(plan)["executionId"]
    execution_status(execution_id, {"PAUSED"})
    orchestration.wait_for_event("pause")
    bot.pump()
    (message,) = [m for m in bot.fake.messages.values() if _buttons(m)]
    # When the approver votes Resume with its reason form
    value = _buttons(message)[ids.APPROVAL_RESUME]
    bot.click(ids.APPROVAL_RESUME, value, user=APPROVER, user_name="alice", message_ts=message["ts"])
    updates = len(bot.fake.calls_to("chat.update"))
    bot.submit_form(bot.opened_form(), "looks good", user=APPROVER, user_name="alice")
    # Then the voter is told their vote counted, and the listener leaves the message to the notifier
    (told,) = bot.fake.calls_to("chat.postEphemeral")
    assert told["user"] == APPROVER and "Your vote counted: 1 of 2 votes to resume: @alice" in text_of(told)
    assert len(bot.fake.calls_to("chat.update")) == updates
    orchestration.wait_for_event("vote")
    bot.pump()
    # And the message (the notifier's) counts it and waits only for the other approver
    shown = text_of(bot.fake.messages[message["ts"]])
    assert "1 of 2 approvals: @alice (looks good)" in shown
    assert f"waiting for <@{OPERATOR}>" in shown and f"<@{APPROVER}>" not in shown
