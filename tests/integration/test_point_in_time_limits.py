"""A ``pointInTime`` at either end of the calendar (its UTC form falls before year 1 or after 9999,
or it is long before any snapshot DRS keeps, or far in the future) is a 400 ``VALIDATION_ERROR``
saying why, on the start (``POST /executions``, ``start_execution``) and on readiness (``GET
.../readiness``, ``check_readiness``), never a 500: the one reader is handlers/aws/snapshots.py."""

from __future__ import annotations

import pytest

from tests.conftest import ACCOUNT_A
from tests.support.data import group_body, plan_body
from tests.support.events import call_api, invoke_direct

EDGES = {
    "year 1 ahead of UTC": ("0001-01-01T00:00:00+01:00", "outside the calendar"),
    "year 9999 behind UTC": ("9999-12-31T23:59:59-01:00", "outside the calendar"),
    "year 1 in UTC": ("0001-01-01T00:00:00Z", "older than DRS's snapshot retention"),
    "year 9999 in UTC": ("9999-12-31T23:59:59.999999Z", "is in the future"),
}


def _plan() -> dict:
    _, group = call_api("POST", "/protection-groups", group_body())
    status, plan = call_api("POST", "/recovery-plans", plan_body([group["groupId"]]))
    assert status == 201, plan
    return dict(plan)


@pytest.mark.parametrize("edge", list(EDGES))
def test_a_point_in_time_at_the_ends_of_the_calendar_is_a_400_through_rest(aws, edge):
    # Given a plan, and a point in time at one end of the calendar
    when, says = EDGES[edge]
    plan = _plan()
    # When a start and a readiness check are asked from it over REST
    answers = [
        call_api("POST", "/executions", {"planId": plan["planId"], "pointInTime": when}),
        call_api("GET", f"/recovery-plans/{plan['planId']}/readiness?pointInTime={when}"),
    ]
    # Then both are a 400 saying why, and nothing started
    for status, body in answers:
        assert (status, body["error"]) == (400, "VALIDATION_ERROR"), body
        assert says in body["message"] and "pointInTime" in body["message"], body
    assert call_api("GET", "/executions")[1]["items"] == []
    assert aws.drs.started == []


@pytest.mark.parametrize("edge", list(EDGES))
def test_a_point_in_time_at_the_ends_of_the_calendar_is_a_validation_error_by_direct_invocation(aws, edge):
    when, says = EDGES[edge]
    plan = _plan()
    for operation in ("start_execution", "check_readiness"):
        body = {"accountId": ACCOUNT_A, "planId": plan["planId"], "pointInTime": when}
        result = invoke_direct(operation, body)
        assert result["error"] == "VALIDATION_ERROR" and says in result["message"], (operation, result)
    assert aws.drs.started == []
