"""Readiness `permissions` and `drs_initialized` through the API, on moto with the sandbox's answer to
iam:SimulatePrincipalPolicy (tests/support/iam_roles.py: the run's roles seeded with the templates'
policies) and the sandbox's DRS emulator."""

from __future__ import annotations

from typing import Any

from tests.conftest import ACCOUNT_A
from tests.support import iam_roles
from tests.support.data import group_body, plan_body
from tests.support.events import call_api, invoke_direct
from tests.support.orchestration import wait_until

TARGET_ROLE = f"arn:aws:iam::{ACCOUNT_A}:role/{iam_roles.TARGET_ROLE_NAME}"


def _plan() -> dict[str, Any]:
    status, group = call_api("POST", "/protection-groups", group_body("Database tier"), account=ACCOUNT_A)
    assert status == 201, group
    body = plan_body([group["groupId"]])
    for wave in body["waves"]:
        wave["pauseBeforeExecution"] = False
    status, plan = call_api("POST", "/recovery-plans", body, account=ACCOUNT_A)
    assert status == 201, plan
    return dict(plan)


def _check(readiness: dict[str, Any], name: str) -> dict[str, Any]:
    [check] = [c for c in readiness["checks"] if c["check"] == name]
    return dict(check)


def _readiness(plan: dict[str, Any]) -> dict[str, Any]:
    status, body = call_api("GET", f"/recovery-plans/{plan['planId']}/readiness", account=ACCOUNT_A)
    assert status == 200, body
    return dict(body)


def test_the_target_role_as_the_template_defines_it_may_do_everything_the_run_needs(aws):
    readiness = _readiness(_plan())
    permissions = _check(readiness, "permissions")
    assert permissions["status"] == "PASS" and TARGET_ROLE in permissions["message"]
    assert _check(readiness, "drs_initialized")["status"] == "PASS"
    assert readiness["ready"] is True


def test_a_denied_action_fails_readiness_naming_the_role_and_the_action_and_blocks_the_start(aws):
    # Given IAM denies ec2:RunInstances to every role (the sandbox's deniedActions fault)
    plan = _plan()
    aws.drs.denied_actions = {"ec2:RunInstances"}
    # When readiness is read, and a drill is started
    readiness = _readiness(plan)
    status, refused = call_api("POST", "/executions", {"planId": plan["planId"]}, account=ACCOUNT_A)
    # Then permissions FAILs naming the role the run assumes and the denied action; nothing starts
    permissions = _check(readiness, "permissions")
    assert permissions["status"] == "FAIL" and readiness["ready"] is False
    assert TARGET_ROLE in permissions["message"] and "ec2:RunInstances" in permissions["message"]
    assert "account 111111111111 (us-east-1)" in permissions["message"]
    assert status == 409 and refused["error"] == "NOT_READY"
    assert [c["check"] for c in refused["checks"]] == ["permissions"]
    assert aws.drs.started == []


def test_a_target_role_without_its_drs_launches_policy_fails_naming_what_drs_would_do_with_it(aws):
    # Given the target role was deployed without the drs-launches policy (DRS's EC2 work, PassRole)
    plan = _plan()
    iam_roles.remove_policy(ACCOUNT_A, iam_roles.TARGET_ROLE_NAME, "drs-launches")
    # When readiness is read by direct invocation
    readiness = invoke_direct("check_readiness", {"planId": plan["planId"], "accountId": ACCOUNT_A})
    # Then it FAILs, naming the launch calls and the PassRole, not the DRS calls the role still has
    message = _check(readiness, "permissions")["message"]
    assert (
        "ec2:RunInstances" in message and "ec2:CreateLaunchTemplate" in message and "iam:PassRole" in message
    )
    assert "drs:StartRecovery" not in message


def test_check_permissions_answers_for_every_account_and_region_the_callers_groups_use(aws):
    _plan()
    aws.drs.denied_actions = {"iam:PassRole"}
    answer = invoke_direct("check_permissions", {"accountId": ACCOUNT_A})
    assert answer["accountId"] == ACCOUNT_A
    assert {c["check"]: c["status"] for c in answer["checks"]} == {
        "permissions": "FAIL",
        "drs_initialized": "PASS",
    }
    assert "iam:PassRole" in answer["checks"][0]["message"]


def test_a_forced_drill_whose_role_lacks_a_launch_permission_fails_its_wave_naming_it(orchestration):
    # Given a plan whose waves fail the run, and IAM denying ec2:RunInstances to every role
    status, group = call_api("POST", "/protection-groups", group_body("Database tier"), account=ACCOUNT_A)
    assert status == 201, group
    body = plan_body([group["groupId"]], onWaveFailure="fail")
    for wave in body["waves"]:
        wave["pauseBeforeExecution"] = False
    status, plan = call_api("POST", "/recovery-plans", body, account=ACCOUNT_A)
    assert status == 201, plan
    orchestration.drs.denied_actions = {"ec2:RunInstances"}
    # When a drill is forced past readiness and runs
    status, started = call_api(
        "POST", "/executions", {"planId": plan["planId"], "force": True}, account=ACCOUNT_A
    )
    assert status == 201, started
    finished = wait_until(
        lambda: (
            (
                e := invoke_direct(
                    "get_execution", {"executionId": started["executionId"], "accountId": ACCOUNT_A}
                )
            )["status"]
            in ("FAILED", "SUCCEEDED")
            and e
        ),
        timeout=40,
    )
    # Then the wave failed, its message naming DRS's cause: the permission the role lacks
    assert finished["status"] == "FAILED"
    message = finished["waves"][0]["message"]
    assert "source servers failed to launch" in message
    assert "DRS job log:" in message and "not authorized to perform: ec2:RunInstances" in message
