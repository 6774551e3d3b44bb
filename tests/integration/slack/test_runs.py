"""Running plans from Slack: drill, recovery (confirmed first), status, cancel (confirmed first),
and the ``plan create`` modal."""

from __future__ import annotations

import json

from bot import ids
from tests.integration.slack.test_commands import ack_text, make_groups, make_plan
from tests.integration.test_executions import TERMINAL, execution_status
from tests.support.events import call_api
from tests.support.slack_requests import CHANNEL, OPERATOR, VIEWER


def started_id(bot):
    reply = bot.responses()[-1]
    assert reply["response_type"] == "in_channel", reply
    return reply["text"].rsplit("status ", 1)[1]


def test_run_starts_a_drill_and_status_shows_each_wave(orchestration, bot):
    make_plan("Payments failover")
    bot.command("run Payments failover")
    execution_id = started_id(bot)
    assert "@oncall started a drill of Payments failover" in bot.last_reply()
    execution_status(execution_id, {"PAUSED"})
    bot.command(f"status {execution_id}")
    text = bot.last_reply()
    assert "⏸️ Drill: Payments failover" in text and "PAUSED · started by @oncall" in text
    assert "✅ Wave 1: Tier 0 · 2/2 servers launched" in text and "⏸️ Wave 2: Tier 1" in text
    bot.command("status")
    assert execution_id in bot.last_reply()


def test_a_recovery_asks_for_confirmation_before_starting(orchestration, bot):
    plan = make_plan("Payments failover")
    bot.command("run Payments failover recovery")
    reply = bot.responses()[-1]
    button = reply["blocks"][1]["elements"][0]
    assert button["action_id"] == ids.RUN_RECOVERY_CONFIRM and button["value"] == plan["planId"]
    assert button["confirm"]["title"]["text"] == "Start a real recovery?"
    assert call_api("GET", "/executions")[1]["items"] == []  # nothing started yet
    bot.click(ids.RUN_RECOVERY_CONFIRM, plan["planId"])
    assert {"delete_original": True} in [
        {k: v for k, v in r.items() if k == "delete_original"} for r in bot.responses()
    ]
    execution = call_api("GET", f"/executions/{started_id(bot)}")[1]
    assert execution["isDrill"] is False and execution["startedBy"] == "@oncall"


def test_only_operators_may_confirm_a_recovery(orchestration, bot):
    plan = make_plan("Payments failover")
    bot.click(ids.RUN_RECOVERY_CONFIRM, plan["planId"], user=VIEWER, user_name="viewer")
    assert "Only operators may start executions" in bot.last_reply()
    assert call_api("GET", "/executions")[1]["items"] == []


def test_cancel_asks_first_then_cancels(orchestration, bot):
    make_plan("Payments failover")
    bot.command("run Payments failover")
    execution_id = started_id(bot)
    execution_status(execution_id, {"PAUSED"})
    bot.command(f"cancel {execution_id}")
    button = bot.responses()[-1]["blocks"][1]["elements"][0]
    assert button["action_id"] == ids.CANCEL_EXECUTION_CONFIRM and "confirm" in button
    bot.click(ids.CANCEL_EXECUTION_CONFIRM, execution_id)
    assert "@oncall cancelled execution" in bot.last_reply()
    finished = execution_status(execution_id, TERMINAL)
    assert finished["status"] == "CANCELLED" and finished["decisions"][0]["channel"] == "slack"
    bot.command(f"cancel {execution_id}")
    assert "already finished: CANCELLED" in bot.last_reply()


def test_an_unknown_execution_is_reported(orchestration, bot):
    bot.command("status 00000000-0000-0000-0000-000000000000")
    assert "not found" in bot.last_reply()


SECOND_APPROVER = "U0SECONDAPPR"


def modal_values(name, groups, email="", pause_second=True):
    values = {
        ids.BLOCK_PLAN_NAME: {ids.ELEMENT: {"type": "plain_text_input", "value": name}},
        ids.BLOCK_DESCRIPTION: {ids.ELEMENT: {"type": "plain_text_input", "value": None}},
        ids.BLOCK_EMAIL: {ids.ELEMENT: {"type": "plain_text_input", "value": email}},
        ids.BLOCK_APPROVERS: {
            ids.ELEMENT: {"type": "multi_users_select", "selected_users": [OPERATOR, SECOND_APPROVER]}
        },
    }
    for number, group in enumerate(groups, start=1):
        option = {"value": group} if group else None
        values[ids.wave_block(number)] = {
            ids.WAVE_GROUP: {"type": "external_select", "selected_option": option}
        }
        picked = [{"value": "pause"}] if pause_second and number == 2 else []
        values[ids.pause_block(number)] = {ids.ELEMENT: {"type": "checkboxes", "selected_options": picked}}
    return values


def test_plan_create_opens_a_modal_with_one_slot_per_wave(bot):
    make_groups(3)
    bot.command("plan create")
    (opened,) = bot.fake.calls_to("views.open")
    view = opened["view"]
    assert opened["trigger_id"] == "1337.42.trigger" and view["callback_id"] == ids.PLAN_CREATE_VIEW
    block_ids = [b["block_id"] for b in view["blocks"]]
    assert [ids.wave_block(n) for n in (1, 2, 3)] == [b for b in block_ids if b.startswith("wave_")]
    pickers = [b["element"] for b in view["blocks"] if b["block_id"].startswith("wave_")]
    assert {p["type"] for p in pickers} == {"external_select"}


