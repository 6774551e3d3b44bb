"""Readiness `permissions` and `drs_initialized` (handlers/readiness/readiness_permissions.py): the one
list of what a run needs, and how IAM's and STS's answers become checks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from handlers.aws import drs
from handlers.readiness import readiness_permissions as permissions
from sandbox.emulators import iam_simulation
from tests.support import iam
from tests.support.faults import fail_aws_calls

ROLE = "arn:aws:iam::222222222222:role/drs-chatops-drs-access"
TARGET = drs.DrsTarget("222222222222", "us-east-1", "drs-chatops-drs-access", "external-id-0123456789")


def _key(action: str, resource_type: str, context: Any) -> tuple[str, str, Any]:
    return (action, resource_type if action.startswith(("ec2:", "iam:")) else "", context)


def test_the_run_needs_exactly_what_the_code_and_aws_managed_policy_say() -> None:
    # Given what tests/support/iam.py derives for the orchestrator (its DRS calls, DRS's EC2 work)
    derived = {
        _key(
            n.action,
            n.resource.rpartition("/")[2] if n.action == "iam:PassRole" else n.resource_type,
            n.context,
        )
        for n in iam.needs_for_calls(iam.drs_calls_of("handlers.orchestrator"))
    }
    # When the product's one list is read
    product = {_key(n.action, n.resource_type, n.context) for n in permissions.RUN_NEEDS}
    # Then they are the same requests: neither can drift from the other
    assert product == derived
    assert len(permissions.RUN_NEEDS) == len(product)


def test_the_check_sessions_actions_exist() -> None:
    actions = iam.all_policy_actions([json.loads(permissions.CHECK_SESSION_POLICY)])
    assert iam.evaluate([], actions)["unknownActions"] == []


class FakeIam:
    """IAM's SimulatePrincipalPolicy through the sandbox's evaluation of a role's policies."""

    def __init__(
        self, policies: list[dict[str, Any]], denied: tuple[str, ...] = (), error: Exception | None = None
    ):
        self.policies, self.denied, self.error = policies, denied, error
        self.calls: list[dict[str, Any]] = []

    def get_paginator(self, name: str) -> FakeIam:
        assert name == "simulate_principal_policy"
        return self

    def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
        self.calls.append(kwargs)
        if self.error:
            raise self.error
        return [
            {
                "EvaluationResults": [
                    {
                        "EvalActionName": a,
                        "EvalResourceName": r,
                        "EvalDecision": iam_simulation.decide(self.policies, a, self.denied),
                    }
                    for a in kwargs["ActionNames"]
                    for r in kwargs["ResourceArns"]
                ]
            }
        ]


def _target_role_policies() -> list[dict[str, Any]]:
    return [p["policy"] for p in iam.role_policies(iam.templates()["drs-target-role.yaml"], "DrsAccessRole")]


def test_the_target_roles_policies_pass_with_the_via_drs_context_in_every_simulation() -> None:
    fake = FakeIam(_target_role_policies())
    check = permissions._permissions(fake, ROLE, TARGET, "account 222222222222 (us-east-1)")
    assert check.status == "PASS" and ROLE in check.message
    assert all(
        {"ContextKeyName": "aws:ViaAWSService", "ContextKeyValues": ["true"], "ContextKeyType": "boolean"}
        in call["ContextEntries"]
        for call in fake.calls
        if any(a.startswith("ec2:") for a in call["ActionNames"])
    )
    assert {a for call in fake.calls for a in call["ActionNames"]} == set(permissions.needed_actions())


def test_a_denied_action_fails_naming_the_role_and_the_action() -> None:
    # Given IAM denies ec2:RunInstances and iam:PassRole to the role
    fake = FakeIam(_target_role_policies(), denied=("ec2:RunInstances", "iam:PassRole"))
    # When the permissions are checked
    check = permissions._permissions(fake, ROLE, TARGET, "account 222222222222 (us-east-1)")
    # Then it FAILs, naming the role and each denied action, and nothing else
    assert check.status == "FAIL"
    assert ROLE in check.message and "account 222222222222" in check.message
    assert "denied 2 action(s) the run needs" in check.message
    assert "ec2:RunInstances, iam:PassRole" in check.message


def test_a_simulation_the_caller_may_not_run_warns_naming_the_permission() -> None:
    refused = ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "SimulatePrincipalPolicy"
    )
    check = permissions._permissions(
        FakeIam([], error=refused), ROLE, TARGET, "account 222222222222 (us-east-1)"
    )
    assert check.status == "WARN"
    assert f"allow iam:SimulatePrincipalPolicy on {ROLE}" in check.message
    assert "account 222222222222" in check.message


def test_iam_not_answering_warns_naming_account_role_and_call() -> None:
    down = EndpointConnectionError(endpoint_url="https://iam.amazonaws.com/")
    check = permissions._permissions(
        FakeIam([], error=down), ROLE, TARGET, "account 222222222222 (us-east-1)"
    )
    assert check.status == "WARN"
    assert ROLE in check.message and "account 222222222222" in check.message
    assert "iam:SimulatePrincipalPolicy failed (EndpointConnectionError" in check.message


def test_a_role_that_cannot_be_assumed_fails_naming_account_role_and_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given STS refuses to let the deployment assume the target role
    fail_aws_calls(monkeypatch, lambda operation, _: "AccessDenied" if operation == "AssumeRole" else None)
    # When the account is checked
    checks = permissions.target_checks(TARGET, "readiness-test")
    # Then permissions FAILs naming the account, the role and sts:AssumeRole; DRS is not claimed
    [failed] = [c for c in checks if c.check == "permissions"]
    assert failed.status == "FAIL"
    assert ROLE in failed.message and "account 222222222222 (us-east-1)" in failed.message
    assert "sts:AssumeRole failed (AccessDenied" in failed.message
    [initialized] = [c for c in checks if c.check == "drs_initialized"]
    assert initialized.status == "WARN"


class FakeDrs:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    def describe_replication_configuration_templates(self) -> dict[str, Any]:
        return {"items": self.items}


def test_drs_without_a_replication_template_fails_saying_how_to_initialize_it() -> None:
    check = permissions._initialized(FakeDrs([]), "account 222222222222 (us-east-1)")
    assert check.status == "FAIL"
    assert "DRS is not initialized in account 222222222222 (us-east-1)" in check.message
    assert "Set default replication settings" in check.message and "InitializeService" in check.message


def test_drs_with_a_replication_template_passes() -> None:
    check = permissions._initialized(FakeDrs([{"replicationConfigurationTemplateID": "rct-1"}]), "account 1")
    assert check.status == "PASS"
