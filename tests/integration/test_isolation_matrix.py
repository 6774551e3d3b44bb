"""Account isolation, generated from the tables: every operation of handlers/entry/operations.py (direct
invocation, and REST where a route exists), every Slack action id of bot/ids.py and every ``/dr``
subcommand, run as account B against account A's group, plan, paused execution and approval (Slack: see
tests/integration/slack/test_isolation.py).
B gets "not found" (or lists without A's items) and nothing of A's changes. An operation, action
id or subcommand without a case here fails ``test_every_*_has_a_case``: adding one means adding
its case."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from handlers.entry.operations import OPERATIONS
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.support.data import group_body, plan_body
from tests.support.events import call_api, invoke_direct
from tests.support.isolation import Estate, every_case, paused_estate, snapshot

Expect = Literal["not_found", "no_a_items", "refused_as_missing", "unchanged"]
MISSING = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class OpCase:
    body: Callable[[Estate], dict[str, Any]]
    expect: Expect
    rest: tuple[str, str] | None = None  # (method, path with {group_id}/{plan_id}/{execution_id})


def _import_as_b(a: Estate) -> dict[str, Any]:
    return {"document": {**a.export, "accountId": ACCOUNT_B}}


OP_CASES: dict[str, OpCase] = {
    "create_protection_group": OpCase(
        lambda a: group_body("B's group", sourceServerIds=a.server_ids),
        "no_a_items",
        ("POST", "/protection-groups"),
    ),
    "get_protection_group": OpCase(
        lambda a: {"groupId": a.group_id}, "not_found", ("GET", "/protection-groups/{group_id}")
    ),
    "list_protection_groups": OpCase(lambda a: {}, "no_a_items", ("GET", "/protection-groups")),
    "update_protection_group": OpCase(
        lambda a: {"groupId": a.group_id, "version": 1, "groupName": "hijacked"},
        "not_found",
        ("PUT", "/protection-groups/{group_id}"),
    ),
    "delete_protection_group": OpCase(
        lambda a: {"groupId": a.group_id}, "not_found", ("DELETE", "/protection-groups/{group_id}")
    ),
    "list_group_servers": OpCase(
        lambda a: {"groupId": a.group_id}, "not_found", ("GET", "/protection-groups/{group_id}/servers")
    ),
    "create_recovery_plan": OpCase(
        lambda a: plan_body([a.group_id], name="B's plan"), "refused_as_missing", ("POST", "/recovery-plans")
    ),
    "get_recovery_plan": OpCase(
        lambda a: {"planId": a.plan_id}, "not_found", ("GET", "/recovery-plans/{plan_id}")
    ),
    "list_recovery_plans": OpCase(lambda a: {}, "no_a_items", ("GET", "/recovery-plans")),
    "update_recovery_plan": OpCase(
        lambda a: {"planId": a.plan_id, "version": 1, "planName": "hijacked"},
        "not_found",
        ("PUT", "/recovery-plans/{plan_id}"),
    ),
    "delete_recovery_plan": OpCase(
        lambda a: {"planId": a.plan_id}, "not_found", ("DELETE", "/recovery-plans/{plan_id}")
    ),
    "start_execution": OpCase(
        lambda a: {"planId": a.plan_id, "isDrill": True}, "not_found", ("POST", "/executions")
    ),
    "check_readiness": OpCase(
        lambda a: {"planId": a.plan_id}, "not_found", ("GET", "/recovery-plans/{plan_id}/readiness")
    ),
    "get_execution": OpCase(
        lambda a: {"executionId": a.execution_id}, "not_found", ("GET", "/executions/{execution_id}")
    ),
    "list_executions": OpCase(lambda a: {}, "no_a_items", ("GET", "/executions")),
    "cancel_execution": OpCase(
        lambda a: {"executionId": a.execution_id}, "not_found", ("POST", "/executions/{execution_id}/cancel")
    ),
    "resume_execution": OpCase(
        lambda a: {"executionId": a.execution_id}, "not_found", ("POST", "/executions/{execution_id}/resume")
    ),
    "cleanup_execution": OpCase(
        lambda a: {"executionId": a.execution_id}, "not_found", ("POST", "/executions/{execution_id}/cleanup")
    ),
    "retry_wave": OpCase(
        lambda a: {"executionId": a.execution_id}, "not_found", ("POST", "/executions/{execution_id}/retry")
    ),
    "skip_wave": OpCase(
        lambda a: {"executionId": a.execution_id}, "not_found", ("POST", "/executions/{execution_id}/skip")
    ),
    "decide_approval": OpCase(lambda a: {"action": "cancel", "approvalId": a.approval_id}, "not_found"),
    "get_execution_report": OpCase(
        lambda a: {"executionId": a.execution_id, "format": "html"},
        "not_found",
        ("GET", "/executions/{execution_id}/report"),
    ),
    "export_configuration": OpCase(lambda a: {}, "no_a_items"),
    # B's permission checks are about B's groups' accounts and roles, never A's.
    "check_permissions": OpCase(lambda a: {}, "no_a_items"),
    # B imports A's exported document (A's ids, B's account): B's own items, never A's.
    "import_configuration": OpCase(_import_as_b, "unchanged"),
    # DRS native plans: B lists its own account's; a plan ARN of A's account is refused for naming
    # another account (from the ARN alone: nothing of A is read); A's plan is not found.
    "list_native_recovery_plans": OpCase(lambda a: {}, "no_a_items", ("GET", "/native-recovery-plans")),
    "import_native_recovery_plan": OpCase(
        lambda a: {
            "recoveryPlanArn": f"arn:aws:drs:us-east-1:{ACCOUNT_A}:recovery-plan/rp-0123456789abcdef0"
        },
        "unchanged",
        ("POST", "/recovery-plans/import-native"),
    ),
    "export_native_recovery_plan": OpCase(
        lambda a: {"planId": a.plan_id}, "not_found", ("POST", "/recovery-plans/{plan_id}/export-native")
    ),
    # Failback of A's execution: not found, DRS never called in A's account.
    "reverse_replication": OpCase(
        lambda a: {"executionId": a.execution_id},
        "not_found",
        ("POST", "/executions/{execution_id}/reverse-replication"),
    ),
    "get_failback": OpCase(
        lambda a: {"executionId": a.execution_id}, "not_found", ("GET", "/executions/{execution_id}/failback")
    ),
    "start_failback": OpCase(
        lambda a: {"executionId": a.execution_id},
        "not_found",
        ("POST", "/executions/{execution_id}/failback"),
    ),
    "stop_failback": OpCase(
        lambda a: {"executionId": a.execution_id},
        "not_found",
        ("POST", "/executions/{execution_id}/failback/stop"),
    ),
}


@pytest.fixture
def estate_a(orchestration) -> Estate:
    return paused_estate(orchestration, ACCOUNT_A)


def test_every_operation_has_a_case():
    assert set(OPERATIONS) == set(OP_CASES), "add an isolation case for each new operation"


def _as_missing(text: str, a: Estate) -> str:
    for item_id in (a.group_id, a.plan_id, a.execution_id, a.approval_id):
        text = text.replace(item_id, MISSING)
    return text


def _check(result: Any, a: Estate, expect: Expect, status: int, missing: Callable[[], Any]) -> None:
    """``missing()`` asks the same with A's ids replaced by an id that exists nowhere."""
    text = json.dumps(result)
    assert status < 500, result
    if expect in ("not_found", "refused_as_missing"):
        assert "error" in result, result
        assert _as_missing(text, a) == json.dumps(missing()), "B can tell A's item from a missing one"
    if expect == "not_found":
        assert result["error"] == "NOT_FOUND", result
    shown = [a.group_name, a.plan_name] if expect != "no_a_items" else a.secrets()
    if expect != "unchanged":
        assert not [s for s in shown if s in text], f"B was shown A's items: {text[:300]}"