def options_for(bot, typed, view=None):
    from sandbox.data.slack_requests import block_suggestion

    view = view or {"id": "V0TEST", "type": "modal", "callback_id": ids.PLAN_CREATE_VIEW}
    body = block_suggestion(
        user_id=VIEWER,
        user_name="viewer",
        view={"private_metadata": CHANNEL, **view},
        action_id=ids.WAVE_GROUP,
        block_id=ids.wave_block(1),
        value=typed,
    )
    response = bot.send(body)
    assert response["statusCode"] == 200, response
    return json.loads(response["body"])["options"]


def test_the_wave_pickers_offer_every_group_matching_what_is_typed(bot):
    # Given 130 groups (more than a static select's 100 options)
    make_groups(130, prefix="Group")
    # When the picker asks with nothing typed, then with part of a name far down the list
    first = options_for(bot, "")
    found = options_for(bot, "group 12")
    # Then it gets at most 100, and typing finds any group, the 130th included
    assert len(first) == 100
    assert [o["text"]["text"] for o in found] == ["Group 12", *[f"Group {n}" for n in range(120, 130)]]
    assert all(o["value"] for o in found)


def test_the_wave_pickers_offer_nothing_in_a_channel_without_an_account(bot):
    make_groups(1)
    assert options_for(bot, "", {"private_metadata": "C0NOACCOUNT"}) == []


def test_plan_create_shows_validation_errors_on_the_fields(bot):
    groups = make_groups(2)
    response = bot.submit(modal_values("", [groups[0], groups[0]], email="not an email"))
    answer = json.loads(response["body"])
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {ids.wave_block(2)}  # first the wave picks
    answer = json.loads(bot.submit(modal_values("  ", groups, email="not an email"))["body"])
    assert set(answer["errors"]) == {ids.BLOCK_PLAN_NAME, ids.BLOCK_EMAIL}
    assert "valid email" in answer["errors"][ids.BLOCK_EMAIL]
    assert call_api("GET", "/recovery-plans")[1]["items"] == []


def test_plan_create_submission_creates_the_plan_for_the_channel(bot):
    groups = make_groups(2)
    response = bot.submit(modal_values("From Slack", [groups[1], None, groups[0]], email="dr@example.com"))
    assert response["statusCode"] == 200 and not response["body"]
    (plan,) = call_api("GET", "/recovery-plans")[1]["items"]
    assert plan["planName"] == "From Slack" and plan["slackChannelId"] == "C0DRCHANNEL"
    assert [w["protectionGroupId"] for w in plan["waves"]] == [groups[1], groups[0]]
    # (two approvers: one could never reach a real recovery's default quorum of 2)
    assert plan["approvers"] == [OPERATOR, SECOND_APPROVER] and plan["notificationEmail"] == "dr@example.com"
    (posted,) = bot.fake.calls_to("chat.postEphemeral")
    assert posted["user"] == OPERATOR and "Created recovery plan From Slack" in posted["text"]


def test_a_viewer_cannot_submit_the_modal(bot):
    groups = make_groups(1)
    answer = json.loads(bot.submit(modal_values("Nope", groups), user=VIEWER)["body"])
    assert "Only operators" in answer["errors"][ids.BLOCK_PLAN_NAME]
    # the lazy listener (which Bolt runs whatever the ack said) creates nothing either
    assert call_api("GET", "/recovery-plans")[1]["items"] == []
    assert bot.fake.calls_to("chat.postEphemeral") == []
    assert ack_text(bot.command("plan create", user=VIEWER)).startswith("Only operators may create plans")


def test_report_shows_the_rto_against_the_target_each_wave_the_decision_and_where_the_full_report_is(
    orchestration, bot
):
    # Given a drill of a plan with a 30-minute target, paused before wave 2 and cancelled with a reason
    plan = make_plan("Payments failover")
    current = call_api("GET", f"/recovery-plans/{plan['planId']}")[1]
    update = {"version": current["version"], "targetRtoMinutes": 30}
    assert call_api("PUT", f"/recovery-plans/{plan['planId']}", update)[0] == 200
    bot.command("run Payments failover")
    execution_id = started_id(bot)
    execution_status(execution_id, {"PAUSED"})
    call_api("POST", f"/executions/{execution_id}/cancel", {"reason": "<!channel> window closed"})
    execution_status(execution_id, TERMINAL)
    # When a viewer asks for its report
    bot.command(f"report {execution_id}", user=VIEWER, user_name="viewer")
    # Then it leads with the RTO against the target (missed: wave 2 never launched)
    reply = bot.responses()[-1]
    text = json.dumps(reply["blocks"], ensure_ascii=False)
    assert "Evidence report: Payments failover (DRILL, CANCELLED)" in text
    assert "(target 30) ✗" in text
    assert "Wave 1 Tier 0: COMPLETED, 2/2 launched" in text
    # and the decision with its reason, shown literally (plain text: no mention fires)
    assert "cancel by oncall@example.com via api" in text and "<!channel> window closed" in text
    assert all(b["type"] != "section" or b["text"]["type"] == "plain_text" for b in reply["blocks"])
    assert f"/executions/{execution_id}/report?format=html" in text
    assert f"reports/111111111111/{execution_id}.html" in text
