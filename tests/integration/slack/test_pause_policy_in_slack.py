"""Slack decides a pause by the policy it opened with (the approval's snapshot), as every channel
does: an approver removed from the plan since may still decide it, one added since may not, and the
refusal names who may as real mentions. Operators may always cancel: with the pause's Cancel button
(through its reason form) and with ``/dr cancel <id> [reason…]``, which asks for a reason when the
pause needs one. Everyone else still may not."""

from __future__ import annotations

import json

import pytest

from bot import ids
from handlers.repositories.recovery_plans import RecoveryPlanRepository
from tests.integration.slack.conftest import text_of
from tests.support.data import ONE_APPROVER, group_body, plan_body
from tests.support.events import call_api
from tests.support.orchestration import wait_until
from tests.support.slack_requests import APPROVER, CHANNEL, OPERATOR, VIEWER

TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"}


def _buttons(message):
    actions = [b for b in message.get("blocks") or [] if b["type"] == "actions"]
    return {e["action_id"]: e["value"] for b in actions for e in b["elements"]}


def _execution(execution_id, wanted=None):
    """The execution as the API shows it; with ``wanted``, once its status is one of them."""

    def probe():
        current = call_api("GET", f"/executions/{execution_id}")[1]
        return current if wanted is None or current["status"] in wanted else None

    found = wait_until(probe, 30)
    assert found, f"execution never reached {wanted}: {probe()}"
    return found


@pytest.fixture
def paused(orchestration, bot):
    """A plan naming one approver (the product's requireReason default: a cancel needs a reason),
    paused before wave 2 with its pause message and buttons posted in the channel."""
    groups = [call_api("POST", "/protection-groups", group_body(f"Tier {i}"))[1]["groupId"] for i in range(2)]
    body = plan_body(
        groups,
        slackChannelId=CHANNEL,
        approvers=[APPROVER],
        approvalQuorum=ONE_APPROVER,
        requireReason="cancel",
    )
    status, plan = call_api("POST", "/recovery-plans", body)
    assert status == 201, plan
    bot.command(f"run {plan['planId']}")
    execution_id = bot.responses()[-1]["text"].rsplit("status ", 1)[1]
    _execution(execution_id, {"PAUSED"})

    def posted():
        bot.pump()
        return next((m for m in bot.fake.messages.values() if _buttons(m)), None)

    message = wait_until(posted, 20)
    assert message, "no pause message was posted"
    return {"executionId": execution_id, "planId": plan["planId"], "message": message}


def _set_plan_approvers(plan_id, approvers):
    """The plan's approvers changed after the pause opened (the pause keeps the ones it opened with)."""
    repository = RecoveryPlanRepository()
    plan = repository.get(plan_id)
    assert plan is not None
    changed = plan.model_copy(update={"approvers": approvers, "version": plan.version + 1})
    repository.replace(changed, expected_version=plan.version)


def _click(bot, paused, action_id, user, user_name="someone"):
    value = _buttons(paused["message"])[action_id]
    bot.click(action_id, value, user=user, user_name=user_name, message_ts=paused["message"]["ts"])


# --- operators may always cancel ---


def test_an_operator_who_is_not_an_approver_cancels_with_the_pause_button(paused, bot):
    # Given a pause whose plan names an approver, and an operator who is not one of them
    value = _buttons(paused["message"])[ids.APPROVAL_CANCEL]
    # When the operator clicks Cancel and submits its reason form with a reason
    bot.decide(
        ids.APPROVAL_CANCEL,
        value,
        "wrong plan",
        user=OPERATOR,
        user_name="oncall",
        message_ts=paused["message"]["ts"],
    )
    # Then the run is cancelled by the operator with that reason, and the pause message says so
    finished = _execution(paused["executionId"], TERMINAL)
    assert finished["status"] == "CANCELLED"
    decision = finished["decisions"][0]
    assert (decision["action"], decision["decidedBy"], decision["reason"]) == (
        "cancel",
        "@oncall",
        "wrong plan",
    )

    # the pause message is the notifier's: it follows the cancel's announcement, made after the record
    def closed() -> bool:
        bot.pump()
        message = bot.fake.messages[paused["message"]["ts"]]
        return "Cancelled by @oncall via slack" in text_of(message) and _buttons(message) == {}

    assert wait_until(closed), text_of(bot.fake.messages[paused["message"]["ts"]])


def test_an_operator_cancels_with_dr_cancel_and_the_rest_of_the_line_as_the_reason(paused, bot):
    # When an operator types /dr cancel <id> with a reason (an apostrophe in it), and confirms
    bot.command(f"cancel {paused['executionId']} we don't need this drill")
    asked = bot.responses()[-1]
    assert "we don't need this drill" in text_of(asked)
    bot.click(ids.CANCEL_EXECUTION_CONFIRM, _buttons(asked)[ids.CANCEL_EXECUTION_CONFIRM])
    # Then the run is cancelled with that reason, and the channel is told so
    finished = _execution(paused["executionId"], TERMINAL)
    assert finished["status"] == "CANCELLED"
    assert finished["decisions"][0]["reason"] == "we don't need this drill"
    assert f"cancelled execution {paused['executionId']}" in bot.last_reply()


