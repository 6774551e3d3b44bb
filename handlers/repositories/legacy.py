"""Items written before ``accountId`` existed, as the backfill scripts see them.

Works on the protection-groups or recovery-plans table (named by its key attribute). Items come back
raw (dicts): legacy items do not fit today's models, which is the point of backfilling them. Every
write is conditional on ``attribute_not_exists(accountId)``, so a re-run, or a run racing a newer
writer, never overwrites an item that already has an account.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from handlers.repositories.dynamo import conditional_write, dynamo_errors, from_item

_NOT_BACKFILLED = "attribute_exists(#key) AND attribute_not_exists(accountId)"


class LegacyItemRepository:
    def __init__(self, table: Any, key: str) -> None:
        self._table = table
        self._key = key

    def scan_pages(self, page_size: int = 500) -> Iterator[list[dict[str, Any]]]:
        """Every item, one scan page at a time (memory stays bounded on big tables)."""
        kwargs: dict[str, Any] = {"Limit": page_size}
        while True:
            with dynamo_errors():
                response = self._table.scan(**kwargs)
            yield [from_item(i) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def get(self, key_value: str) -> dict[str, Any] | None:
        with dynamo_errors():
            item = self._table.get_item(Key={self._key: key_value}, ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def set_account(
        self, key_value: str, account_id: str, *, always: dict[str, Any], defaults: dict[str, Any]
    ) -> bool:
        """Give a legacy item its account. ``always`` attributes are set; ``defaults`` only where
        the item has none. False if the item has an account already (or is gone)."""
        return self._update(key_value, {"accountId": account_id, **always}, defaults)

    def mark_invalid(self, key_value: str, reason: str) -> bool:
        """Flag a legacy item that cannot be given an account; it stays without one."""
        return self._update(key_value, {"status": "invalid", "statusReason": reason}, {})

    def _update(self, key_value: str, always: dict[str, Any], defaults: dict[str, Any]) -> bool:
        names = {"#key": self._key}
        values: dict[str, Any] = {}
        clauses = []
        for i, (name, value) in enumerate([*always.items(), *defaults.items()]):
            names[f"#f{i}"], values[f":v{i}"] = name, value
            clauses.append(f"#f{i} = :v{i}" if i < len(always) else f"#f{i} = if_not_exists(#f{i}, :v{i})")
        return conditional_write(
            lambda: self._table.update_item(
                Key={self._key: key_value},
                UpdateExpression="SET " + ", ".join(clauses),
                ConditionExpression=_NOT_BACKFILLED,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        )
