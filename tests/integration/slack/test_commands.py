"""Every ``/dr`` subcommand through ``bot.app.lambda_handler`` with signed requests, moto behind
the services and a fake Slack Web API recording what the bot sends."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest

from tests.conftest import ACCOUNT_B
from tests.integration.slack.conftest import text_of
from tests.support.data import ONE_APPROVER, group_body, plan_body
from tests.support.events import call_api
from tests.support.slack_requests import APPROVER, OPERATOR, VIEWER, command_body

HOSTILE = "<!channel> *x* & <@U0OPERATOR>"


def make_groups(count, prefix="Tier"):
    return [
        call_api("POST", "/protection-groups", group_body(f"{prefix} {i}"))[1]["groupId"]
        for i in range(count)
    ]


def make_plan(name="Payments failover", groups=None, **extra):
    status, plan = call_api(
        "POST", "/recovery-plans", plan_body(groups or make_groups(2), name=name, **extra)
    )
    assert status == 201, plan
    return plan


def ack_text(response):
    return text_of(json.loads(response["body"])) if response["body"] else ""


def test_help_is_answered_by_the_ack_without_any_slack_call(bot):
    response = bot.command("help")
    assert response["statusCode"] == 200
    assert "/dr run <plan> [drill|recovery]" in ack_text(response)
    assert bot.fake.calls == []  # in particular no auth.test in front of the ack


def test_a_bad_signature_is_401_and_touches_nothing(bot):
    body = command_body("account 222222222222", response_url=bot.fake.response_url())
    response = bot.send(body, secret="not-the-signing-secret")
    assert response["statusCode"] == 401
    assert bot.fake.calls == [] and bot.invocations == []
    bot.command("account")
    assert "111111111111" in bot.last_reply()


def test_a_stale_timestamp_is_401(bot):
    body = command_body("plans", response_url=bot.fake.response_url())
    response = bot.send(body, timestamp=int(time.time()) - 6 * 60)
    assert response["statusCode"] == 401
    assert bot.fake.calls == [] and bot.invocations == []


def test_a_malformed_payload_is_rejected_without_a_trace(bot):
    response = bot.send("payload=%7Bnot-json")
    assert response["statusCode"] == 400
    assert "Traceback" not in str(response) and bot.invocations == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=1", "application/x-www-form-urlencoded"),  # JSON, but not an object
        ("payload=null", "application/x-www-form-urlencoded"),
        ("[]", "application/json"),
        ("{not json", "application/x-www-form-urlencoded"),  # Bolt reads a body starting with { as JSON
        ("text=hi&payload=%7Bnot-json", "application/x-www-form-urlencoded"),  # payload not first
        (urlencode({"payload": json.dumps({"team": 1})}), "application/x-www-form-urlencoded"),
        (urlencode({"payload": json.dumps({"authorizations": [1]})}), "application/x-www-form-urlencoded"),
    ],
)
def test_a_payload_bolt_cannot_read_is_a_400_even_unsigned(bot, body, content_type):
    # Given a body Bolt would fail to read before it checks the signature, sent by anyone
    # When it reaches the bot
    response = bot.send(body, secret="not-the-signing-secret", content_type=content_type)
    # Then it is refused as malformed: no crash (an unhandled error), nothing touched
    assert response["statusCode"] == 400
    assert bot.invocations == [] and bot.fake.calls == []


def test_a_json_body_that_is_not_json_is_a_400_not_a_crash(bot):
    response = bot.send("{not json", content_type="application/json")
    assert response["statusCode"] == 400 and bot.invocations == [] and bot.fake.calls == []


def test_an_unknown_subcommand_gets_an_explanation_and_the_help_line(bot):
    text = ack_text(bot.command("explode everything"))
    assert "unknown subcommand 'explode'" in text and "/dr help" in text
    assert bot.responses() == []


def test_bad_arguments_get_the_relevant_usage_line(bot):
    text = ack_text(bot.command("account 12345"))
    assert "exactly 12 digits" in text and "/dr account [<12-digit account id>]" in text
    text = ack_text(bot.command("subscribe Payments not-an-email"))
    assert "is not an email address" in text and "/dr subscribe <plan> <email>" in text


def test_account_shows_and_an_operator_sets_the_channel_account(bot):
    bot.command("account")
    assert "acts on account 111111111111" in bot.last_reply()
    bot.command(f"account {ACCOUNT_B}")
    assert bot.responses()[-1]["response_type"] == "in_channel"
    bot.command("account")
    assert f"acts on account {ACCOUNT_B}" in bot.last_reply()


def test_a_non_operator_is_refused_with_the_operators_named(bot):
    text = ack_text(bot.command(f"account {ACCOUNT_B}", user=VIEWER, user_name="viewer"))
    assert "Only operators may set the channel's account" in text and f"<@{OPERATOR}>" in text
    assert bot.responses() == []  # the lazy listener did nothing more
    text = ack_text(bot.command("run Payments", user=APPROVER))
    assert "Only operators may start executions" in text


def test_without_operators_changing_commands_say_how_to_configure_them(bot, monkeypatch):
    monkeypatch.setenv("SLACK_OPERATOR_IDS", "")
    from handlers.core.settings import get_settings

    get_settings.cache_clear()
    text = ack_text(bot.command("run Payments"))
    assert "No operators are configured" in text and "SLACK_OPERATOR_IDS" in text


def test_groups_and_plans_paginate(bot):
    groups = make_groups(23, prefix="Group")
    bot.command("groups")
    assert "showing 20 of 23" in bot.last_reply() and "next: /dr groups 2" in bot.last_reply()
    bot.command("groups 2")
    assert "showing 3 of 23" in bot.last_reply()
    make_plan("Only plan", groups[:1])
    bot.command("plans")
    assert "Only plan" in bot.last_reply() and "showing 1 of 1" in bot.last_reply()


def test_plan_shows_waves_servers_subscription_approvers_and_last_execution(bot):
    make_plan(
        "Payments failover",
        notificationEmail="dr@example.com",
        approvers=[APPROVER],
        approvalQuorum=ONE_APPROVER,
    )
    bot.command("plan payments FAILOVER")
    text = bot.last_reply()
    assert "1. Tier 0 · 2 servers" in text and "2. Tier 1 · 2 servers · pauses before" in text
    assert "Email notifications: dr@example.com (" in text
    assert f"<@{APPROVER}>" in text and "never run" in text


def test_ambiguous_and_unknown_plan_names_list_candidates(bot):
    groups = make_groups(2)
    first = make_plan("Payments A", groups[:1])
    make_plan("Payments B", groups[1:])
    bot.command("plan Payments")
    text = bot.last_reply()
    assert "did you mean" in text and "Payments A" in text and first["planId"] in text
    bot.command("plan Nothing like it")
    assert "no plan named 'Nothing like it'" in bot.last_reply()


def test_a_plan_name_with_mentions_and_markup_is_shown_literally(bot):
    make_plan(HOSTILE)
    bot.command("plans")
    bot.command(f"plan {HOSTILE.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}")
    assert "&lt;!channel&gt;" in bot.responses()[-1]["text"]
    for response in bot.responses():
        assert "<!channel>" not in response["text"]
        for block in response["blocks"]:
            for obj in [block.get("text"), *block.get("elements", [])]:
                if obj and obj["type"] == "mrkdwn":
                    assert "channel" not in obj["text"] and "*x*" not in obj["text"]
    assert HOSTILE in text_of(bot.responses()[-1])  # in plain_text objects, verbatim


def test_subscribe_and_unsubscribe(bot):
    plan = make_plan("Payments failover")
    bot.command("subscribe Payments failover oncall@example.com")
    assert "notifications go to oncall@example.com" in bot.last_reply()
    assert (
        call_api("GET", f"/recovery-plans/{plan['planId']}")[1]["notificationEmail"] == "oncall@example.com"
    )
    bot.command('unsubscribe "Payments failover"')
    assert "email notifications stopped" in bot.last_reply()
    assert call_api("GET", f"/recovery-plans/{plan['planId']}")[1]["notificationEmail"] == ""


def test_a_channel_without_an_account_is_told_how_to_set_one(bot):
    bot.command("plans", channel="C0OTHER")
    assert "no AWS account yet" in bot.last_reply() and "/dr account" in bot.last_reply()


def test_plan_finds_its_last_execution_behind_many_newer_ones_of_other_plans(bot):
    from handlers.models.execution import Execution
    from handlers.repositories.executions import ExecutionRepository

    # Given a plan run once, then 120 newer executions of another plan in the same account
    ours, other = make_plan("Payments failover"), make_plan("Other plan")
    repository = ExecutionRepository()

    def record(plan, number):
        repository.insert(
            Execution(
                executionId=f"exec-{plan['planId'][:8]}-{number:04d}",
                planId=plan["planId"],
                planName=plan["planName"],
                accountId=plan["accountId"],
                status="SUCCEEDED",
                startedBy="@someone",
                startedVia="slack",
                startTime=f"2030-01-01T00:{number // 60:02d}:{number % 60:02d}.000000Z",
                waves=[],
            )
        )

    record(ours, 0)
    for number in range(1, 121):
        record(other, number)
    # When someone looks at the plan
    bot.command("plan Payments failover")
    # Then its last execution is shown, not "never run"
    assert f"exec-{ours['planId'][:8]}-0000" in bot.last_reply() and "never run" not in bot.last_reply()


def test_an_unexpected_failure_is_told_to_the_user_and_counted_as_a_metric(bot, monkeypatch, capsys):
    # Given the data store fails in a way the bot does not expect
    from handlers.plans import recovery_plans

    def broken(*_args, **_kwargs):
        raise RuntimeError("simulated outage")

    monkeypatch.setattr(recovery_plans, "all_recovery_plans", broken)
    # When a user lists plans
    bot.command("plans")
    # Then the user is told something went wrong (no traceback), and the failure is counted
    assert "Something went wrong on our side" in bot.last_reply()
    assert "Traceback" not in bot.last_reply() and "simulated outage" not in bot.last_reply()
    assert '"SlackRequestFailure"' in capsys.readouterr().out
