"""Changing the rules is itself guarded: on a plan that names approvers, only a caller its current
policy names may change the policy (approvers, approverPrincipals, approvalQuorum, requireReason,
approveRecoveryStart), remove a wave's pause or delete the plan; a direct invocation may, naming
who does. Every change is recorded on the plan (policyHistory) and announced."""

from __future__ import annotations

import json

import pytest

from handlers.aws.subscriptions import recipient_id
from tests.support.data import group_body, plan_body
from tests.support.events import call_api, invoke_direct

ALICE, BOB = "alice@example.com", "bob@example.com"
MALLORY = "mallory"  # a signed-in user of the account (cognito:username) the plan does not name
EMAIL = "dr@example.com"


@pytest.fixture
def plan(aws):
    groups = [call_api("POST", "/protection-groups", group_body(f"Tier {i}"))[1]["groupId"] for i in range(2)]
    body = plan_body(groups, approverPrincipals=[ALICE, BOB], notificationEmail=EMAIL)
    status, created = call_api("POST", "/recovery-plans", body)
    assert status == 201, created
    return created


def stored(plan):
    return call_api("GET", f"/recovery-plans/{plan['planId']}")[1]


def put(plan, user, **fields):
    return call_api("PUT", f"/recovery-plans/{plan['planId']}", fields, user=user)


def policy_events(aws):
    """The policy_changed messages published to the execution-notifications topic (an SQS tap)."""
    from tests.support.orchestration import tap_topic

    sqs = aws.client("sqs")
    url = tap_topic(aws, name="policy-tap")

    def read():
        found = []
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            envelope = json.loads(message["Body"])
            attributes = {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}
            if attributes.get("eventType") == "policy_changed":
                found.append({"subject": envelope["Subject"], "body": envelope["Message"], **attributes})
        return found

    return read


def test_an_unnamed_user_cannot_take_over_the_policy_of_a_plan_that_names_approvers(plan):
    # Given a plan naming alice and bob, when mallory (signed in to the same account) names only
    # herself with a recovery quorum of 1
    status, error = put(
        plan, MALLORY, approverPrincipals=[MALLORY], approvalQuorum={"drill": 1, "recovery": 1}
    )
    # Then it is a 403 naming who may, and the plan is unchanged
    assert status == 403 and error["error"] == "FORBIDDEN", error
    assert ALICE in error["message"] and BOB in error["message"] and "requestedBy" in error["message"]
    after = stored(plan)
    assert after["approverPrincipals"] == [ALICE, BOB] and after["version"] == plan["version"]
    assert after["approvalQuorum"] == {"drill": 1, "recovery": 2} and after["policyHistory"] == []


@pytest.mark.parametrize(
    "fields",
    [
        {"approvers": ["U0MALLORY"]},
        {"approvalQuorum": {"drill": 1, "recovery": 1}},
        {"requireReason": "always"},
        {"approveRecoveryStart": False},
        {"approverPrincipals": [ALICE, BOB, MALLORY]},
    ],
)
def test_every_policy_field_is_guarded(plan, fields):
    status, error = put(plan, MALLORY, **fields)
    assert status == 403 and error["error"] == "FORBIDDEN", (fields, error)
    assert stored(plan)["version"] == plan["version"]


def test_removing_a_waves_pause_or_its_wave_is_a_rules_change(plan):
    # Given wave 2 pauses before it runs (plan_body), when mallory turns the pause off
    waves = [{**w, "pauseBeforeExecution": False} for w in plan["waves"]]
    status, error = put(plan, MALLORY, waves=waves)
    assert status == 403 and error["error"] == "FORBIDDEN", error
    # or deletes the paused wave
    status, error = put(plan, MALLORY, waves=plan["waves"][:1])
    assert status == 403 and error["error"] == "FORBIDDEN", error
    assert [w["pauseBeforeExecution"] for w in stored(plan)["waves"]] == [False, True]


def test_changes_that_loosen_no_rule_stay_open_to_the_account(plan):
    # A description, or one more pause, is no change of who decides
    assert put(plan, MALLORY, description="quarterly")[0] == 200
    waves = [{**w, "pauseBeforeExecution": True} for w in plan["waves"]]
    status, updated = put(plan, MALLORY, waves=waves, version=2)
    assert status == 200, updated
    # the added pause is recorded (a policy field), by whoever added it
    assert updated["policyHistory"][-1]["changedBy"] == MALLORY


