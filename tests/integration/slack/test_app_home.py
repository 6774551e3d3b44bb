"""The App Home: "Waiting for you" (open pauses this user may decide, with the same buttons),
"Running", "Awaiting failback", "Recent", for the accounts Slack channels are bound to; its buttons decide through the
channel bound to the pause's account, and the home is published again afterwards."""

from __future__ import annotations

import json

import pytest

from bot import ids
from tests.conftest import ACCOUNT_C
from tests.integration.slack.conftest import text_of
from tests.integration.slack.test_commands import make_plan
from tests.integration.test_executions import TERMINAL, execution_status
from tests.support.data import ONE_APPROVER, group_body, plan_body
from tests.support.events import call_api
from tests.support.orchestration import wait_until
from tests.support.slack_requests import APPROVER, CHANNEL, VIEWER


def home_buttons(view):
    return {
        (b["block_id"], e["action_id"]): e["value"]
        for b in view.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
    }


@pytest.fixture
def paused(orchestration, bot):
    plan = make_plan(
        slackChannelId=CHANNEL,
        approvers=[APPROVER],
        approverPrincipals=["oncall@example.com"],  # the API caller of these tests may cancel too
        approvalQuorum=ONE_APPROVER,
    )
    bot.command(f"run {plan['planId']}")
    execution_id = bot.responses()[-1]["text"].rsplit("status ", 1)[1]
    execution_status(execution_id, {"PAUSED"})
    return execution_id


def test_an_approver_sees_the_pause_waiting_for_them_with_its_buttons(paused, bot):
    view = bot.open_home(APPROVER)
    (call,) = bot.fake.calls_to("views.publish")
    assert call["user_id"] == APPROVER and view["type"] == "home"
    buttons = home_buttons(view)
    assert {a for _, a in buttons} == {ids.APPROVAL_RESUME, ids.APPROVAL_CANCEL}
    assert all(block.startswith(f"home:{CHANNEL}:") for block, _ in buttons)
    shown = text_of({"blocks": view["blocks"]})
    assert "Waiting for you" in shown and "Payments failover is paused before wave 2" in shown
    assert paused in shown  # listed under Running too


def test_someone_who_may_not_decide_sees_no_buttons(paused, bot):
    view = bot.open_home(VIEWER)
    assert home_buttons(view) == {}
    shown = text_of({"blocks": view["blocks"]})
    assert "Nothing is waiting for you." in shown and paused in shown


def test_resume_from_the_home_opens_the_form_decides_and_republishes_the_home(paused, bot):
    # Given the approver's home with the pause's buttons
    view = bot.open_home(APPROVER)
    (block_id, _), value = next(i for i in home_buttons(view).items() if i[0][1] == ids.APPROVAL_RESUME)
    # When they click Resume there (a view: no channel), and submit the form with a reason
    bot.click_home(APPROVER, block_id, ids.APPROVAL_RESUME, value)
    form = bot.opened_form()
    assert json.loads(form["private_metadata"])["channel"] == CHANNEL
    bot.submit_form(form, "from home", user=APPROVER, user_name="alice")
    # Then the run is resumed with that reason, and the home shows the outcome, no buttons left
    finished = execution_status(paused, TERMINAL)
    assert (finished["decisions"][0]["decidedBy"], finished["decisions"][0]["reason"]) == (
        "@alice",
        "from home",
    )
    home = bot.fake.slack.home(APPROVER) or {}
    assert "Resumed by @alice via slack" in text_of({"blocks": home["blocks"]})
    assert home_buttons(home) == {}


def test_recent_lists_endings_with_the_report_hint(paused, bot):
    call_api("POST", f"/executions/{paused}/cancel", {"reason": "done"})
    execution_status(paused, TERMINAL)
    shown = text_of({"blocks": bot.open_home(VIEWER)["blocks"]})
    assert "CANCELLED" in shown and f"/dr report {paused}" in shown


def test_an_account_no_channel_is_bound_to_is_not_shown(orchestration, bot):
    # Given a paused execution in account C, to which no channel is bound
    groups = [
        call_api("POST", "/protection-groups", group_body(f"C tier {i}"), account=ACCOUNT_C)[1]["groupId"]
        for i in range(2)
    ]
    plan = call_api("POST", "/recovery-plans", plan_body(groups, name="C secret plan"), account=ACCOUNT_C)[1]
    started = call_api("POST", "/executions", {"planId": plan["planId"]}, account=ACCOUNT_C)[1]
    path = f"/executions/{started['executionId']}"
    assert wait_until(lambda: call_api("GET", path, account=ACCOUNT_C)[1]["status"] == "PAUSED", 30)
    # When an operator opens the home, then nothing of C is in it
    dumped = json.dumps(bot.open_home())
    assert "C secret plan" not in dumped and started["executionId"] not in dumped and ACCOUNT_C not in dumped


def test_a_recovery_awaiting_failback_is_on_the_home_until_it_fails_back(orchestration, bot):
    # Given a RECOVERY of the channel's account that SUCCEEDED (production runs in the recovery region)
    from handlers.failback.records import FailbackRecords
    from handlers.models.execution import FailbackRecord
    from tests.conftest import ACCOUNT_A
    from tests.support.drills import finished_execution, plan_with_groups

    plan = plan_with_groups(ACCOUNT_A, servers=(1,), slackChannelId=CHANNEL)
    recovery = finished_execution(plan, is_drill=False)
    drill = finished_execution(plan, is_drill=True)
    # When anyone in the channel opens the home
    shown = text_of({"blocks": bot.open_home(VIEWER)["blocks"]})
    # Then it is listed as awaiting failback, with the command that shows its way home; a drill is not
    assert "Awaiting failback" in shown
    assert f"failback {recovery.executionId}" in shown and "not reversed yet" in shown
    assert f"failback {drill.executionId}" not in shown
    # When its failback is done, Then it leaves the list
    records = FailbackRecords()
    assert records.begin(recovery.executionId, FailbackRecord(status="READY"))
    assert "ready to fail back" in text_of({"blocks": bot.open_home(VIEWER)["blocks"]})
    assert records.move(recovery.executionId, ["READY"], "FAILED_BACK") is not None
    shown = text_of({"blocks": bot.open_home(VIEWER)["blocks"]})
    assert "Awaiting failback" not in shown
