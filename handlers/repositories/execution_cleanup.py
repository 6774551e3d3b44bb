"""The executions table's cleanup attributes (``cleanup``, ``cleanupDueAt``) of *finished* drills.

:class:`handlers.repositories.executions.ExecutionRepository` writes only unfinished executions;
cleanup happens after the end, so its writes live here, each one conditional: one caller claims a
cleanup (``IN_PROGRESS``) and the others read its record, so no instance is terminated twice."""

from __future__ import annotations

from typing import Any

from handlers import aws
from handlers.models.execution import TERMINAL_STATUSES, Cleanup, Execution
from handlers.repositories.dynamo import conditional_update, conditional_write, from_item, to_item

_FINISHED = "attribute_exists(executionId) AND #status IN (:t0, :t1, :t2, :t3)"
# Claimable: never cleaned up, a FAILED try, or an IN_PROGRESS claim older than any cleanup can run
# (its Lambda died): the claim names the time it was made, so only one of two racing callers wins.
_CLAIMABLE = (
    "(attribute_not_exists(cleanup) OR cleanup.#cs = :failed"
    " OR (cleanup.#cs = :running AND cleanup.requestedAt < :stale))"
)


class ExecutionCleanupRepository:
    def __init__(self, table: Any = None) -> None:
        self._table = table or aws.table("executions_table")

    def claim(self, execution_id: str, claim: Cleanup, *, stale_before: str) -> bool:
        """Record ``claim`` (IN_PROGRESS) unless another cleanup runs or has completed."""
        return conditional_write(
            lambda: self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression="SET cleanup = :c",
                ConditionExpression=f"{_FINISHED} AND {_CLAIMABLE}",
                ExpressionAttributeNames={"#status": "status", "#cs": "status"},
                ExpressionAttributeValues={
                    ":c": to_item(claim),
                    ":failed": "FAILED",
                    ":running": "IN_PROGRESS",
                    ":stale": stale_before,
                    **_terminal_values(),
                },
            )
        )

    def record(self, execution_id: str, cleanup: Cleanup, *, claimed_at: str) -> Execution | None:
        """Replace the claim made at ``claimed_at`` with ``cleanup`` (progress or the outcome); None if
        the claim is no longer this caller's."""
        response = conditional_update(
            lambda: self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression="SET cleanup = :c",
                ConditionExpression="cleanup.#cs = :running AND cleanup.requestedAt = :mine",
                ExpressionAttributeNames={"#cs": "status"},
                ExpressionAttributeValues={
                    ":c": to_item(cleanup),
                    ":running": "IN_PROGRESS",
                    ":mine": claimed_at,
                },
                ReturnValues="ALL_NEW",
            )
        )
        return Execution.model_validate(from_item(response["Attributes"])) if response else None

    def set_due(self, execution_id: str, due_at: str, *, expected: str) -> bool:
        """Move ``cleanupDueAt`` from ``expected`` to ``due_at`` (a finished, not cleaned-up drill)."""
        same = "(attribute_not_exists(cleanupDueAt) OR cleanupDueAt = :expected)"
        condition = f"{_FINISHED} AND " + ("cleanupDueAt = :expected" if expected else same)
        return conditional_write(
            lambda: self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression="SET cleanupDueAt = :due",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":due": due_at, ":expected": expected, **_terminal_values()},
            )
        )


def _terminal_values() -> dict[str, str]:
    return {f":t{i}": status for i, status in enumerate(sorted(TERMINAL_STATUSES))}
