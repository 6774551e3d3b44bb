"""Readiness for a plan with wave hooks (docs/hooks.md): ``hooks_resolvable`` looks each hook's function
and automation document up in the plan's account as the run's role, and ``permissions`` simulates the
hooks' own actions there. On moto (functions created in the plan's account), the sandbox's SSM
Automation documents (sandbox/runtime/hook_surfaces.py) and its answer to SimulatePrincipalPolicy
(tests/support/iam_roles.py: the target role seeded with cfn/drs-target-role.yaml's policies)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.emulators.ssm_automation import SUCCEEDING_DOCUMENT
from sandbox.runtime import hook_surfaces
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.integration import hooks_support
from tests.support import iam_roles
from tests.support.data import group_body, plan_body
from tests.support.events import call_api

FUNCTION = "drs-chatops-hook-db-ping"
TARGET_ROLE = f"arn:aws:iam::{ACCOUNT_A}:role/{iam_roles.TARGET_ROLE_NAME}"
HOOK_ACTIONS = (
    "lambda:InvokeFunction",
    "ssm:StartAutomationExecution",
    "ssm:GetAutomationExecution",
    "ssm:StopAutomationExecution",
    "ec2:DescribeInstanceStatus",
)


@pytest.fixture
def hooks(aws: Any) -> Iterator[Any]:
    hook_surfaces.install(aws.drs.state, None)
    try:
        yield aws
    finally:
        hook_surfaces.uninstall()


def deploy_function(account: str, name: str = FUNCTION) -> None:
    hooks_support.deploy_function(account, name)


def hooked_plan(after: list[dict[str, Any]], account: str = ACCOUNT_A) -> dict[str, Any]:
    status, group = call_api("POST", "/protection-groups", group_body("Database tier"), account=account)
    assert status == 201, group
    body = plan_body([group["groupId"]])
    body["waves"][0]["pauseBeforeExecution"] = False
    body["waves"][0]["hooks"] = {"before": [], "after": after}
    status, plan = call_api("POST", "/recovery-plans", body, account=account)
    assert status == 201, plan
    return dict(plan)


def lambda_hook(name: str = "db answers", function: str = FUNCTION) -> dict[str, Any]:
    return {"name": name, "type": "lambda", "functionName": function}


def automation_hook(name: str = "smoke test", document: str = SUCCEEDING_DOCUMENT) -> dict[str, Any]:
    return {"name": name, "type": "ssmAutomation", "documentName": document}


def readiness(plan: dict[str, Any], account: str = ACCOUNT_A) -> dict[str, Any]:
    status, body = call_api("GET", f"/recovery-plans/{plan['planId']}/readiness", account=account)
    assert status == 200, body
    return dict(body)


def checks_named(answer: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [c for c in answer["checks"] if c["check"] == name]


def test_hooks_whose_function_and_document_exist_in_the_plans_account_pass(hooks):
    # Given the function deployed in the plan's account and an emulated automation document
    deploy_function(ACCOUNT_A)
    plan = hooked_plan(
        [lambda_hook(), automation_hook(), {"name": "status checks", "type": "instanceStatus"}]
    )
    # When readiness is read
    answer = readiness(plan)
    # Then hooks_resolvable PASSes once, counting what it found in the plan's account
    [resolvable] = checks_named(answer, "hooks_resolvable")
    assert resolvable["status"] == "PASS", resolvable
    assert f"account {ACCOUNT_A} (us-east-1)" in resolvable["message"]
    assert "1 function(s), 1 automation document(s)" in resolvable["message"]
    # and permissions, which now simulates the hooks' actions as well, still PASSes
    [permissions] = checks_named(answer, "permissions")
    assert permissions["status"] == "PASS" and TARGET_ROLE in permissions["message"], permissions
    assert answer["ready"] is True


def test_a_plan_without_hooks_has_no_hooks_resolvable_check(hooks):
    answer = readiness(hooked_plan([]))
    assert checks_named(answer, "hooks_resolvable") == []


def test_a_function_missing_in_the_plans_account_fails_naming_it_even_when_another_account_has_it(hooks):
    # Given the function exists in another account only (the deployment's own and account B)
    deploy_function(ACCOUNT_B)
    from moto.core.models import DEFAULT_ACCOUNT_ID

    deploy_function(DEFAULT_ACCOUNT_ID)
    plan = hooked_plan([lambda_hook()])
    # When readiness is read and a drill started
    answer = readiness(plan)
    status, refused = call_api("POST", "/executions", {"planId": plan["planId"]}, account=ACCOUNT_A)
    # Then hooks_resolvable FAILs naming the wave, the hook, the function and the plan's account
    [resolvable] = checks_named(answer, "hooks_resolvable")
    assert resolvable["status"] == "FAIL" and resolvable["waveNumber"] == 1
    message = resolvable["message"]
    assert message.startswith("wave 1: hook db answers (lambda): ")
    assert f"Lambda function {FUNCTION} does not exist in account {ACCOUNT_A} (us-east-1)" in message
    # and the start is refused, nothing launched
    assert answer["ready"] is False
    assert status == 409 and refused["error"] == "NOT_READY"
    assert "hooks_resolvable" in [c["check"] for c in refused["checks"]]
    assert hooks.drs.started == []


def test_a_missing_document_fails_naming_it_and_each_hook_that_uses_it(hooks):
    # Given a function that exists and a document (matching the pattern) that does not, used twice
    deploy_function(ACCOUNT_A)
    missing = "drs-chatops-never-created"
    plan = hooked_plan([lambda_hook(), automation_hook("first", missing), automation_hook("second", missing)])
    # When readiness is read
    failures = checks_named(readiness(plan), "hooks_resolvable")
    # Then one FAIL per hook naming the document; the function found is not mentioned
    assert [c["status"] for c in failures] == ["FAIL", "FAIL"]
    assert [c["message"].split(":")[0] for c in failures] == ["wave 1", "wave 1"]
    assert all(
        f"SSM document {missing} does not exist in account {ACCOUNT_A}" in c["message"] for c in failures
    )
    assert {c["message"].split(": ")[1] for c in failures} == {
        "hook first (ssmAutomation)",
        "hook second (ssmAutomation)",
    }
    assert not any(FUNCTION in c["message"] for c in failures)


@pytest.mark.parametrize("denied", HOOK_ACTIONS)
def test_permissions_fails_naming_a_hook_action_the_role_is_denied_only_when_a_hook_needs_it(hooks, denied):
    # Given IAM denies one hook action to every role, and two plans: one with every hook type, one without
    deploy_function(ACCOUNT_A)
    hooked = hooked_plan(
        [lambda_hook(), automation_hook(), {"name": "status checks", "type": "instanceStatus"}]
    )
    plain = hooked_plan([])
    hooks.drs.denied_actions = {denied}
    # When readiness is read for both
    [with_hooks] = checks_named(readiness(hooked), "permissions")
    [without] = checks_named(readiness(plain), "permissions")
    # Then the hooked plan's permissions FAIL naming the role and the action; the other plan's PASS
    assert with_hooks["status"] == "FAIL", with_hooks
    assert TARGET_ROLE in with_hooks["message"] and denied in with_hooks["message"]
    assert without["status"] == "PASS", without


def test_launch_actions_hooks_need_nothing_beyond_the_run(hooks):
    # Given a plan whose only hook reads DRS's own launch actions, and IAM denying every hook action
    plan = hooked_plan([{"name": "validation", "type": "launchActions"}])
    hooks.drs.denied_actions = set(HOOK_ACTIONS)
    # When readiness is read: permissions PASS (drs:DescribeJobs is what every run needs) and nothing to resolve
    answer = readiness(plan)
    assert checks_named(answer, "permissions")[0]["status"] == "PASS"
    assert checks_named(answer, "hooks_resolvable") == []
