"""A plan's approval policy: approvers (users and user groups), approverPrincipals, approvalQuorum,
requireReason; a quorum nobody named could reach is a 400 that says so; export/import keep it."""

from __future__ import annotations

import pytest

from tests.support.data import group_body, plan_body
from tests.support.events import call_api, invoke_direct


@pytest.fixture
def groups(aws):
    return [call_api("POST", "/protection-groups", group_body(f"Tier {i}"))[1]["groupId"] for i in range(2)]


def test_defaults_are_one_vote_for_drills_two_for_recoveries_and_a_reason_to_cancel(groups):
    body = plan_body(groups)
    body.pop("requireReason")
    status, plan = call_api("POST", "/recovery-plans", body)
    assert status == 201
    assert plan["approvalQuorum"] == {"drill": 1, "recovery": 2} and plan["requireReason"] == "cancel"
    assert plan["approvers"] == [] and plan["approverPrincipals"] == []


def test_a_quorum_the_named_approvers_cannot_reach_is_a_400_that_says_so(groups):
    status, error = call_api(
        "POST",
        "/recovery-plans",
        plan_body(
            groups,
            approvers=["U0ALICE"],
            approverPrincipals=["bob@example.com"],
            approvalQuorum={"drill": 1, "recovery": 3},
        ),
    )
    assert status == 400 and "approvalQuorum.recovery is 3" in error["message"]
    assert "only 2 distinct approver(s)" in error["message"], error


def test_a_user_group_or_nobody_named_leaves_the_quorum_to_be_reached_later(groups):
    for fields in ({"approvers": ["S0ONCALL"]}, {}):
        body = plan_body(groups, approvalQuorum={"drill": 1, "recovery": 5}, **fields)
        assert call_api("POST", "/recovery-plans", body)[0] == 201


def test_an_update_that_makes_the_quorum_unreachable_is_refused(groups):
    _, plan = call_api(
        "POST", "/recovery-plans", plan_body(groups, approverPrincipals=["a@example.com", "b@example.com"])
    )
    status, error = call_api(
        "PUT", f"/recovery-plans/{plan['planId']}", {"approverPrincipals": ["a@example.com"]}
    )
    assert status == 400 and "approvalQuorum.recovery is 2" in error["message"], error


@pytest.mark.parametrize(
    "fields",
    [
        {"approvalQuorum": {"drill": 0}},
        {"approvalQuorum": {"recovery": 11}},
        {"requireReason": "sometimes"},
        {"approverPrincipals": ["<b>x</b>"]},
        {"approverPrincipals": ["a\nb"]},
        {"approvers": ["C0CHANNEL"]},
    ],
)
def test_bad_policy_fields_are_400s(groups, fields):
    status, error = call_api("POST", "/recovery-plans", plan_body(groups, **fields))
    assert status == 400 and error["error"] == "VALIDATION_ERROR", error


def test_export_and_import_carry_the_policy(groups):
    policy = {
        "approvers": ["U0ALICE", "S0ONCALL"],
        "approverPrincipals": ["bob@example.com"],
        "approvalQuorum": {"drill": 2, "recovery": 3},
        "requireReason": "always",
    }
    _, plan = call_api("POST", "/recovery-plans", plan_body(groups, **policy))

    exported = invoke_direct("export_configuration", {"accountId": plan["accountId"]})
    (stored,) = [p for p in exported["recoveryPlans"] if p["planId"] == plan["planId"]]
    assert {k: stored[k] for k in policy} == policy
    stored["approvalQuorum"] = {"drill": 1, "recovery": 2}
    invoke_direct("import_configuration", {"accountId": plan["accountId"], "document": exported})
    _, imported = call_api("GET", f"/recovery-plans/{plan['planId']}")
    assert imported["approvalQuorum"] == {"drill": 1, "recovery": 2} and imported["requireReason"] == "always"