def _in_order(operations: list[str]) -> list[str]:
    """Every operation runs against the same estate (each must leave it unchanged, which is what is
    checked); B's import of A's export runs last, as it gives B items named like A's."""
    return sorted(operations, key=lambda op: (op == "import_configuration", op))


def test_account_b_cannot_reach_a_by_direct_invocation(estate_a, orchestration):
    # Given account A's group, plan, paused execution and approval
    def attempt(operation: str) -> None:
        case, before = OP_CASES[operation], snapshot(orchestration.aws, ACCOUNT_A)
        body = {"accountId": ACCOUNT_B, **case.body(estate_a)}
        # When account B runs the operation against them
        result = invoke_direct(operation, body)

        # Then B is told "not found" (or sees none of A's items) and nothing of A's changed
        def missing() -> Any:
            return invoke_direct(operation, json.loads(_as_missing(json.dumps(body), estate_a)))

        _check(result, estate_a, case.expect, 400 if "error" in result else 200, missing)
        assert snapshot(orchestration.aws, ACCOUNT_A) == before

    every_case(_in_order(list(OPERATIONS)), attempt)


def test_account_b_cannot_reach_a_through_rest(estate_a, orchestration):
    def attempt(operation: str) -> None:
        case, before = OP_CASES[operation], snapshot(orchestration.aws, ACCOUNT_A)
        assert case.rest is not None
        method, template = case.rest
        path = template.format(
            group_id=estate_a.group_id, plan_id=estate_a.plan_id, execution_id=estate_a.execution_id
        )
        body = case.body(estate_a) if method in ("POST", "PUT") else None
        status, result = call_api(method, path, body, account=ACCOUNT_B)

        def missing() -> Any:
            other = json.loads(_as_missing(json.dumps(body), estate_a))
            return call_api(method, _as_missing(path, estate_a), other, account=ACCOUNT_B)[1]

        _check(result, estate_a, case.expect, status, missing)
        if case.expect == "not_found":
            assert status == 404
        assert snapshot(orchestration.aws, ACCOUNT_A) == before

    every_case(_in_order([op for op, case in OP_CASES.items() if case.rest]), attempt)
