"""Resume / Cancel open a reason form: opened at the click (the trigger id lasts 3 s), naming the
pause and never its approval id; the submission is checked again (the submitter must be an
approver; a reason where the plan requires one; the reason's rules) and decided with the reason,
which the pause message shows escaped."""

from __future__ import annotations

import json

import pytest

from bot import ids
from tests.integration.slack.conftest import text_of
from tests.integration.slack.test_commands import make_plan
from tests.integration.test_executions import TERMINAL, execution_status, pause_links
from tests.support.data import ONE_APPROVER
from tests.support.events import call_api
from tests.support.orchestration import wait_until
from tests.support.slack_requests import APPROVER, CHANNEL, VIEWER

HOSTILE_REASON = "db ok <!channel> & <@U0VIEWER> *now*"


def _buttons(message):
    actions = [b for b in message.get("blocks") or [] if b["type"] == "actions"]
    return {e["action_id"]: e["value"] for b in actions for e in b["elements"]}


@pytest.fixture
def paused(orchestration, bot):
    return pause_of_plan(orchestration, bot)


def pause_of_plan(orchestration, bot, require_reason="cancel"):
    """A Slack-connected plan (one approver) paused before wave 2, its pause message posted;
    ``require_reason`` defaults to the product's default (tests/support/data.py's is "never")."""
    plan = make_plan(
        slackChannelId=CHANNEL,
        approvers=[APPROVER],
        approvalQuorum=ONE_APPROVER,
        notificationEmail="dr@example.com",
        requireReason=require_reason,
    )
    bot.command(f"run {plan['planId']}")
    execution_id = bot.responses()[-1]["text"].rsplit("status ", 1)[1]
    execution_status(execution_id, {"PAUSED"})
    email = orchestration.wait_for_event("pause")
    bot.pump()
    (message,) = [m for m in bot.fake.messages.values() if _buttons(m)]
    value = _buttons(message)[ids.APPROVAL_RESUME]
    approval_id = pause_links(email)["resume"].split("approval=")[1]
    return {"executionId": execution_id, "message": message, "value": value, "approvalId": approval_id}


def _click(bot, paused, action_id=ids.APPROVAL_RESUME, user=APPROVER):
    bot.click(action_id, paused["value"], user=user, user_name="alice", message_ts=paused["message"]["ts"])
    return bot.opened_form()


def _errors(response):
    body = json.loads(response["body"] or "{}")
    assert body.get("response_action") == "errors", body
    return body["errors"]


def _status(paused):
    return call_api("GET", f"/executions/{paused['executionId']}")[1]


def test_resume_opens_a_form_naming_the_pause_and_never_its_approval_id(paused, bot):
    # When the approver clicks Resume
    view = _click(bot, paused)
    # Then a modal opened with the click's trigger id: a reason field, optional for a resume
    (call,) = bot.fake.calls_to("views.open")
    assert call["trigger_id"] == "1337.43.trigger"
    assert view["callback_id"] == ids.APPROVAL_REASON_VIEW and len(view["title"]["text"]) <= 24
    (field,) = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["block_id"] == ids.BLOCK_REASON and field["optional"] is True
    assert field["element"]["max_length"] == 1000
    metadata = json.loads(view["private_metadata"])
    assert (metadata["executionId"], metadata["wave"]) == (paused["executionId"], 2)
    assert paused["approvalId"] not in json.dumps(bot.fake.calls)
    # And nothing is decided by the click itself
    assert _status(paused)["status"] == "PAUSED"


def test_resume_with_a_reason_records_it_and_shows_it_escaped(paused, bot):
    # When the approver resumes with a reason full of markup
    view = _click(bot, paused)
    response = bot.submit_form(view, HOSTILE_REASON, user=APPROVER, user_name="alice")
    # Then the form closes, the decision carries the reason, and the message shows it escaped
    assert response["statusCode"] == 200 and not response["body"]
    finished = execution_status(paused["executionId"], TERMINAL)
    assert finished["decisions"][0]["reason"] == HOSTILE_REASON
    bot.pump()  # the pause message is the notifier's: it follows the decision's announcement
    message = bot.fake.messages[paused["message"]["ts"]]
    assert _buttons(message) == {}
    shown = text_of(message)
    assert "Resumed by @alice via slack at" in shown
    assert "db ok &lt;!channel&gt; &amp; &lt;@U0VIEWER&gt;" in shown
    assert "<!channel>" not in json.dumps(message) and "<@U0VIEWER>" not in json.dumps(message)


