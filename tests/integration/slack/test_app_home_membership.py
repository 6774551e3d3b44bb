"""The App Home shows a user only the accounts of the channels they are a member of (Slack's
``users.conversations``, every page, intersected with the channels' accounts); when Slack does not
list their channels it shows no account at all and says why."""

from __future__ import annotations

import json

from handlers.accounts.channel_settings import set_channel_account
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.integration.slack.conftest import text_of
from tests.support.data import group_body, plan_body
from tests.support.events import call_api
from tests.support.orchestration import wait_until
from tests.support.slack_requests import APPROVER, OPERATOR

B_CHANNEL = "C0OTHER"  # a channel of the fake Slack, bound to account B below


def _paused_run_in_b():
    groups = [
        call_api("POST", "/protection-groups", group_body(f"B tier {i}"), account=ACCOUNT_B)[1]["groupId"]
        for i in range(2)
    ]
    plan = call_api("POST", "/recovery-plans", plan_body(groups, name="B secret plan"), account=ACCOUNT_B)[1]
    started = call_api("POST", "/executions", {"planId": plan["planId"]}, account=ACCOUNT_B)[1]
    path = f"/executions/{started['executionId']}"
    assert wait_until(lambda: call_api("GET", path, account=ACCOUNT_B)[1]["status"] == "PAUSED", 30)
    return started["executionId"]


def test_a_member_of_only_account_as_channel_sees_nothing_of_account_b(orchestration, bot):
    # Given account B bound to a channel only the operator is in, with a paused run there
    set_channel_account(B_CHANNEL, ACCOUNT_B, by="@setup")
    bot.fake.slack.members[B_CHANNEL] = {OPERATOR}
    bot.fake.slack.conversations_page_size = 1  # each channel on a page of its own
    execution_id = _paused_run_in_b()
    # When the approver, a member of account A's channel only, opens the App Home
    dumped = json.dumps(bot.open_home(APPROVER))
    # Then nothing of account B is in it
    assert "B secret plan" not in dumped and execution_id not in dumped and ACCOUNT_B not in dumped
    assert ACCOUNT_A in dumped
    # And the operator, a member of both channels (read over two pages), sees B's run
    shown = text_of({"blocks": bot.open_home(OPERATOR)["blocks"]})
    assert execution_id in shown and ACCOUNT_B in shown
    asked = [c for c in bot.fake.calls_to("users.conversations") if c["user"] == OPERATOR]
    assert len(asked) == 2 and asked[1]["cursor"]
    assert all(c["types"] == "public_channel,private_channel" for c in asked)


def test_when_slack_does_not_list_the_users_channels_the_home_shows_no_account(bot):
    # Given Slack refuses users.conversations (e.g. a missing scope)
    bot.fake.fail("users.conversations", "missing_scope")
    # When the operator opens the App Home, then it shows no account and says why
    shown = text_of({"blocks": bot.open_home(OPERATOR)["blocks"]})
    assert "Slack did not list your channels (missing_scope)" in shown
    assert ACCOUNT_A not in shown
