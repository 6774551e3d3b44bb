"""The notifier's messages and the pause buttons: one parent per execution kept current, thread
replies, Resume/Cancel deciding through the approval service (exactly once with email too)."""

from __future__ import annotations

import json
import threading

import pytest

from bot import ids
from tests.integration.slack.conftest import text_of
from tests.integration.slack.test_commands import HOSTILE, make_plan
from tests.integration.test_executions import TERMINAL, click, execution_status, pause_links
from tests.support.data import ONE_APPROVER
from tests.support.events import call_api
from tests.support.slack_requests import APPROVER, CHANNEL, OPERATOR, VIEWER
from tests.support.sns import sns_event


@pytest.fixture
def paused(orchestration, bot):
    """A Slack-connected plan (named with markup, one approver) paused before wave 2."""
    plan = make_plan(
        HOSTILE,
        slackChannelId=CHANNEL,
        approvers=[APPROVER],
        notificationEmail="dr@example.com",
        approvalQuorum=ONE_APPROVER,
    )
    bot.command(f"run {plan['planId']}")
    execution_id = bot.responses()[-1]["text"].rsplit("status ", 1)[1]
    execution_status(execution_id, {"PAUSED"})
    orchestration.wait_for_event("pause")
    bot.pump()
    (message,) = [m for m in bot.fake.messages.values() if "blocks" in m and _buttons(m)]
    return {"plan": plan, "executionId": execution_id, "message": message, "value": _buttons(message)[0]}


def _buttons(message):
    actions = [b for b in message.get("blocks") or [] if b["type"] == "actions"]
    return [e["value"] for b in actions for e in b["elements"]]


def parents(bot):
    return [m for m in bot.fake.messages.values() if not m.get("thread_ts")]