def test_cancel_needs_a_reason_by_default(paused, bot):
    # Given the Cancel form (requireReason defaults to "cancel")
    view = _click(bot, paused, ids.APPROVAL_CANCEL)
    (field,) = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["optional"] is False
    # When it is submitted empty, then the form says so and nothing is decided
    errors = _errors(bot.submit_form(view, None, user=APPROVER))
    assert "reason" in errors[ids.BLOCK_REASON]
    assert _status(paused)["status"] == "PAUSED"
    # When it is submitted with a reason, then the run is cancelled with it
    bot.submit_form(view, "wrong plan", user=APPROVER, user_name="alice")
    finished = execution_status(paused["executionId"], TERMINAL)
    assert finished["status"] == "CANCELLED" and finished["decisions"][0]["reason"] == "wrong plan"

    # and the pause message says why, once the notifier has the end's event (announced after the record)
    def shown() -> bool:
        bot.pump()
        return "Reason: wrong plan" in text_of(bot.fake.messages[paused["message"]["ts"]])

    assert wait_until(shown), text_of(bot.fake.messages[paused["message"]["ts"]])


@pytest.mark.parametrize(
    ("policy", "action_id", "required"),
    [
        ("always", ids.APPROVAL_RESUME, True),
        ("always", ids.APPROVAL_CANCEL, True),
        ("never", ids.APPROVAL_CANCEL, False),
        ("cancel", ids.APPROVAL_RESUME, False),
    ],
)
def test_the_plans_require_reason_decides_whether_the_field_is_required(
    orchestration, bot, policy, action_id, required
):
    paused = pause_of_plan(orchestration, bot, require_reason=policy)
    view = _click(bot, paused, action_id)
    (field,) = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["optional"] is not required
    response = bot.submit_form(view, None, user=APPROVER)
    if required:
        assert ids.BLOCK_REASON in _errors(response)
        assert _status(paused)["status"] == "PAUSED"
    else:
        assert not response["body"]
        assert execution_status(paused["executionId"], TERMINAL)["decisions"][0]["reason"] == ""


def test_a_submitter_who_is_not_an_approver_is_refused(paused, bot):
    # Given the form an approver opened, submitted by a viewer (the submitter is who counts)
    view = _click(bot, paused)
    errors = _errors(bot.submit_form(view, "let me", user=VIEWER))
    # Then the form names who may, and nothing is decided
    assert "Only this plan's approvers" in errors[ids.BLOCK_REASON]
    assert f"<@{APPROVER}>" not in errors[ids.BLOCK_REASON]  # plain text: names, never raw ids
    assert _status(paused)["status"] == "PAUSED" and _status(paused)["decisions"] == []
    assert bot.fake.calls_to("chat.postEphemeral") == []


def test_a_viewer_clicking_gets_no_form(paused, bot):
    bot.click(ids.APPROVAL_RESUME, paused["value"], user=VIEWER, message_ts=paused["message"]["ts"])
    assert bot.fake.calls_to("views.open") == []
    assert "Only this plan's approvers" in bot.last_reply()


@pytest.mark.parametrize(
    ("reason", "problem"),
    [("x" * 1001, "at most"), ("ok\x00then", "control characters")],
)
def test_a_bad_reason_is_a_field_error(paused, bot, reason, problem):
    view = _click(bot, paused)
    errors = _errors(bot.submit_form(view, reason, user=APPROVER))
    assert problem in errors[ids.BLOCK_REASON]
    assert _status(paused)["status"] == "PAUSED"


def test_a_form_submitted_after_someone_else_decided_says_who(paused, bot):
    # Given two approvers' forms open on one pause
    first = _click(bot, paused)
    second = _click(bot, paused)
    # When both are submitted, the first wins; the second is told who decided
    bot.submit_form(first, "go", user=APPROVER, user_name="alice")
    bot.submit_form(second, "", user=APPROVER, user_name="alice")
    told = bot.fake.calls_to("chat.postEphemeral")[-1]
    assert told["user"] == APPROVER and "Already resumed by @alice via slack" in text_of(told)
    execution = execution_status(paused["executionId"], TERMINAL)
    assert len(execution["decisions"]) == 1
    # and the pause message (the notifier's) shows the one decision and its reason
    bot.pump()
    shown = text_of(bot.fake.messages[paused["message"]["ts"]])
    assert "Resumed by @alice via slack" in shown and "Reason: go" in shown


def test_an_unreadable_form_is_refused_without_a_500(paused, bot):
    view = _click(bot, paused)
    for metadata in ("not json", json.dumps({"executionId": paused["executionId"], "wave": "x"})):
        response = bot.submit_form({**view, "private_metadata": metadata}, "x", user=APPROVER)
        assert response["statusCode"] == 200
        assert "no longer names a pause" in _errors(response)[ids.BLOCK_REASON]
    assert _status(paused)["status"] == "PAUSED"
