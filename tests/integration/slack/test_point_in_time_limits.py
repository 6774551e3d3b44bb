"""``/dr run <plan> drill at <time>`` and ``/dr check <plan> at <time>`` with a time at either end
of the calendar: Slack answers with what is wrong with the time (the start's own reader,
handlers/aws/snapshots.py), never an HTTP 500 with no reply, and nothing starts."""

from __future__ import annotations

import json

import pytest

from tests.integration.slack.conftest import text_of
from tests.support.data import group_body, plan_body
from tests.support.events import call_api


def _plan(name: str = "Payments failover") -> None:
    _, group = call_api("POST", "/protection-groups", group_body())
    assert call_api("POST", "/recovery-plans", plan_body([group["groupId"]], name=name))[0] == 201


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
@pytest.mark.parametrize("command", ["run Payments failover drill at", "check Payments failover at"])
def test_a_time_outside_the_calendar_in_utc_is_answered_saying_so(bot, command, when):
    # Given a plan
    _plan()
    # When a drill (or a check) is asked from a time whose UTC form is before year 1 or after 9999
    response = bot.command(f"{command} {when}")
    # Then the ack itself answers, saying why, and nothing started
    assert response["statusCode"] == 200, response
    text = text_of(json.loads(response["body"]))
    assert f"pointInTime '{when}' is outside the calendar in UTC" in text, text
    assert call_api("GET", "/executions")[1]["items"] == []


@pytest.mark.parametrize(
    ("when", "says"),
    [
        ("0001-01-01T00:00:00Z", "older than DRS's snapshot retention"),
        ("9999-12-31T23:59:59Z", "in the future"),
    ],
)
def test_a_time_at_the_ends_of_the_calendar_in_utc_is_refused_by_the_start_in_a_reply(bot, when, says):
    _plan()
    response = bot.command(f"run Payments failover drill at {when}")
    assert response["statusCode"] == 200, response
    assert says in bot.last_reply(), bot.last_reply()
    assert call_api("GET", "/executions")[1]["items"] == []
