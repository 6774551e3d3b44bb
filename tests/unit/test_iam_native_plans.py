"""The offline IAM proof for DRS native plans (handlers/native_plans/): the roles that export may
write only native plans tagged ``drs-chatops:planId``, never one someone built by hand
(tests/unit/test_iam_drs_permissions.py proves they may do what the code does)."""

from __future__ import annotations

import pytest

from tests.support import iam

NATIVE_ROLES = [
    r
    for r in iam.roles_calling_drs({"NotifierFunction": ""})
    if r.role_id in ("ApiFunctionRole", "BotFunctionRole", "DrsAccessRole")
]
WRITES = ("drs:CreateRecoveryPlanStep", "drs:UpdateRecoveryPlan", "drs:DeleteRecoveryPlan")


def _decide(role: iam.Role, needs: list[iam.Need]) -> list[str]:
    policies = iam.role_policies(iam.templates()[role.template], role.role_id)
    requests = [n.request(f"{role.role_id}#{i}", role.principal, policies) for i, n in enumerate(needs)]
    return [r["result"] for r in iam.evaluate(requests)["results"]]


@pytest.mark.parametrize("role", NATIVE_ROLES, ids=lambda r: r.role_id)
def test_the_code_needs_the_native_plan_actions_and_they_are_allowed_on_tagged_plans(role: iam.Role) -> None:
    actions = {n.action for n in role.needs}
    assert {"drs:ListRecoveryPlans", "drs:CreateRecoveryPlan", *WRITES} <= actions
    native = [n for n in role.needs if n.action in (*WRITES, "drs:CreateRecoveryPlan")]
    assert set(_decide(role, native)) == {"Allowed"}


@pytest.mark.parametrize("role", NATIVE_ROLES, ids=lambda r: r.role_id)
def test_a_native_plan_without_the_tag_cannot_be_written_nor_created(role: iam.Role) -> None:
    # Given the same requests on a native plan someone built by hand (no drs-chatops:planId tag)
    other = iam._context({"aws:ResourceTag/Owner": "dr-team"})
    untagged = [iam.Need(action, "", other) for action in WRITES]
    untagged.append(iam.Need("drs:CreateRecoveryPlan", "", iam._context({"aws:TagKeys": ["Owner"]})))
    # Then every one is denied
    assert set(_decide(role, untagged)) == {"ImplicitlyDenied"}
