"""``/dr plan <name> approvers``: a form (operators only) filled in from the plan, saved through
the shared plan update; what the plan service refuses is shown on the form's fields. The plan
create modal carries the same approver fields."""

from __future__ import annotations

import json

from bot import ids
from tests.integration.slack.conftest import text_of
from tests.integration.slack.test_commands import make_plan
from tests.support.data import ONE_APPROVER
from tests.support.events import call_api
from tests.support.slack_requests import APPROVER, OPERATOR, VIEWER


def _open(bot, plan, user=OPERATOR):
    bot.command(f"plan {plan['planName']} approvers", user=user)
    return bot.opened_form()


def _submit(bot, view, users=(), groups="", user=OPERATOR):
    from sandbox.data.slack_requests import view_submission

    values = {
        ids.BLOCK_APPROVERS: {ids.ELEMENT: {"type": "multi_users_select", "selected_users": list(users)}},
        ids.BLOCK_APPROVER_GROUPS: {ids.ELEMENT: {"type": "plain_text_input", "value": groups or None}},
    }
    return bot.send(view_submission(user_id=user, user_name="oncall", view=view, values=values))


def _errors(response):
    body = json.loads(response["body"] or "{}")
    assert body.get("response_action") == "errors", body
    return body["errors"]


def test_the_form_is_filled_in_from_the_plan(bot):
    plan = make_plan(approvers=[APPROVER], approvalQuorum=ONE_APPROVER)
    view = _open(bot, plan)
    assert view["callback_id"] == ids.PLAN_APPROVERS_VIEW
    picker = next(b for b in view["blocks"] if b["block_id"] == ids.BLOCK_APPROVERS)
    assert picker["element"]["initial_users"] == [APPROVER]
    assert json.loads(view["private_metadata"])["planId"] == plan["planId"]


def test_saving_changes_the_plans_approvers_and_says_who_decides_now(bot):
    # the operator saving is one of the approvers the plan names (only they may change them)
    plan = make_plan(approvers=[OPERATOR], approvalQuorum=ONE_APPROVER)
    response = _submit(bot, _open(bot, plan), users=[APPROVER, OPERATOR])
    assert not response["body"]
    stored = call_api("GET", f"/recovery-plans/{plan['planId']}")[1]
    assert sorted(stored["approvers"]) == sorted([APPROVER, OPERATOR])
    (told,) = bot.fake.calls_to("chat.postEphemeral")
    assert f"<@{OPERATOR}>" in text_of(told) and "approvers saved" in text_of(told)


def test_what_the_plan_service_refuses_is_shown_on_the_field(bot):
    # Given a form, when it names user groups the plan model does not accept (yet) or bad ids
    plan = make_plan(approvers=[OPERATOR], approvalQuorum=ONE_APPROVER)
    view = _open(bot, plan)
    assert ids.BLOCK_APPROVER_GROUPS in _errors(_submit(bot, view, groups="not-a-group"))
    # and a well-formed user group id is saved (the plan model takes U… users and S… groups)
    _submit(bot, view, users=[OPERATOR], groups="S0APPROVERS")
    accepted = call_api("GET", f"/recovery-plans/{plan['planId']}")[1]["approvers"]
    assert sorted(accepted) == sorted([OPERATOR, "S0APPROVERS"])


def test_a_plan_changed_meanwhile_is_a_conflict_on_the_form(bot):
    plan = make_plan(approvers=[APPROVER], approvalQuorum=ONE_APPROVER)
    view = _open(bot, plan)
    call_api("PUT", f"/recovery-plans/{plan['planId']}", {"description": "changed"})
    errors = _errors(_submit(bot, view, users=[OPERATOR]))
    assert "version" in errors[ids.BLOCK_APPROVERS]
    assert call_api("GET", f"/recovery-plans/{plan['planId']}")[1]["approvers"] == [APPROVER]


def test_only_operators_may_open_or_submit_it(bot):
    plan = make_plan(approvers=[APPROVER], approvalQuorum=ONE_APPROVER)
    view = _open(bot, plan)
    response = bot.command(f"plan {plan['planName']} approvers", user=VIEWER)
    assert "Only operators may change plan approvers" in response["body"]
    errors = _errors(_submit(bot, view, users=[VIEWER], user=VIEWER))
    assert "Only operators may" in errors[ids.BLOCK_APPROVERS]
    assert call_api("GET", f"/recovery-plans/{plan['planId']}")[1]["approvers"] == [APPROVER]


def test_the_plan_create_modal_has_the_approver_fields(bot):
    make_plan()
    bot.command("plan create")
    blocks = {b.get("block_id") for b in bot.opened_form()["blocks"]}
    assert {ids.BLOCK_APPROVERS, ids.BLOCK_APPROVER_GROUPS} <= blocks


def test_an_operator_the_plan_does_not_name_cannot_rewrite_its_approvers(bot):
    # Given a plan whose approver is APPROVER, when an operator it does not name names himself
    plan = make_plan(approvers=[APPROVER], approvalQuorum=ONE_APPROVER)
    errors = _errors(_submit(bot, _open(bot, plan), users=[OPERATOR, "U0SECONDOP"]))
    # Then the form says who may, and the plan is unchanged
    assert "Only the people its current policy names" in errors[ids.BLOCK_APPROVERS], errors
    assert f"<@{APPROVER}>" not in errors[ids.BLOCK_APPROVERS]  # plain text: a name (bot/names.py)
    stored = call_api("GET", f"/recovery-plans/{plan['planId']}")[1]
    assert stored["approvers"] == [APPROVER] and stored["policyHistory"] == []


def test_a_named_approver_who_is_an_operator_changes_them_recorded_and_announced(bot):
    plan = make_plan(
        approvers=[OPERATOR, APPROVER], approvalQuorum=ONE_APPROVER, slackChannelId="C0DRCHANNEL"
    )
    assert not _submit(bot, _open(bot, plan), users=[OPERATOR, "U0SECONDOP"])["body"]
    stored = call_api("GET", f"/recovery-plans/{plan['planId']}")[1]
    change = stored["policyHistory"][-1]
    assert (change["changedBy"], change["via"]) == ("@oncall", "slack")
    assert change["before"]["approvers"] == [OPERATOR, APPROVER]
    assert change["after"]["approvers"] == [OPERATOR, "U0SECONDOP"]
    (event,) = [json.loads(p) for p in bot.published if json.loads(p)["eventType"] == "policy_changed"]
    assert event["slackChannels"] == ["C0DRCHANNEL"] and event["decidedBy"] == "@oncall"
    # and the notifier posts it in the plan's channel, as a message of its own
    bot.pump()
    (posted,) = [c for c in bot.fake.calls_to("chat.postMessage") if "approval policy" in text_of(c)]
    assert posted["channel"] == "C0DRCHANNEL" and "thread_ts" not in posted
    assert "changed by @oncall (via slack)" in text_of(posted) and "U0SECONDOP" in text_of(posted)
