"""Drill cleanup through the sandbox: a finished drill cleaned up over REST (IN_PROGRESS while the
sandbox's DRS terminates its instances, COMPLETED once a scheduled check sees them gone), and one
cleaned up by its schedule (``drillCleanupAfterMinutes: 1``: the reminder comes at once, the
sandbox's Scheduler runner fires the cleanup a minute later); ``/_sandbox/drs-state`` then shows
none of their recovery instances running."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import RunningSandbox, http
from tests.e2e.runs import Runs
from tests.e2e.waiting import execution, slack_messages, wait_for, wait_until_finished

pytestmark = pytest.mark.e2e


def _live_instances(sandbox: RunningSandbox, finished: dict[str, Any]) -> list[str]:
    jobs = {j for w in finished["waves"] for j in w["jobIds"]}
    state = http("GET", sandbox.info["drsStateUrl"]).json()[sandbox.info["accounts"][0]]
    return [
        i["recoveryInstanceID"]
        for i in state["recoveryInstances"]
        if i["jobID"] in jobs and i["state"] != "TERMINATED"
    ]


def test_a_finished_drill_is_cleaned_up_over_rest(sandbox: RunningSandbox, runs: Runs) -> None:
    # Given a finished drill of two servers, both running as recovery instances
    plan = runs.plan([runs.free_servers(2)], drillCleanupAfterMinutes=0)
    finished = wait_until_finished(sandbox, runs.start(plan))
    assert finished["status"] == "SUCCEEDED" and len(_live_instances(sandbox, finished)) == 2
    # When it is cleaned up through the API
    answer = sandbox.api("POST", f"/executions/{finished['executionId']}/cleanup")
    # Then the cleanup is IN_PROGRESS while DRS terminates the instances (asynchronously)
    assert answer.status == 200, answer.body
    started = answer.json()["cleanup"]
    assert started["status"] == "IN_PROGRESS" and len(started["terminatedInstanceIds"]) == 2
    # And a scheduled check, seconds later, records it COMPLETED; DRS runs none of its instances
    done = wait_for(
        lambda: (
            ((e := execution(sandbox, finished["executionId"])).get("cleanup") or {}).get("status")
            == "COMPLETED"
            and e
        ),
        60,
        "the cleanup's check to see the instances gone",
    )
    assert (
        done["cleanup"]["requestedAt"] == started["requestedAt"]
        and "none is left" in done["cleanup"]["message"]
    )
    assert _live_instances(sandbox, finished) == []


def test_a_drill_is_reminded_at_once_and_cleaned_up_by_its_schedule(
    sandbox: RunningSandbox, runs: Runs
) -> None:
    # Given a plan whose drills are cleaned up one minute after they end
    plan = runs.plan([runs.free_servers(2)], drillCleanupAfterMinutes=1)
    execution_id = runs.start(plan)
    # (the end is recorded first, its cleanup time just after: wait for both)
    finished = wait_for(
        lambda: (e := wait_until_finished(sandbox, execution_id)).get("cleanupDueAt") and e,
        10,
        "the drill's cleanup time",
    )
    assert finished["cleanupDueAt"] > finished["endTime"]
    # Then the reminder is in the drill's Slack thread at once, with Keep and Clean up
    reminder = wait_for(
        lambda: [
            m
            for m in slack_messages(sandbox)
            if execution_id in str(m["blocks"]) and "drill_keep" in str(m["blocks"])
        ],
        30,
        "the cleanup reminder in Slack",
    )[0]
    assert "drill_cleanup" in str(reminder["blocks"])
    # And a minute after the end the schedule cleaned it up
    done = wait_for(
        lambda: (
            ((e := execution(sandbox, execution_id)).get("cleanup") or {}).get("status") == "COMPLETED" and e
        ),
        120,
        "the scheduled cleanup",
    )
    assert done["cleanup"]["requestedBy"] == "schedule" and done["cleanup"]["requestedVia"] == "schedule"
    assert _live_instances(sandbox, finished) == []
