"""Approvers may be Slack user groups (``S…``): members read with ``usergroups.users.list``, cached
briefly per group; a group that cannot be read lets nobody through it, and the refusal says why."""

from __future__ import annotations

import pytest

from bot import access, ids, usergroups
from tests.integration.slack.conftest import text_of
from tests.integration.slack.test_commands import make_plan
from tests.integration.test_executions import TERMINAL, execution_status
from tests.support.data import ONE_APPROVER
from tests.support.fake_slack import APPROVER_GROUP
from tests.support.slack_requests import APPROVER, CHANNEL, OPERATOR, VIEWER


def test_a_group_member_may_decide_and_others_are_told_which_group(bot):
    assert access.decider_refusal(APPROVER, [APPROVER_GROUP]) is None
    refusal = access.decider_refusal(VIEWER, [APPROVER_GROUP])
    assert refusal is not None and f"<!subteam^{APPROVER_GROUP}>" in refusal
    assert "could not read" not in refusal


def test_members_are_read_once_per_group_and_minute(bot, monkeypatch):
    # Given one read of the group
    assert usergroups.group_members(APPROVER_GROUP) == {APPROVER, "U0SECONDOP"}
    # When it is asked again at once, then Slack is not asked again
    usergroups.group_members(APPROVER_GROUP)
    assert len(bot.fake.calls_to("usergroups.users.list")) == 1
    # When the group changes in Slack and the cache has expired, then the change is seen
    bot.fake.slack.usergroups[APPROVER_GROUP] = [VIEWER]
    later = usergroups._clock() + usergroups.CACHE_SECONDS + 1
    monkeypatch.setattr(usergroups, "_clock", lambda: later)
    assert usergroups.group_members(APPROVER_GROUP) == {VIEWER}
    assert len(bot.fake.calls_to("usergroups.users.list")) == 2


@pytest.mark.parametrize("failure", ["no_such_subteam", "missing_scope", "slack_down"])
def test_a_group_that_cannot_be_read_lets_nobody_through(bot, failure):
    # Given a plan whose approvers are a user group Slack will not list
    group = "S0NOSUCH" if failure == "no_such_subteam" else APPROVER_GROUP
    if failure == "missing_scope":
        bot.fake.fail("usergroups.users.list", "missing_scope", times=5)
    if failure == "slack_down":
        bot.fake.fault("error", times=5)
    # When anyone asks to decide (a member, the operator), then they are refused and told why
    for user in (APPROVER, OPERATOR):
        refusal = access.decider_refusal(user, [group])
        assert refusal is not None and "Only this plan's approvers may" in refusal
        assert f"could not read user group {group}:" in refusal
        assert "nobody is allowed through it" in refusal
    # But a user the plan names directly still may
    assert access.decider_refusal(VIEWER, [group, VIEWER]) is None


def test_a_failed_read_is_not_cached(bot):
    bot.fake.fail("usergroups.users.list", "ratelimited", times=1)
    with pytest.raises(usergroups.UnreadableGroupError):
        usergroups.group_members(APPROVER_GROUP)
    assert APPROVER in usergroups.group_members(APPROVER_GROUP)


def _set_approvers(plan_id, approvers):
    """Stored as the quorum work will let the API store them (``S…`` ids are not accepted by
    today's plan model, so the test writes the item)."""
    from handlers import aws

    aws.table("recovery_plans_table").update_item(
        Key={"planId": plan_id},
        UpdateExpression="SET approvers = :a",
        ExpressionAttributeValues={":a": approvers},
    )


def test_a_member_of_the_approver_group_resumes_from_slack(orchestration, bot):
    # Given a plan whose approvers are a user group, paused
    plan = make_plan(slackChannelId=CHANNEL, approvers=[APPROVER], approvalQuorum=ONE_APPROVER)
    _set_approvers(plan["planId"], [APPROVER_GROUP])
    bot.command(f"run {plan['planId']}")
    execution_id = bot.responses()[-1]["text"].rsplit("status ", 1)[1]
    execution_status(execution_id, {"PAUSED"})
    value = f"{execution_id}:2"
    # When someone outside the group clicks Resume, then no form opens and the group is named
    bot.click(ids.APPROVAL_RESUME, value, user=VIEWER)
    assert bot.fake.calls_to("views.open") == []
    assert f"<!subteam^{APPROVER_GROUP}>" in text_of(bot.responses()[-1])
    # When a member of the group resumes, then the run goes on, decided by that member
    bot.decide(ids.APPROVAL_RESUME, value, "db verified", user="U0SECONDOP", user_name="carol")
    finished = execution_status(execution_id, TERMINAL)
    assert finished["status"] == "SUCCEEDED"
    assert (finished["decisions"][0]["decidedBy"], finished["decisions"][0]["reason"]) == (
        "@carol",
        "db verified",
    )
