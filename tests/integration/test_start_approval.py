"""Starting a real recovery is a decision: a RECOVERY of a plan that names approvers waits for its
recovery quorum before wave 1 (``pendingApproval.kind: "start"``), nothing launched until then; the
starter never counts; resume is go, cancel is stop. ``approveRecoveryStart: false`` turns it off,
and a drill never waits for it. In process, Step Functions on moto."""

from __future__ import annotations

import pytest

from tests.support.data import group_body, plan_body
from tests.support.events import call_api
from tests.support.orchestration import wait_until

ALICE, BOB, STARTER = "alice@example.com", "bob@example.com", "starter@example.com"
ACCOUNT = "111111111111"


@pytest.fixture
def plan_with(orchestration):
    def make(**fields):
        groups = [
            call_api("POST", "/protection-groups", group_body(f"Tier {i}"))[1]["groupId"] for i in range(2)
        ]
        body = plan_body(groups, approverPrincipals=[ALICE, BOB, STARTER], notificationEmail="dr@example.com")
        status, plan = call_api("POST", "/recovery-plans", {**body, **fields})
        assert status == 201, plan
        return plan

    return make


def start(plan, is_drill):
    status, execution = call_api(
        "POST", "/executions", {"planId": plan["planId"], "isDrill": is_drill}, user=STARTER
    )
    assert status == 201, execution
    return execution["executionId"]


def paused(execution_id, wave_number):
    def probe():
        current = call_api("GET", f"/executions/{execution_id}")[1]
        pending = current.get("pendingApproval") or {}
        return current if current["status"] == "PAUSED" and pending.get("waveNumber") == wave_number else None

    found = wait_until(probe, 30)
    assert found, call_api("GET", f"/executions/{execution_id}")[1]
    return found


def launched_jobs(orchestration):
    return orchestration.drs.state().get(ACCOUNT, {}).get("jobs", [])


def resume(execution_id, user):
    return call_api("POST", f"/executions/{execution_id}/resume", {}, user=user)


def test_a_recovery_waits_for_two_approvers_other_than_the_starter_before_anything_launches(
    orchestration, plan_with
):
    # Given a plan naming approvers (recovery quorum 2), when the starter starts a RECOVERY
    execution_id = start(plan_with(), is_drill=False)
    # Then it waits before wave 1, as a "start" decision, and nothing was launched
    execution = paused(execution_id, 1)
    assert execution["pendingApproval"]["kind"] == "start" and execution["pendingApproval"]["quorum"] == 2
    assert launched_jobs(orchestration) == []
    announced = orchestration.wait_for_event("start_pause")
    assert announced["subject"] == "[DRS] Approval needed to start a RECOVERY: Payments failover"
    assert "cannot approve this start" in announced["body"]  # an email link cannot make the quorum
    assert "action=resume" in announced["body"] and "action=cancel" in announced["body"]
    # The starter's own approval does not count
    status, refused = resume(execution_id, STARTER)
    assert status == 403 and "started this execution" in refused["message"], refused
    # One approver is not enough
    assert resume(execution_id, ALICE)[0] == 200
    assert paused(execution_id, 1)["pendingApproval"]["kind"] == "start"
    assert launched_jobs(orchestration) == []
    # The second starts wave 1 (and the plan's own pause before wave 2 follows, as before)
    assert resume(execution_id, BOB)[0] == 200
    after = paused(execution_id, 2)
    assert after["pendingApproval"]["kind"] == "before_wave"
    assert after["waves"][0]["status"] == "COMPLETED" and launched_jobs(orchestration)
    (decision,) = [d for d in after["decisions"] if d["waveNumber"] == 1]
    assert decision["action"] == "resume" and {v["by"] for v in decision["votes"]} == {ALICE, BOB}


def test_a_cancel_stops_the_recovery_before_it_starts(orchestration, plan_with):
    execution_id = start(plan_with(), is_drill=False)
    paused(execution_id, 1)
    status, _ = call_api("POST", f"/executions/{execution_id}/cancel", {}, user=ALICE)
    assert status == 200
    ended = wait_until(lambda: call_api("GET", f"/executions/{execution_id}")[1]["status"] == "CANCELLED", 30)
    assert ended and launched_jobs(orchestration) == []


def test_approve_recovery_start_false_starts_a_recovery_at_once(orchestration, plan_with):
    execution_id = start(plan_with(approveRecoveryStart=False), is_drill=False)
    execution = paused(execution_id, 2)  # the plan's own pause before wave 2: wave 1 ran
    assert execution["pendingApproval"]["kind"] == "before_wave" and launched_jobs(orchestration)


def test_a_drill_never_waits_for_start_approval(orchestration, plan_with):
    execution_id = start(plan_with(), is_drill=True)
    execution = paused(execution_id, 2)
    assert execution["pendingApproval"]["kind"] == "before_wave" and launched_jobs(orchestration)
