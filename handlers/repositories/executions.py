"""The executions table. Writers update single attributes (never whole items), so the orchestrator,
decisions and cancellations can touch one execution without overwriting each other."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from handlers import aws
from handlers.models.execution import (
    TERMINAL_STATUSES,
    Decision,
    Execution,
    PendingApproval,
    Vote,
    WaveProgress,
)
from handlers.repositories.dynamo import (
    Page,
    conditional_update,
    conditional_write,
    dynamo_errors,
    from_item,
    query_account,
    set_expression,
    to_item,
)

_TERMINAL = list(TERMINAL_STATUSES)
_NOT_FINISHED = "attribute_exists(executionId) AND NOT #status IN (:t0, :t1, :t2, :t3)"
SLACK_REFS = ("slackChannel", "slackParentTs", "slackPauseTs", "slackPauseWave")


@dataclass(frozen=True)
class StoredExecution:
    """An execution as its item holds it, with what the item keeps outside the model: the open
    pause's approval id and where the Slack notifier posted (:data:`SLACK_REFS`)."""

    execution: Execution
    pending_approval_id: str | None
    slack_refs: dict[str, str]


class ExecutionRepository:
    def __init__(self, table: Any = None) -> None:
        self._table = table or aws.table("executions_table")

    def insert(self, execution: Execution) -> None:
        with dynamo_errors(f"execution {execution.executionId} already exists"):
            self._table.put_item(
                Item=to_item(execution), ConditionExpression="attribute_not_exists(executionId)"
            )

    def get(self, execution_id: str) -> Execution | None:
        item = self._raw(execution_id)
        return Execution.model_validate(item) if item else None

    def get_stored(self, execution_id: str) -> StoredExecution | None:
        """The execution and what its item keeps outside the model, in one read."""
        item = self._raw(execution_id)
        if not item:
            return None
        approval_id = str(item["pendingApprovalId"]) if item.get("pendingApprovalId") else None
        refs = {k: str(item[k]) for k in SLACK_REFS if item.get(k)}
        return StoredExecution(Execution.model_validate(item), approval_id, refs)

    def page(self, account_id: str, *, limit: int = 50, token: str | None = None) -> Page[Execution]:
        items, next_token = query_account(
            self._table, account_id, limit=limit, token=token, newest_first=True
        )
        return Page([Execution.model_validate(i) for i in items], next_token)

    def update(self, execution_id: str, **fields: Any) -> bool:
        """Set model fields of a not-yet-finished execution. False if it has already finished."""
        unknown = set(fields) - set(Execution.model_fields)
        assert not unknown, f"not execution fields: {unknown}"
        expression, names, values = set_expression(_plain(fields))
        return conditional_write(
            lambda: self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression=expression,
                ConditionExpression=_NOT_FINISHED,
                ExpressionAttributeNames={**names, "#status": "status"},
                ExpressionAttributeValues={**values, **_terminal_values()},
            )
        )

    def update_wave(self, execution_id: str, wave: WaveProgress) -> None:
        """Replace one wave's progress (wave numbers are 1-based list positions)."""
        index = wave.waveNumber - 1
        with dynamo_errors():
            self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression=f"SET waves[{index}] = :w",
                ConditionExpression="attribute_exists(executionId)",
                ExpressionAttributeValues={":w": to_item(wave)},
            )

    def mark_paused(self, execution_id: str, pending: PendingApproval, approval_id: str) -> None:
        """Status PAUSED, what the pause shows, and its approval id (outside the model) at once."""
        with dynamo_errors():
            self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression="SET #status = :paused, pendingApproval = :p, pendingApprovalId = :a",
                ConditionExpression=_NOT_FINISHED,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":paused": "PAUSED",
                    ":p": to_item(pending),
                    ":a": approval_id,
                    **_terminal_values(),
                },
            )

    def record_decision(
        self, execution_id: str, decision: Decision, *, at_open_pause: bool = True
    ) -> Execution | None:
        """Append a decision, close the pause (RUNNING again unless it is a cancel); one write, made
        only while the pause before ``decision.waveNumber`` is still open, so whoever records a decision first
        (the winning decider or the orchestrator) records it once. Returns the updated execution,
        or None if the pause was already closed or the execution had already finished.
        ``at_open_pause=False``: while the execution has not finished, whether or not a pause is open
        (a decision made outside drs-chatops at a pause the record never saw open)."""
        expression = (
            "SET decisions = list_append(if_not_exists(decisions, :none), :d), pendingApproval = :null"
            + (", #status = :running" if decision.action != "cancel" else "")
            + " REMOVE pendingApprovalId"
        )
        values: dict[str, Any] = {
            ":none": [],
            ":d": [to_item(decision)],
            ":null": None,
            **_terminal_values(),
        }
        if at_open_pause:
            values[":wave"] = decision.waveNumber
        if decision.action != "cancel":
            values[":running"] = "RUNNING"
        response = conditional_update(
            lambda: self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression=expression,
                ConditionExpression=_NOT_FINISHED
                + (" AND pendingApproval.waveNumber = :wave" if at_open_pause else ""),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        )
        if response is None:
            return None
        return Execution.model_validate(from_item(response["Attributes"]))

    def show_votes(self, execution_id: str, wave_number: int, votes: list[Vote]) -> Execution | None:
        """What the open pause before ``wave_number`` shows of its votes (written after the approval's
        own vote write, so racing voters may arrive out of order: never replace more votes by
        fewer). The updated execution, or None when nothing was written."""
        response = conditional_update(
            lambda: self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression="SET pendingApproval.votes = :votes",
                ConditionExpression=(
                    f"{_NOT_FINISHED} AND pendingApproval.waveNumber = :wave AND "
                    "(attribute_not_exists(pendingApproval.votes) OR size(pendingApproval.votes) < :n)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":votes": [to_item(v) for v in votes],
                    ":wave": wave_number,
                    ":n": len(votes),
                    **_terminal_values(),
                },
                ReturnValues="ALL_NEW",
            )
        )
        return Execution.model_validate(from_item(response["Attributes"])) if response else None

    def set_pending_approval_id(self, execution_id: str, approval_id: str | None) -> None:
        """The pause's approval id, kept outside the model so no API response carries it."""
        expression = "SET pendingApprovalId = :a" if approval_id else "REMOVE pendingApprovalId"
        values = {":a": approval_id} if approval_id else {}
        with dynamo_errors():
            self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression=expression,
                **({"ExpressionAttributeValues": values} if values else {}),
            )

    def pending_approval_id(self, execution_id: str) -> str | None:
        item = self._raw(execution_id) or {}
        return str(item["pendingApprovalId"]) if item.get("pendingApprovalId") else None

    def set_slack_refs(self, execution_id: str, *, first_parent: bool = False, **refs: str | None) -> bool:
        """Where the Slack notifier posted (``slackChannel``, ``slackParentTs``, ``slackPauseTs`` and
        the ``slackPauseWave`` it is for),
        kept outside the model like the approval id. ``first_parent`` makes it conditional on no
        parent message being recorded yet; returns False when another writer was first."""
        unknown = set(refs) - set(SLACK_REFS)
        assert not unknown, f"not Slack refs: {unknown}"
        expression, names, values = set_expression({k: v or "" for k, v in refs.items()})
        condition = "attribute_exists(executionId)"
        if first_parent:
            condition += " AND (attribute_not_exists(slackParentTs) OR slackParentTs = :empty)"
            values[":empty"] = ""
        return conditional_write(
            lambda: self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        )

    def slack_refs(self, execution_id: str) -> dict[str, str]:
        item = self._raw(execution_id) or {}
        return {k: str(item[k]) for k in SLACK_REFS if item.get(k)}

    def _raw(self, execution_id: str) -> dict[str, Any] | None:
        with dynamo_errors():
            item = self._table.get_item(Key={"executionId": execution_id}, ConsistentRead=True).get("Item")
        return from_item(item) if item else None


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    """Models (also inside lists) as plain JSON values DynamoDB can store."""
    dumped: dict[str, Any] = json.loads(
        json.dumps(fields, default=lambda m: m.model_dump(mode="json", exclude_none=True))
    )
    return dumped


def _terminal_values() -> dict[str, str]:
    return {f":t{i}": status for i, status in enumerate(sorted(_TERMINAL))}
