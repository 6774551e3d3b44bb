"""Readiness from Slack: ``/dr check`` lists failures first; ``/dr run`` of a plan that is not ready
is refused with the failing checks and the command that forces it; ``force`` starts it, announced;
``at <time>`` runs from a point in time; a bad time is an ephemeral error saying which."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import ids
from tests.integration.slack.test_commands import ack_text, make_plan
from tests.support.events import call_api


def stalled_plan(aws, name="Payments failover"):
    stalled = aws.drs.estate.unhealthy_server_ids()
    status, group = call_api(
        "POST", "/protection-groups", {"groupName": "Database tier", "sourceServerIds": stalled}
    )
    assert status == 201, group
    return make_plan(name, groups=[group["groupId"]]), stalled


def test_check_lists_the_failures_first(orchestration, bot):
    _, stalled = stalled_plan(orchestration.aws)
    bot.command("check Payments failover")
    reply = bot.responses()[-1]
    assert reply["response_type"] == "ephemeral"
    text = bot.last_reply()
    assert "Payments failover is NOT ready" in text and "2 failing" in text
    assert text.index("❌") < text.index("✅") and stalled[0] in text


def test_a_run_of_a_plan_that_is_not_ready_is_refused_and_says_how_to_force(orchestration, bot):
    stalled_plan(orchestration.aws)
    bot.command("run Payments failover")
    text = bot.last_reply()
    assert "Payments failover was not started: 2 readiness checks fail" in text
    assert "/dr run Payments failover drill force" in text
    assert call_api("GET", "/executions")[1]["items"] == []
    bot.command("run Payments failover drill force")
    assert "(forced past failing readiness checks)" in bot.last_reply()
    [execution] = call_api("GET", "/executions")[1]["items"]
    assert execution["forced"] is True


def test_a_recovery_from_a_point_in_time_keeps_its_options_through_the_confirm_button(orchestration, bot):
    plan = make_plan("Payments failover")
    bot.command("run Payments failover recovery at 3h ago")
    button = bot.responses()[-1]["blocks"][1]["elements"][0]
    assert button["action_id"] == ids.RUN_RECOVERY_CONFIRM and plan["planId"] in button["value"]
    bot.click(ids.RUN_RECOVERY_CONFIRM, button["value"])
    [execution] = call_api("GET", "/executions")[1]["items"]
    moment = datetime.fromisoformat(execution["pointInTime"])
    assert execution["isDrill"] is False
    assert timedelta(hours=3) <= datetime.now(UTC) - moment < timedelta(hours=3, minutes=1)
    assert all(s["recoverySnapshotId"] for w in execution["waves"] for s in w["servers"])


def test_a_bad_time_is_an_ephemeral_error_saying_which(orchestration, bot):
    make_plan("Payments failover")
    response = bot.command("run Payments failover at 2026-99-01T10:00Z")  # refused by the ack itself
    assert "is not a time" in ack_text(response) and "ISO 8601" in ack_text(response)
    bot.command("run Payments failover at 30d ago")
    assert "older than DRS's snapshot retention of 7 days" in bot.last_reply()
    assert call_api("GET", "/executions")[1]["items"] == []