def test_a_named_principal_changes_the_policy_and_the_change_is_recorded_and_announced(aws, plan):
    read = policy_events(aws)
    # When alice (named) adds carol
    status, updated = put(plan, ALICE, approverPrincipals=[ALICE, BOB, "carol@example.com"])
    # Then it is saved, with who changed what, through which channel
    assert status == 200, updated
    (change,) = updated["policyHistory"]
    assert (change["changedBy"], change["via"]) == (ALICE, "api") and change["changedAt"]
    assert change["before"]["approverPrincipals"] == [ALICE, BOB]
    assert change["after"]["approverPrincipals"] == [ALICE, BOB, "carol@example.com"]
    assert change["before"]["pausedWaves"] == [2] and change["after"]["approveRecoveryStart"] is True
    assert stored(plan)["policyHistory"] == updated["policyHistory"]
    # and announced by email to the plan's address
    (event,) = read()
    assert event["subject"] == "[DRS] Approval policy changed: Payments failover"
    assert json.loads(event["recipients"]) == [recipient_id(EMAIL)]
    email = event["body"]  # the default message, which is the email text
    assert f"changed by {ALICE} (via api)" in email and "carol@example.com" in email


def test_direct_invocation_may_change_the_policy_naming_who_does(plan):
    body = {
        "accountId": "111111111111",
        "planId": plan["planId"],
        "approvalQuorum": {"drill": 1, "recovery": 1},
    }
    # Without requestedBy it is refused: a change of the rules records who made it
    refused = invoke_direct("update_recovery_plan", body, requested_by=None)
    assert refused["error"] == "VALIDATION_ERROR" and "requestedBy" in refused["message"], refused
    # With it, the break-glass change is made and recorded
    updated = invoke_direct("update_recovery_plan", body, requested_by="break-glass@example.com")
    assert updated["approvalQuorum"] == {"drill": 1, "recovery": 1}, updated
    assert updated["policyHistory"][-1]["changedBy"] == "break-glass@example.com"
    assert updated["policyHistory"][-1]["via"] == "direct"


def test_deleting_a_plan_that_names_approvers_is_guarded_too(plan):
    status, error = call_api("DELETE", f"/recovery-plans/{plan['planId']}", user=MALLORY)
    assert status == 403 and error["error"] == "FORBIDDEN" and ALICE in error["message"], error
    assert call_api("GET", f"/recovery-plans/{plan['planId']}")[0] == 200
    assert call_api("DELETE", f"/recovery-plans/{plan['planId']}", user=BOB)[0] == 200


def test_an_import_that_rewrites_the_policy_is_recorded_with_who_imported_it(plan):
    # Import is direct invocation only (the break-glass path): allowed, and recorded like any change
    exported = invoke_direct("export_configuration", {"accountId": "111111111111"})
    (document_plan,) = exported["recoveryPlans"]
    document_plan.update(approverPrincipals=[ALICE], approvalQuorum={"drill": 1, "recovery": 1})
    result = invoke_direct("import_configuration", {"accountId": "111111111111", "document": exported})
    assert result["updated"]["recoveryPlans"] == [plan["planId"]], result
    change = stored(plan)["policyHistory"][-1]
    assert (change["changedBy"], change["via"]) == ("runbook@example.com", "direct")
    assert change["after"]["approverPrincipals"] == [ALICE]


def test_a_plan_naming_nobody_may_be_given_a_policy_by_anyone_and_that_is_recorded(aws):
    groups = [call_api("POST", "/protection-groups", group_body("Tier"))[1]["groupId"]]
    _, plan = call_api("POST", "/recovery-plans", plan_body(groups))
    status, updated = put(
        plan, MALLORY, approverPrincipals=[MALLORY], approvalQuorum={"drill": 1, "recovery": 1}
    )
    assert status == 200, updated
    assert updated["policyHistory"][-1]["changedBy"] == MALLORY
    # and from then on the plan is hers to change, and nobody else's
    assert put(plan, "someone-else", approverPrincipals=["someone-else"], version=2)[0] == 403
