"""An account's estate (groups, a plan, an execution paused on an approval) and a snapshot of every
item of that account in every table, for tests that play another account against it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.data import group_body, plan_body
from tests.support.events import call_api, invoke_direct
from tests.support.orchestration import Orchestration, wait_until


@dataclass(frozen=True)
class Estate:
    account: str
    group_id: str
    group_name: str
    server_ids: list[str]
    plan_id: str
    plan_name: str
    execution_id: str
    approval_id: str
    export: dict[str, Any] = field(repr=False)

    def secrets(self) -> list[str]:
        """What another account must never be shown: the ids and names of these items."""
        return [
            self.group_id,
            self.group_name,
            self.plan_id,
            self.plan_name,
            self.execution_id,
            self.approval_id,
        ]


def paused_estate(orchestration: Orchestration, account: str) -> Estate:
    """Two groups and a plan pausing before wave 2, started and waiting on its approval."""
    groups = [
        call_api("POST", "/protection-groups", group_body(f"Secret tier {i}"), account=account)[1]
        for i in range(2)
    ]
    body = plan_body([g["groupId"] for g in groups], name="Secret payments failover")
    status, plan = call_api("POST", "/recovery-plans", body, account=account)
    assert status == 201, plan
    status, execution = call_api("POST", "/executions", {"planId": plan["planId"]}, account=account)
    assert status == 201, execution
    orchestration.wait_for_event("pause")
    approval_id = wait_until(lambda: _pending_approval(orchestration, account))
    assert approval_id, "the execution never opened its approval"
    return Estate(
        account=account,
        group_id=groups[0]["groupId"],
        group_name=groups[0]["groupName"],
        server_ids=groups[0]["sourceServerIds"],
        plan_id=plan["planId"],
        plan_name=plan["planName"],
        execution_id=execution["executionId"],
        approval_id=approval_id,
        export=invoke_direct("export_configuration", {"accountId": account}),
    )


def _pending_approval(orchestration: Orchestration, account: str) -> str | None:
    table = orchestration.aws.tables["APPROVALS_TABLE"]
    for item in orchestration.aws.client("dynamodb").scan(TableName=table)["Items"]:
        if item["accountId"]["S"] == account and item["status"]["S"] == "PENDING":
            return str(item["approvalId"]["S"])
    return None


def snapshot(aws: Any, account: str) -> dict[str, list[str]]:
    """Every item of ``account`` in every table, as sorted JSON: equal snapshots = nothing changed."""
    client = aws.client("dynamodb")
    taken: dict[str, list[str]] = {}
    for name, table in aws.tables.items():
        items = [
            json.dumps(item, sort_keys=True)
            for page in client.get_paginator("scan").paginate(TableName=table)
            for item in page["Items"]
            if item.get("accountId", {}).get("S") == account
        ]
        taken[name] = sorted(items)
    return taken


def every_case(cases: list[str], attempt: Callable[[str], None]) -> None:
    """``attempt`` every case, in order, against one estate (each case must leave it unchanged,
    which is what it checks), then fail naming each case that failed and why."""
    failures = {}
    for case in cases:
        try:
            attempt(case)
        except AssertionError as exc:
            failures[case] = str(exc)[:500]
    assert failures == {}
