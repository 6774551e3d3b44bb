"""Account isolation in Slack, generated from the tables: every action id of bot/ids.py and every
``/dr`` subcommand that names an item, sent from a channel bound to account B against account A's
group, plan, paused execution and approval. B is told "not found" (lists show none of A's items)
and nothing of A's changes. An action id or subcommand without a case here fails
``test_every_*_has_a_case``."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from bot import ids
from bot.subcommand_table import SUBCOMMANDS
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.integration.slack.conftest import text_of
from tests.support.isolation import Estate, every_case, paused_estate, snapshot
from tests.support.slack_requests import OPERATOR

CHANNEL_B = "C0ACCOUNTB"

# Every constant of bot/ids.py that names an action or a view (block ids and the element id are
# parts of views, not things a user sends).
SENT_IDS = {
    value
    for name, value in vars(ids).items()
    if name.isupper() and isinstance(value, str) and not name.startswith("BLOCK_") and name != "ELEMENT"
}

# action id -> the value of the button, built from A's items
ACTION_CASES: dict[str, Callable[[Estate], str]] = {
    # Pause buttons carry "<executionId>:<waveNumber>" (A's plan pauses before wave 2)
    ids.APPROVAL_RESUME: lambda a: f"{a.execution_id}:2",
    ids.APPROVAL_CANCEL: lambda a: f"{a.execution_id}:2",
    ids.WAVE_RETRY: lambda a: f"{a.execution_id}:2",
    ids.WAVE_SKIP: lambda a: f"{a.execution_id}:2",
    ids.RUN_RECOVERY_CONFIRM: lambda a: a.plan_id,
    ids.CANCEL_EXECUTION_CONFIRM: lambda a: a.execution_id,
    ids.DRILL_CLEANUP: lambda a: a.execution_id,
    ids.DRILL_KEEP: lambda a: a.execution_id,
    ids.EXPORT_NATIVE: lambda a: a.plan_id,
    ids.FAILBACK_START: lambda a: a.execution_id,
    ids.HOOK_ADD: lambda a: a.plan_id,
}
# a plan form whose first wave is A's group; a reason form naming A's paused execution (below),
# an approvers form naming A's plan; a hook form naming A's plan from B's channel:
# tests/integration/slack/test_hook_form.py::test_another_channels_account_cannot_touch_the_plan
VIEW_CASES = {ids.PLAN_CREATE_VIEW, ids.APPROVAL_REASON_VIEW, ids.PLAN_APPROVERS_VIEW, ids.HOOK_FORM_VIEW}
OPTIONS_CASES = {ids.WAVE_GROUP}  # the plan form's group picker asks for options (below)

# subcommand -> text sent, formatted with A's items; lists must show none of A's items
COMMAND_CASES = {
    "plan": "plan {a.plan_id}",
    "group": "group {a.group_id}",
    "plan approvers": "plan {a.plan_id} approvers",
    "plan hooks": "plan {a.plan_id} hooks",
    "run": "run {a.plan_id}",
    "check": "check {a.plan_id}",
    "import": "import {a.plan_id}",  # B's channel sees B's native plans only
    "status": "status {a.execution_id}",
    "report": "report {a.execution_id}",
    "cancel": "cancel {a.execution_id}",
    "cleanup": "cleanup {a.execution_id}",
    "reprotect": "reprotect {a.execution_id}",
    "failback": "failback {a.execution_id}",
    "subscribe": "subscribe {a.plan_id} mallory@example.com",
    "unsubscribe": "unsubscribe {a.plan_id}",
    "groups": "groups",
    "plans": "plans",
}
NAMES_NO_ITEM = {
    "help": "shows the usage",
    "account": "shows the channel's account; reads no item",
    "account set": "binds the channel to an account (operators only); reads no item",
    "plan create": "opens the form; its submission is the plan_create view case",
}


@pytest.fixture
def estate_a(orchestration, bot) -> Estate:
    from handlers.accounts.channel_settings import set_channel_account

    set_channel_account(CHANNEL_B, ACCOUNT_B, by="@setup")
    return paused_estate(orchestration, ACCOUNT_A)


def test_every_action_id_has_a_case():
    assert set(ACTION_CASES) | VIEW_CASES | OPTIONS_CASES == SENT_IDS, (
        "add an isolation case for each new action id"
    )


def test_every_subcommand_has_a_case():
    names = {s.name for s in SUBCOMMANDS}
    assert set(COMMAND_CASES) | set(NAMES_NO_ITEM) == names, "add an isolation case for each subcommand"


def _assert_told_nothing(text: str, a: Estate, *, listing: bool = False) -> None:
    if not listing:
        assert any(p in text.lower() for p in ("not found", "does not exist", "no plan named")), text
    shown = a.secrets() if listing else [a.group_name, a.plan_name]
    assert not [s for s in shown if s in text], f"B was shown A's items: {text[:300]}"


def test_a_button_from_account_b_cannot_act_on_a(estate_a, orchestration, bot):
    # Given A's paused execution, and an operator in a channel bound to account B
    def attempt(action_id: str) -> None:
        before = snapshot(orchestration.aws, ACCOUNT_A)
        # When a button carrying one of A's ids is clicked there
        bot.click(action_id, ACTION_CASES[action_id](estate_a), channel=CHANNEL_B, user=OPERATOR)
        # Then the operator is told "not found" and nothing of A's changed
        _assert_told_nothing(bot.last_reply(), estate_a)
        assert snapshot(orchestration.aws, ACCOUNT_A) == before

    every_case(sorted(ACTION_CASES), attempt)


def test_the_plan_form_from_account_b_cannot_use_a_group_of_a(estate_a, orchestration, bot):
    before = snapshot(orchestration.aws, ACCOUNT_A)
    values = {
        ids.BLOCK_PLAN_NAME: {ids.ELEMENT: {"type": "plain_text_input", "value": "B's plan"}},
        ids.wave_block(1): {
            ids.WAVE_GROUP: {"type": "external_select", "selected_option": {"value": estate_a.group_id}}
        },
    }
    bot.submit(values, channel=CHANNEL_B, user=OPERATOR)
    (reply,) = bot.fake.calls_to("chat.postEphemeral")
    _assert_told_nothing(text_of(reply), estate_a)
    assert snapshot(orchestration.aws, ACCOUNT_A) == before
    assert snapshot(orchestration.aws, ACCOUNT_B)["RECOVERY_PLANS_TABLE"] == []


def test_a_command_from_account_b_cannot_reach_a(estate_a, orchestration, bot):
    def attempt(name: str) -> None:
        before = snapshot(orchestration.aws, ACCOUNT_A)
        bot.command(COMMAND_CASES[name].format(a=estate_a), channel=CHANNEL_B, user=OPERATOR)
        _assert_told_nothing(bot.last_reply(), estate_a, listing=name in ("groups", "plans"))
        assert snapshot(orchestration.aws, ACCOUNT_A) == before

    every_case(sorted(COMMAND_CASES), attempt)


def test_the_group_picker_in_account_bs_channel_offers_none_of_as_groups(estate_a, bot):
    from sandbox.data.slack_requests import block_suggestion

    # Given A's groups, and the plan form opened in a channel bound to account B
    view = {"id": "V0ISOLATION", "type": "modal", "callback_id": ids.PLAN_CREATE_VIEW}
    for typed in ("", estate_a.group_name[:6], estate_a.group_id):
        # When the group picker asks for options matching A's group
        body = block_suggestion(
            user_id=OPERATOR,
            user_name="oncall",
            view={**view, "private_metadata": CHANNEL_B},
            action_id=ids.WAVE_GROUP,
            block_id=ids.wave_block(1),
            value=typed,
        )
        response = bot.send(body)
        # Then none of A's groups is offered
        assert response["statusCode"] == 200, response
        offered = response["body"]
        assert estate_a.group_id not in offered and estate_a.group_name not in offered


@pytest.mark.parametrize("action", ["resume", "cancel"])
def test_a_reason_form_from_account_b_cannot_decide_as_pause(estate_a, orchestration, bot, action):
    import json

    from sandbox.data.slack_requests import view_submission

    # Given a reason form naming A's paused execution, submitted in a channel bound to account B
    before = snapshot(orchestration.aws, ACCOUNT_A)
    metadata = {"channel": CHANNEL_B, "executionId": estate_a.execution_id, "wave": 2, "action": action}
    view = {
        "id": "V0ISOLATION",
        "type": "modal",
        "callback_id": ids.APPROVAL_REASON_VIEW,
        "private_metadata": json.dumps(metadata),
    }
    values = {ids.BLOCK_REASON: {ids.ELEMENT: {"type": "plain_text_input", "value": "mine now"}}}
    response = bot.send(view_submission(user_id=OPERATOR, user_name="oncall", view=view, values=values))
    # Then the form says "not found", and nothing of A's changed
    errors = json.loads(response["body"])["errors"]
    _assert_told_nothing(errors[ids.BLOCK_REASON], estate_a)
    assert snapshot(orchestration.aws, ACCOUNT_A) == before
    assert bot.fake.calls_to("chat.update") == [] and bot.fake.calls_to("chat.postEphemeral") == []


def test_an_approvers_form_from_account_b_cannot_change_as_plan(estate_a, orchestration, bot):
    import json

    from sandbox.data.slack_requests import view_submission

    before = snapshot(orchestration.aws, ACCOUNT_A)
    metadata = {"channel": CHANNEL_B, "planId": estate_a.plan_id, "version": 1}
    view = {
        "id": "V0ISOLATION",
        "type": "modal",
        "callback_id": ids.PLAN_APPROVERS_VIEW,
        "private_metadata": json.dumps(metadata),
    }
    values = {
        ids.BLOCK_APPROVERS: {ids.ELEMENT: {"type": "multi_users_select", "selected_users": [OPERATOR]}}
    }
    response = bot.send(view_submission(user_id=OPERATOR, user_name="oncall", view=view, values=values))
    errors = json.loads(response["body"])["errors"]
    _assert_told_nothing(" ".join(errors.values()), estate_a)
    assert snapshot(orchestration.aws, ACCOUNT_A) == before


@pytest.mark.parametrize("action_id", [ids.APPROVAL_RESUME, ids.APPROVAL_CANCEL])
def test_a_home_button_through_account_bs_channel_cannot_open_as_pause(
    estate_a, orchestration, bot, action_id
):
    # Given a home-tab button naming A's pause but acting through a channel bound to account B
    before = snapshot(orchestration.aws, ACCOUNT_A)
    block_id = f"home:{CHANNEL_B}:{estate_a.execution_id}:2"
    bot.click_home(OPERATOR, block_id, action_id, f"{estate_a.execution_id}:2")
    # Then no form opens, the home says "not found", and nothing of A's changed
    assert bot.fake.calls_to("views.open") == []
    home = bot.fake.slack.home(OPERATOR) or {}
    _assert_told_nothing(text_of({"blocks": home.get("blocks", [])[:3]}), estate_a)
    assert snapshot(orchestration.aws, ACCOUNT_A) == before


def test_the_home_shows_only_accounts_bound_to_channels(estate_a, bot):
    # Given A's paused execution, and no channel bound to A any more (only B's channel is)
    from handlers import aws
    from handlers.repositories.channel_settings import ChannelSettingsRepository

    aws.table("channel_settings_table").delete_item(Key={"channelId": "C0DRCHANNEL"})
    assert {s.accountId for s in ChannelSettingsRepository().all()} == {ACCOUNT_B}
    # When an operator opens the home, then none of A's items is in it
    dumped = json.dumps(bot.open_home(OPERATOR))
    assert not [s for s in estate_a.secrets() if s in dumped]
