"""The protection-groups table."""

from __future__ import annotations

from typing import Any

from handlers import aws
from handlers.models.protection_group import ProtectionGroup
from handlers.repositories.dynamo import (
    Page,
    dynamo_errors,
    from_item,
    query_account,
    query_all_of_account,
    scan_all,
    to_item,
)

BATCH_GET_LIMIT = 100  # BatchGetItem takes at most 100 keys


class ProtectionGroupRepository:
    def __init__(self, table: Any = None) -> None:
        self._table = table or aws.table("protection_groups_table")

    def get(self, group_id: str) -> ProtectionGroup | None:
        with dynamo_errors():
            item = self._table.get_item(Key={"groupId": group_id}, ConsistentRead=True).get("Item")
        return ProtectionGroup.model_validate(from_item(item)) if item else None

    def get_many(self, group_ids: list[str]) -> dict[str, ProtectionGroup]:
        """The stored groups among ``group_ids``, by id: one ``BatchGetItem`` per 100 ids (a plan's
        waves), consistent reads, unprocessed keys asked again."""
        found: dict[str, ProtectionGroup] = {}
        ids = list(dict.fromkeys(group_ids))
        for start in range(0, len(ids), BATCH_GET_LIMIT):
            keys: list[dict[str, Any]] = [{"groupId": g} for g in ids[start : start + BATCH_GET_LIMIT]]
            while keys:
                request = {self._table.name: {"Keys": keys, "ConsistentRead": True}}
                with dynamo_errors():
                    response = self._table.meta.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table.name, []):
                    group = ProtectionGroup.model_validate(from_item(item))
                    found[group.groupId] = group
                keys = response.get("UnprocessedKeys", {}).get(self._table.name, {}).get("Keys", [])
        return found

    def page(self, account_id: str, *, limit: int = 50, token: str | None = None) -> Page[ProtectionGroup]:
        items, next_token = query_account(self._table, account_id, limit=limit, token=token)
        return Page([ProtectionGroup.model_validate(i) for i in items], next_token)

    def all_in_account(self, account_id: str) -> list[ProtectionGroup]:
        return [ProtectionGroup.model_validate(i) for i in query_all_of_account(self._table, account_id)]

    def scan(self) -> list[dict[str, Any]]:
        """Every raw item, for operator scripts (backfill). Paginated."""
        return scan_all(self._table)

    def insert(self, group: ProtectionGroup) -> None:
        with dynamo_errors(f"a protection group with id {group.groupId} already exists"):
            self._table.put_item(Item=to_item(group), ConditionExpression="attribute_not_exists(groupId)")

    def replace(self, group: ProtectionGroup, *, expected_version: int) -> None:
        """Write ``group`` only if the stored version is still ``expected_version``."""
        with dynamo_errors(
            f"protection group {group.groupId} was changed since version {expected_version}; "
            "reload it and try again"
        ):
            self._table.put_item(
                Item=to_item(group),
                ConditionExpression="attribute_exists(groupId) AND version = :v",
                ExpressionAttributeValues={":v": expected_version},
            )

    def delete(self, group_id: str, *, expected_version: int) -> None:
        with dynamo_errors(f"protection group {group_id} was changed meanwhile; reload it and try again"):
            self._table.delete_item(
                Key={"groupId": group_id},
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": expected_version},
            )