def test_the_pause_message_has_resume_and_cancel_buttons(paused, bot):
    message = paused["message"]
    (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
    resume, cancel = actions["elements"]
    assert (resume["action_id"], cancel["action_id"]) == (ids.APPROVAL_RESUME, ids.APPROVAL_CANCEL)
    assert resume["value"] == cancel["value"] == paused["value"] and len(resume["value"]) <= 2000
    assert "confirm" in cancel and "confirm" not in resume
    assert message["thread_ts"] == parents(bot)[0]["ts"] and message["channel"] == CHANNEL
    assert HOSTILE in text_of(message) and "<!channel>" not in message["text"]


def test_resume_from_slack_updates_the_message_and_the_run_finishes(paused, bot, orchestration):
    updates = len(bot.fake.calls_to("chat.update"))
    bot.decide(
        ids.APPROVAL_RESUME,
        paused["value"],
        user=APPROVER,
        user_name="alice",
        message_ts=paused["message"]["ts"],
    )
    # the clicker is told at once; the pause message is the notifier's to update
    (told,) = bot.fake.calls_to("chat.postEphemeral")
    assert told["user"] == APPROVER and "Resumed by @alice via slack at " in text_of(told)
    assert len(bot.fake.calls_to("chat.update")) == updates
    orchestration.wait_for_event("resume")  # recorded and announced when Step Functions goes on
    bot.pump()
    message = bot.fake.messages[paused["message"]["ts"]]
    assert _buttons(message) == [] and "Resumed by @alice via slack at " in text_of(message)
    finished = execution_status(paused["executionId"], TERMINAL)
    assert finished["status"] == "SUCCEEDED"
    assert (
        finished["decisions"][0]["decidedBy"] == "@alice" and finished["decisions"][0]["channel"] == "slack"
    )
    orchestration.wait_for_event("complete")
    bot.pump()
    (parent,) = parents(bot)  # one parent message for the whole execution, kept current
    assert "✅ Drill:" in text_of(parent) and "SUCCEEDED" in text_of(parent)
    replies = [text_of(m) for m in bot.fake.messages.values() if m.get("thread_ts")]
    assert any("Wave 1 (Tier 0) completed: 2/2 servers launched" in r for r in replies)
    assert any("Drill completed" in r for r in replies)


def test_someone_who_is_not_an_approver_is_refused(paused, bot):
    bot.click(ids.APPROVAL_RESUME, paused["value"], user=VIEWER, message_ts=paused["message"]["ts"])
    assert "Only this plan's approvers" in bot.last_reply()
    assert f"<@{APPROVER}>" in bot.last_reply() and f"<@{OPERATOR}>" not in bot.last_reply()
    assert _buttons(bot.fake.messages[paused["message"]["ts"]])  # untouched
    assert call_api("GET", f"/executions/{paused['executionId']}")[1]["status"] == "PAUSED"


def test_a_decision_by_email_updates_the_slack_pause_message(paused, bot, orchestration):
    email = orchestration.wait_for_event("pause")
    click(pause_links(email)["cancel"], "POST")
    execution_status(paused["executionId"], TERMINAL)
    orchestration.wait_for_event("cancel")
    bot.pump()
    message = bot.fake.messages[paused["message"]["ts"]]
    assert _buttons(message) == [] and "Cancelled by dr@example.com via email at" in text_of(message)
    # a late click is told who decided, and changes nothing
    shown = text_of(message)
    bot.click(ids.APPROVAL_RESUME, paused["value"], user=APPROVER, message_ts=paused["message"]["ts"])
    assert "Already cancelled by dr@example.com via email at" in bot.last_reply()
    assert text_of(bot.fake.messages[paused["message"]["ts"]]) == shown


def test_slack_and_email_racing_have_one_winner_shown_in_both(paused, bot, orchestration):
    email = orchestration.wait_for_event("pause")
    results = {}
    barrier = threading.Barrier(2)

    def slack():
        barrier.wait()
        bot.decide(
            ids.APPROVAL_RESUME,
            paused["value"],
            user=APPROVER,
            user_name="alice",
            message_ts=paused["message"]["ts"],
        )

    def mail():
        barrier.wait()
        results["page"] = click(pause_links(email)["cancel"], "POST")[1]

    threads = [threading.Thread(target=slack), threading.Thread(target=mail)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    finished = execution_status(paused["executionId"], TERMINAL)
    (decision,) = finished["decisions"]
    orchestration.wait_for_event("complete" if decision["action"] == "resume" else "cancel")
    bot.pump()
    shown = text_of(bot.fake.messages[paused["message"]["ts"]])
    page = results["page"]
    if decision["channel"] == "slack":
        assert "Resumed by @alice via slack" in shown and "Already decided" in page and "@alice" in page
    else:
        assert "Cancelled by dr@example.com via email" in shown and "Done" in page


def test_slack_errors_never_break_the_notifier(paused, bot, orchestration, aws, capsys):
    sqs = aws.client("sqs")
    queue = sqs.create_queue(QueueName="alerts-tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.client("sns").subscribe(TopicArn=aws.alerts_topic_arn, Protocol="sqs", Endpoint=arn)
    bot.fake.fail("chat.update", "ratelimited", status=429, **{"Retry-After": "1"})
    bot.fake.fail("chat.postMessage", "not_in_channel")
    bot.decide(
        ids.APPROVAL_CANCEL, paused["value"], "drill over", user=APPROVER, message_ts=paused["message"]["ts"]
    )
    execution_status(paused["executionId"], TERMINAL)
    orchestration.wait_for_event("cancel")
    bot.pump()  # the parent update is rate limited once (retried), the thread reply is refused
    assert bot.fake.methods().count("chat.update") >= 3
    alerts = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    assert any("not_in_channel" in json.loads(m["Body"])["Message"] for m in alerts)
    assert '"SlackDeliveryFailure"' in capsys.readouterr().out  # flushed as an EMF metric for the alarm


def test_the_notifier_skips_records_it_cannot_read(bot):
    from bot.notifier import lambda_handler

    records = [{"Sns": {"Message": "not json"}}, {"Sns": {"Message": json.dumps({"eventType": "start"})}}, {}]
    assert lambda_handler({"Records": records}, None) == {"notified": 0}
    assert bot.fake.calls == []


def test_a_decision_whose_message_cannot_be_updated_is_still_told_to_the_clicker(paused, bot):
    # Given a pause message Slack will not let the bot update any more
    bot.fake.fail("chat.update", "cant_update_message")
    # When an approver resumes from it
    bot.decide(
        ids.APPROVAL_RESUME,
        paused["value"],
        user=APPROVER,
        user_name="alice",
        message_ts=paused["message"]["ts"],
    )
    # Then the pause is decided, and the submitter is told so, not that nothing changed
    (decision,) = execution_status(paused["executionId"], TERMINAL)["decisions"]
    assert decision["decidedBy"] == "@alice"
    (told,) = bot.fake.calls_to("chat.postEphemeral")
    assert told["user"] == APPROVER and "Resumed by @alice via slack at " in text_of(told)
    assert "nothing was changed" not in text_of(told)


def test_a_redelivered_pause_event_updates_the_pause_message_instead_of_posting_another(paused, bot):
    # Given the pause was posted once, when SNS delivers the same pause event again (Lambda retry)
    from bot.notifier import lambda_handler
    from tests.integration.slack.conftest import BotContext

    pause_event = next(m for m in bot.published if json.loads(m)["eventType"] == "pause")
    lambda_handler(sns_event(pause_event), BotContext())
    # Then there is still exactly one message with live buttons, and it was updated in place
    assert len([m for m in bot.fake.messages.values() if _buttons(m)]) == 1
    assert any(c["ts"] == paused["message"]["ts"] for c in bot.fake.calls_to("chat.update"))