def test_dr_cancel_without_a_reason_asks_for_one_with_the_reason_form(paused, bot):
    # When an operator types /dr cancel <id> on a pause that needs a reason to cancel
    bot.command(f"cancel {paused['executionId']}")
    # Then the pause's Cancel form opens (the command's trigger id), its reason required
    (opened,) = bot.fake.calls_to("views.open")
    assert opened["trigger_id"] == "1337.42.trigger"
    form = opened["view"]
    assert form["callback_id"] == ids.APPROVAL_REASON_VIEW
    (field,) = [b for b in form["blocks"] if b["type"] == "input"]
    assert field["optional"] is False
    metadata = json.loads(form["private_metadata"])
    assert (metadata["executionId"], metadata["action"], metadata["channel"]) == (
        paused["executionId"],
        "cancel",
        CHANNEL,
    )
    # When it is submitted empty, then the form says a reason is needed and nothing changes
    response = bot.submit_form(form, None, user=OPERATOR)
    assert "reason" in json.loads(response["body"])["errors"][ids.BLOCK_REASON]
    assert _execution(paused["executionId"])["status"] == "PAUSED"
    # When it is submitted with a reason, then the run is cancelled with it, told to the operator
    bot.submit_form(form, "maintenance window closed", user=OPERATOR, user_name="oncall")
    finished = _execution(paused["executionId"], TERMINAL)
    assert finished["status"] == "CANCELLED"
    assert finished["decisions"][0]["reason"] == "maintenance window closed"
    (told,) = bot.fake.calls_to("chat.postEphemeral")
    assert told["user"] == OPERATOR and "Cancelled by @oncall via slack" in told["text"]


def test_a_viewer_can_cancel_neither_with_the_button_nor_with_dr_cancel(paused, bot):
    # When a viewer (neither operator nor approver) clicks Cancel, and types /dr cancel with a reason
    _click(bot, paused, ids.APPROVAL_CANCEL, VIEWER)
    refused_click = bot.last_reply()
    response = bot.command(f"cancel {paused['executionId']} let me", user=VIEWER)
    # Then no form opens, both are refused naming who may, and the run is still paused
    assert bot.fake.calls_to("views.open") == []
    assert "Only this plan's approvers" in refused_click and f"<@{APPROVER}>" in refused_click
    assert "Only operators may cancel executions" in text_of(json.loads(response["body"]))
    assert _execution(paused["executionId"])["status"] == "PAUSED"


def test_a_viewer_submitting_an_operators_cancel_form_is_refused(paused, bot):
    # Given the Cancel form an operator opened with /dr cancel
    bot.command(f"cancel {paused['executionId']}")
    form = bot.opened_form()
    # When a viewer submits it, then the form says who may, and the run is still paused
    errors = json.loads(bot.submit_form(form, "let me", user=VIEWER)["body"])["errors"]
    assert "Only this plan's approvers" in errors[ids.BLOCK_REASON]
    assert _execution(paused["executionId"])["status"] == "PAUSED"


# --- the policy the pause opened with ---


def test_an_approver_removed_from_the_plan_after_the_pause_opened_may_still_decide_it(paused, bot):
    # Given the plan's approvers changed to someone else after the pause opened
    _set_plan_approvers(paused["planId"], [VIEWER])
    # When the approver the pause opened with resumes it from its button
    value = _buttons(paused["message"])[ids.APPROVAL_RESUME]
    bot.decide(
        ids.APPROVAL_RESUME, value, "go", user=APPROVER, user_name="alice", message_ts=paused["message"]["ts"]
    )
    # Then the run goes on, decided by that approver
    finished = _execution(paused["executionId"], TERMINAL)
    assert finished["status"] == "SUCCEEDED"
    assert (finished["decisions"][0]["decidedBy"], finished["decisions"][0]["channel"]) == ("@alice", "slack")


def test_an_approver_added_after_the_pause_opened_may_not_and_is_told_who_may_as_mentions(paused, bot):
    # Given the viewer named the plan's approver after the pause opened
    _set_plan_approvers(paused["planId"], [VIEWER])
    # When the viewer clicks Resume
    _click(bot, paused, ids.APPROVAL_RESUME, VIEWER)
    # Then no form opens, the run is still paused, and the refusal names the pause's approver with a
    # real mention, in the message text and in its block (never an escaped &lt;@…&gt;)
    assert bot.fake.calls_to("views.open") == []
    refusal = bot.responses()[-1]
    assert f"<@{APPROVER}>" in refusal["text"] and "&lt;@" not in refusal["text"]
    (block,) = refusal["blocks"]
    assert block["text"]["type"] == "mrkdwn" and f"<@{APPROVER}>" in block["text"]["text"]
    assert f"<@{VIEWER}>" not in json.dumps(refusal)
    assert _execution(paused["executionId"])["status"] == "PAUSED"


def test_status_offers_the_buttons_by_the_policy_the_pause_opened_with(paused, bot):
    # Given the plan's approvers changed after the pause opened
    _set_plan_approvers(paused["planId"], [VIEWER])
    # When the pause's approver and the newly named viewer ask for its status
    bot.command(f"status {paused['executionId']}", user=APPROVER)
    offered = bot.responses()[-1]
    bot.command(f"status {paused['executionId']}", user=VIEWER)
    refused = bot.responses()[-1]
    # Then the buttons go to the pause's approver only; the viewer is told who may, as a mention
    assert set(_buttons(offered)) == {ids.APPROVAL_RESUME, ids.APPROVAL_CANCEL}
    assert _buttons(refused) == {}
    assert any(
        b["type"] == "section" and b["text"]["type"] == "mrkdwn" and f"<@{APPROVER}>" in b["text"]["text"]
        for b in refused["blocks"]
    )
