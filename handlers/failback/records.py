"""The executions table's ``failback`` attribute, of *finished* executions.

:class:`handlers.repositories.executions.ExecutionRepository` writes only unfinished executions;
failback happens after a recovery ended, so its writes live here, each one conditional:

- :meth:`FailbackRecords.begin` creates the record once (two racing first calls: one writes);
- :meth:`FailbackRecords.replace_servers` writes the servers' list whole, optimistically: only
  while the item's :data:`REVISION` is the one the caller read (every write of the servers moves
  it on), so a caller that computed its change from an older record loses and reads again. The
  reversal claims servers this way before DRS is called, a server only while nobody holds it
  (never asked, refused by DRS, or claimed longer than :data:`STALE_CLAIM` ago by a caller that
  died), and calls ``ReverseReplication`` only for the servers its write claimed, so each instance
  is reversed once; it records DRS's answers the same way, only for servers still claimed by it
  (handlers/failback/reversal.py). One write whatever the number of servers: on DynamoDB a write
  costs the whole item's size however little of it changes, and per-server condition paths would
  cap a write at 25 servers (4 KB expressions);
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

REVISION = "failbackRevision"  # the item's count of server writes (outside the model: Execution ignores it)
STALE_CLAIM = timedelta(minutes=15)  # longer than any function runs: such a claim's caller died
CLAIMABLE = ("", "FAILED")


class FailbackRecords:
    def __init__(self, table: Any = None) -> None:
        self._table = table or aws.table("executions_table")

    def begin(self, execution_id: str, record: FailbackRecord) -> bool:
        """Write the first record of a SUCCEEDED execution; False when one exists already."""
        return conditional_write(
            lambda: self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression="SET #fb = :r, #rev = :zero",
                ConditionExpression=(
                    "attribute_exists(executionId) AND #st = :ok AND attribute_not_exists(#fb)"
                ),
                ExpressionAttributeNames={"#fb": "failback", "#st": "status", "#rev": REVISION},
                ExpressionAttributeValues={":r": to_item(record), ":ok": "SUCCEEDED", ":zero": 0},
            )
        )

    def read(self, execution_id: str) -> tuple[FailbackRecord, int]:
        """The stored record and its revision, read strongly consistent (the base of a write)."""
        item = self._table.get_item(
            Key={"executionId": execution_id},
            ConsistentRead=True,
            ProjectionExpression="#fb, #rev",
            ExpressionAttributeNames={"#fb": "failback", "#rev": REVISION},
        ).get("Item")
        assert item is not None and "failback" in item, f"execution {execution_id} has no failback record"
        plain = from_item(item)
        return FailbackRecord.model_validate(plain["failback"]), int(plain.get(REVISION, 0))

    def replace_servers(
        self, execution_id: str, servers: list[FailbackServer], revision: int, updated_at: str
    ) -> bool:
        """Write the servers as this caller computed them from the record at ``revision``: only
        while the record is still at that revision (no other write of its servers since), then at
        ``revision + 1``. False when another caller wrote first (read again and recompute)."""
        values: dict[str, Any] = {
            ":sv": [to_item(s) for s in servers],
            ":at": updated_at,
            ":seen": revision,
            ":next": revision + 1,
        }
        unchanged = "#rev = :seen" + (" OR attribute_not_exists(#rev)" if revision == 0 else "")
        return conditional_write(
            lambda: self._table.update_item(
                Key={"executionId": execution_id},
                UpdateExpression="SET #fb.#sv = :sv, #fb.updatedAt = :at, #rev = :next",
                ConditionExpression=f"attribute_exists(#fb) AND ({unchanged})",
                ExpressionAttributeNames={"#fb": "failback", "#sv": "servers", "#rev": REVISION},
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
