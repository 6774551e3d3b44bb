"""The offline proof that every role calling DRS may do what DRS does with its credentials.

DRS launches and terminates recovery instances with the credentials of whoever calls StartRecovery /
TerminateRecoveryInstances. What each role needs is derived (tests/support/iam.py): the DRS and
Service Quotas calls its function's code makes (ast over handlers/ and bot/), and for the launching
calls the EC2 requests and PassRole of AWS's managed policy AWSElasticDisasterRecoveryConsoleFullAccess_v2
(vendored under tests/data/aws-managed-policies/). An IAM evaluator over the AWS actions data
(tools/iam: @cloud-copilot/iam-simulate + iam-data, `make iam` installs it) decides each request
against the templates' policies.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from handlers.aws import drs
from tests.support import iam
from tests.support.templates import as_list, permission_statements, resources

# Functions whose code reaches DRS modules through imports but never calls DRS, and why.
NOT_CALLING_DRS = {
    "NotifierFunction": "bot/notifier.py imports the execution services to read an execution for its "
    "messages; it calls no DRS operation (its role grants none: checked below)",
}
ROLES = iam.roles_calling_drs(NOT_CALLING_DRS)
SESSION_POLICIES = {
    name: json.loads(value) for name, value in vars(drs).items() if name.endswith("_SESSION_POLICY")
}


def _role(role_id: str) -> iam.Role:
    [role] = [r for r in ROLES if r.role_id == role_id]
    return role


def _without_via(need: iam.Need) -> iam.Need:
    context = tuple((k, v) for k, v in need.context if k not in iam.VIA_DRS)
    return iam.Need(need.action, need.resource, context, need.because, need.resource_type)


def test_the_roles_calling_drs_are_found_from_the_code_and_the_templates() -> None:
    assert {(r.template, r.role_id) for r in ROLES} == {
        ("orchestration.yaml", "OrchestratorFunctionRole"),
        ("api.yaml", "ApiFunctionRole"),
        ("bot.yaml", "BotFunctionRole"),
        ("drs-target-role.yaml", "DrsAccessRole"),
    }
    actions = {role.role_id: {n.action for n in role.needs} for role in ROLES}
    assert {"drs:StartRecovery", "drs:TagResource", "ec2:RunInstances", "iam:PassRole"} <= actions[
        "OrchestratorFunctionRole"
    ]
    for cleaning in ("ApiFunctionRole", "BotFunctionRole"):
        assert {"drs:TerminateRecoveryInstances", "ec2:TerminateInstances"} <= actions[cleaning]
        assert "drs:StartRecovery" not in actions[cleaning]
    assert actions["DrsAccessRole"] >= actions["OrchestratorFunctionRole"] | actions["ApiFunctionRole"]


def test_functions_said_not_to_call_drs_are_granted_no_drs_action() -> None:
    for template, role_id, _ in iam.function_roles():
        if any(f"{f}Role" == role_id for f in NOT_CALLING_DRS):
            statements = permission_statements(iam.templates()[template], role_id)
            assert not [a for s in statements for a in as_list(s["Action"]) if str(a).startswith("drs:")]


def test_the_managed_policy_is_the_vendored_version() -> None:
    version = iam.managed_policy_version()
    assert (version["VersionId"], version["CreateDate"]) == ("v9", "2026-02-12T18:02:32Z")


def test_what_drs_does_for_a_caller_is_read_from_the_managed_policy_and_allowed_by_it() -> None:
    # Given the via-DRS requests derived from AWS's policy
    needs = iam.via_drs_needs()
    actions = {n.action for n in needs}
    assert {"ec2:RunInstances", "ec2:CreateFleet", "ec2:TerminateInstances", "ec2:CreateTags"} <= actions
    assert "iam:PassRole" in actions
    assert not [a for a in actions if a.startswith("ec2:Describe")]
    # When AWS's own policy decides them
    policies = [{"name": "AWSElasticDisasterRecoveryConsoleFullAccess_v2", "policy": iam.managed_policy()}]
    requests = [
        n.request(f"managed#{i}", f"arn:aws:iam::{iam.ACCOUNT}:role/r", policies) for i, n in enumerate(needs)
    ]
    results = iam.evaluate(requests)
    # Then it allows each of them: the contexts are the ones its conditions expect
    assert iam.denied(results) == []


def test_every_action_the_templates_and_session_policies_name_exists() -> None:
    actions = iam.all_policy_actions(SESSION_POLICIES.values())
    assert {"drs:StartRecovery", "ec2:RunInstances", "iam:PassRole"} <= actions
    assert iam.evaluate([], actions)["unknownActions"] == []


def test_an_action_name_that_does_not_exist_is_reported() -> None:
    assert iam.evaluate([], ["ec2:RunInstance", "drs:StartRecovery"])["unknownActions"] == ["ec2:RunInstance"]


def test_every_role_calling_drs_is_allowed_everything_drs_needs_of_it() -> None:
    # Given every (role, action, resource, context) the code and DRS need, and the templates' policies
    requests = [request for role in ROLES for request in iam.requests_for(role)]
    assert len(requests) > 4 * len(iam.via_drs_needs())
    # When the evaluator decides them
    results = iam.evaluate(requests)
    # Then none is denied
    assert iam.denied(results) == []


@pytest.mark.parametrize("role_id", sorted(r.role_id for r in ROLES))
def test_removing_one_needed_statement_fails_the_proof(role_id: str) -> None:
    # Given an in-memory copy of the role's template without its RunInstances-on-the-new-instance grant
    role = _role(role_id)
    template = iam.templates()[role.template]
    [policy] = [
        p
        for p in template["Resources"][role_id]["Properties"]["Policies"]
        if p["PolicyName"] == "drs-launches"
    ]
    statements = as_list(policy["PolicyDocument"]["Statement"])
    [index] = [
        i
        for i, s in enumerate(statements)
        if "ec2:RunInstances" in as_list(s["Action"]) and "Null" in s.get("Condition", {})
    ]
    changed = iam.without_statement(template, role_id, "drs-launches", index)
    # When the proof runs against it
    results = iam.evaluate(iam.requests_for(role, iam.role_policies(changed, role_id)))
    # Then it fails, naming the launch DRS could no longer make
    denied = iam.denied(results)
    assert any("ec2:RunInstances on arn:aws:ec2:us-east-1:111122223333:instance/" in d for d in denied), (
        denied
    )


def test_no_ec2_call_is_allowed_unless_an_aws_service_makes_it() -> None:
    # Given the EC2 requests DRS makes, made directly (no aws:ViaAWSService, no aws:CalledVia)
    direct = [_without_via(n) for n in iam.via_drs_needs() if n.action.startswith("ec2:")]
    requests = [
        n.request(
            f"{role.role_id}#{i}",
            role.principal,
            iam.role_policies(iam.templates()[role.template], role.role_id),
        )
        for role in ROLES
        for i, n in enumerate(direct)
    ]
    # When the evaluator decides them, then every one is denied
    results = iam.evaluate(requests)
    assert [r for r in results["results"] if r["result"] == "Allowed"] == []


# The one EC2 call the product makes itself: a wave hook of type instanceStatus reads the recovery
# instances' status checks (handlers/hooks/calls.py), a read that changes nothing.
DIRECT_EC2_READS = frozenset({"ec2:DescribeInstanceStatus"})


def test_every_ec2_statement_is_conditioned_on_an_aws_service_making_the_call() -> None:
    for name, template in iam.templates().items():
        for role_id in resources(template, "AWS::IAM::Role"):
            for statement in permission_statements(template, role_id):
                ec2 = [
                    a
                    for a in as_list(statement["Action"])
                    if str(a).startswith("ec2:") and a not in DIRECT_EC2_READS
                ]
                if not ec2:
                    continue
                assert "ec2:*" not in ec2, f"{name} {role_id}"
                keys = {k for keys in statement.get("Condition", {}).values() for k in keys}
                assert keys & {"aws:ViaAWSService", "aws:CalledVia"}, f"{name} {role_id}: {ec2} without one"


@pytest.mark.parametrize("policy_name", sorted(SESSION_POLICIES))
def test_a_session_that_may_launch_or_terminate_lets_drs_do_its_ec2_work(policy_name: str) -> None:
    # Given a session of the target-account role narrowed by one of handlers/aws/drs.py's session policies
    role = _role("DrsAccessRole")
    session = SESSION_POLICIES[policy_name]
    policies = iam.role_policies(iam.templates()[role.template], role.role_id)
    triggers = [iam.Need(action) for action in iam.LAUNCHING_OPERATIONS]
    allowed = iam.evaluate(
        [t.request(t.action, role.principal, policies) | {"sessionPolicy": session} for t in triggers]
    )
    launching = [r["id"] for r in allowed["results"] if r["result"] == "Allowed"]
    if not launching:
        return
    # When DRS makes the EC2 calls of a launch or termination with that session's credentials
    via = [
        n.request(f"{policy_name}#{i}", role.principal, policies) for i, n in enumerate(iam.via_drs_needs())
    ]
    results = iam.evaluate([r | {"sessionPolicy": session} for r in via])
    # Then the session lets them through
    assert iam.denied(results) == [], f"{policy_name} allows {launching} but not what DRS does for them"


def _inline_size(policies: list[dict[str, Any]]) -> int:
    return sum(len(re.sub(r"\s", "", json.dumps(p["policy"]))) for p in policies if not p.get("managed"))


@pytest.mark.parametrize("role_id", sorted(r.role_id for r in ROLES))
def test_each_roles_inline_policies_fit_iams_size_limit(role_id: str) -> None:
    # IAM: a role's inline policies together hold at most 10,240 characters (whitespace not counted).
    role = _role(role_id)
    assert _inline_size(iam.role_policies(iam.templates()[role.template], role_id)) <= 10_240
