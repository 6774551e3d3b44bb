"""The executions table's ``failback`` attribute, of *finished* executions.

:class:`handlers.repositories.executions.ExecutionRepository` writes only unfinished executions;
failback happens after a recovery ended, so its writes live here, each one conditional:

- :meth:`FailbackRecords.begin` creates the record once (two racing first calls: one writes);
- :meth:`FailbackRecords.claim` claims servers' reversals before DRS is called, in chunks of
  :data:`CHUNK` (one write each), a server only while nobody holds it (never asked, refused by DRS,
  or claimed longer than :data:`STALE_CLAIM` ago by a caller that died); a caller calls
  ``ReverseReplication`` only for the servers its write claimed, so each instance is reversed once;
- :meth:`FailbackRecords.settle` records what DRS answered, only for this caller's claims;
- :meth:`FailbackRecords.move` moves ``status`` from one value to the next (the failback claim of
  ``start_failback`` is one: ``READY`` to ``FAILING_BACK`` naming the new execution, so two racing
  starts make one execution).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from handlers import aws
from handlers.models.execution import Execution, FailbackRecord, FailbackServer
from handlers.repositories.dynamo import conditional_update, conditional_write, from_item, to_item

CHUNK = 25  # servers per claim or settle write (well inside DynamoDB's 4 KB expression limit)
STALE_CLAIM = timedelta(minutes=15)  # longer than any function runs: such a claim's caller died
CLAIMABLE = ("", "FAILED")
_NAMES = {"#fb": "failback", "#sv": "servers", "#rv": "reversal", "#ca": "claimedAt"}


class FailbackRecords:
    def __init__(self, table: Any = None) -> None:
        self._table = table or aws.table("executions_table")

    def begin(self, execution_id: str, record: FailbackRecord) -> bool:
        """Write the first record of a SUCCEEDED execution; False when one exists already."""
        return conditional_write(
            lambda: self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression="SET #fb = :r",
                ConditionExpression=(
                    "attribute_exists(executionId) AND #st = :ok AND attribute_not_exists(#fb)"
                ),
                ExpressionAttributeNames={"#fb": "failback", "#st": "status"},
                ExpressionAttributeValues={":r": to_item(record), ":ok": "SUCCEEDED"},
            )
        )

    def claim(
        self, execution_id: str, servers: dict[int, FailbackServer], claimed_at: str, stale_before: str
    ) -> bool:
        """Claim the reversal of every server of ``servers`` (index -> server as read), all or none."""
        sets, conditions = [], []
        values: dict[str, Any] = {":claimed": "CLAIMED", ":at": claimed_at, ":stale": stale_before}
        values.update({f":c{n}": state for n, state in enumerate(CLAIMABLE)})
        for index, server in servers.items():
            path = f"#fb.#sv[{index}]"
            values[f":i{index}"] = server.recoveryInstanceId
            sets.append(f"{path}.#rv = :claimed, {path}.#ca = :at")
            conditions.append(
                f"({path}.recoveryInstanceId = :i{index} AND ({path}.#rv IN (:c0, :c1)"
                f" OR attribute_not_exists({path}.#rv)"
                f" OR ({path}.#rv = :claimed AND {path}.#ca < :stale)))"
            )
        return conditional_write(
            lambda: self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=_NAMES,
                ExpressionAttributeValues=values,
            )
        )

    def settle(self, execution_id: str, servers: dict[int, FailbackServer], claimed_at: str) -> bool:
        """Replace the claimed servers by what DRS answered; only while the claims are this caller's."""
        sets, conditions = [], []
        values: dict[str, Any] = {":claimed": "CLAIMED", ":mine": claimed_at}
        for index, server in servers.items():
            path = f"#fb.#sv[{index}]"
            values[f":s{index}"] = to_item(server)
            sets.append(f"{path} = :s{index}")
            conditions.append(f"({path}.#rv = :claimed AND {path}.#ca = :mine)")
        return conditional_write(
            lambda: self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=_NAMES,
                ExpressionAttributeValues=values,
            )
        )

    def observe(self, execution_id: str, states: dict[int, str], updated_at: str) -> None:
        """Record what DRS shows of each server now (index -> state); nothing else changes."""
        items = list(states.items())
        for start in range(0, len(items), CHUNK):
            chunk = dict(items[start : start + CHUNK])
            sets = [f"#fb.#sv[{i}].#state = :v{i}" for i in chunk]
            values: dict[str, Any] = {f":v{i}": state for i, state in chunk.items()}
            values[":at"] = updated_at
            self._observe_chunk(execution_id, sets, values)

    def _observe_chunk(self, execution_id: str, sets: list[str], values: dict[str, Any]) -> None:
        conditional_write(
            lambda: self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression="SET " + ", ".join([*sets, "#fb.updatedAt = :at"]),
                ConditionExpression="attribute_exists(#fb)",
                ExpressionAttributeNames={"#fb": "failback", "#sv": "servers", "#state": "state"},
                ExpressionAttributeValues=values,
            )
        )

    def move(self, execution_id: str, before: Iterable[str], after: str, **fields: Any) -> Execution | None:
        """``status`` from one of ``before`` to ``after`` (and ``fields`` of the record set): the
        updated execution, or None when the status was not one of ``before`` (another caller moved it)."""
        allowed = list(before)
        values: dict[str, Any] = {":after": after, **{f":b{n}": s for n, s in enumerate(allowed)}}
        sets = ["#fb.#st = :after"]
        names = {"#fb": "failback", "#st": "status"}
        for n, (name, value) in enumerate(fields.items()):
            names[f"#f{n}"] = name
            values[f":f{n}"] = value
            sets.append(f"#fb.#f{n} = :f{n}")
        response = conditional_update(
            lambda: self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=f"#fb.#st IN ({', '.join(f':b{n}' for n in range(len(allowed)))})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        )
        return Execution.model_validate(from_item(response["Attributes"])) if response else None

    def announce_ready_once(self, execution_id: str) -> bool:
        """Mark ``failback_ready`` sent; True for the one caller whose write did it."""
        return conditional_write(
            lambda: self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression="SET #fb.readyAnnounced = :yes",
                ConditionExpression="#fb.readyAnnounced = :no",
                ExpressionAttributeNames={"#fb": "failback"},
                ExpressionAttributeValues={":yes": True, ":no": False},
            )
        )


def record_of(execution: Execution) -> FailbackRecord:
    assert execution.failback is not None
    return execution.failback
