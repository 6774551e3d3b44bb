"""A drill paused before wave 2 with named approvers (through the API, on the in-process
orchestration of tests/support/orchestration.py), and waiting for an execution's status."""

from __future__ import annotations

import secrets
from typing import Any

from handlers.models.approval import Approval
from tests.conftest import ACCOUNT_A
from tests.support.data import group_body, plan_body
from tests.support.events import call_api
from tests.support.orchestration import Orchestration, wait_until

STARTER = "starter@example.com"


def paused_drill(
    orchestration: Orchestration, approvers: list[str], *, quorum: int = 2, **plan_fields: Any
) -> dict[str, Any]:
    """A drill of a two-wave plan naming ``approvers`` (API principals) with drill quorum ``quorum``,
    started by :data:`STARTER` and paused before wave 2: the execution, plus ``approvalId``."""
    groups = [call_api("POST", "/protection-groups", group_body(f"Tier {i}"))[1]["groupId"] for i in range(2)]
    fields = {"approverPrincipals": approvers, "approvalQuorum": {"drill": quorum, "recovery": 2}}
    status, plan = call_api("POST", "/recovery-plans", plan_body(groups, **{**fields, **plan_fields}))
    assert status == 201, plan
    status, started = call_api("POST", "/executions", {"planId": plan["planId"]}, user=STARTER)
    assert status == 201, started
    paused = execution_status(started["executionId"], {"PAUSED"})
    item = orchestration.aws.client("dynamodb").get_item(
        TableName=orchestration.aws.tables["EXECUTIONS_TABLE"],
        Key={"executionId": {"S": paused["executionId"]}},
    )["Item"]
    return {**paused, "approvalId": item["pendingApprovalId"]["S"]}


def execution_status(execution_id: str, wanted: set[str], timeout: float = 30) -> dict[str, Any]:
    """The execution as the API shows it once its status is one of ``wanted``."""

    def probe() -> dict[str, Any] | None:
        current = call_api("GET", f"/executions/{execution_id}")[1]
        return current if current["status"] in wanted else None

    found = wait_until(probe, timeout)
    assert found, f"execution never reached {wanted}: {call_api('GET', f'/executions/{execution_id}')[1]}"
    return dict(found)


def approval_item(orchestration: Orchestration, approval_id: str) -> dict[str, Any]:
    """The approval as stored (DynamoDB's typed item)."""
    return dict(
        orchestration.aws.client("dynamodb").get_item(
            TableName=orchestration.aws.tables["APPROVALS_TABLE"], Key={"approvalId": {"S": approval_id}}
        )["Item"]
    )


def open_approval_item(**policy: Any) -> Approval:
    """An open quorum pause of a fictitious execution in account A, before wave 1, for tests that
    vote on it directly (``policy``: quorum, approvers, approverPrincipals, startedBy...)."""
    return Approval(
        approvalId=secrets.token_urlsafe(32),
        taskToken=secrets.token_hex(8),
        tokenHash=secrets.token_hex(8),
        executionId="e",
        planId="p",
        accountId=ACCOUNT_A,
        waveNumber=1,
        createdAt="2026-01-01T00:00:00Z",
        expiresAt="2099-01-01T00:00:00Z",
        ttl=0,
        tally={"resume": 0},
        **policy,
    )
