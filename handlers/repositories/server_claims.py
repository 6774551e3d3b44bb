"""The server-claims table: one item per (account, source server) naming the group that owns it.

This is how "a server belongs to at most one group per account" holds under concurrency: a claim is
a conditional put, so two groups racing for one server cannot both win (a scan-then-write check
could not guarantee that). Claims are written in transactions of up to 100: one round trip for
most groups, all-or-nothing within each transaction."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from handlers import aws
from handlers.repositories.dynamo import conditional_write, dynamo_errors

TRANSACTION_LIMIT = 100  # DynamoDB TransactWriteItems takes at most 100 actions
BATCH_GET_LIMIT = 100  # DynamoDB BatchGetItem takes at most 100 keys


def _key(account_id: str, server_id: str) -> str:
    return f"{account_id}#{server_id}"


class ServerClaimRepository:
    def __init__(self, table: Any = None) -> None:
        self._table = table or aws.table("server_claims_table")

    def claim(self, account_id: str, server_id: str, group_id: str) -> str | None:
        """Claim ``server_id`` for ``group_id``. Returns None on success (or if the group already
        holds it), else the id of the group that holds it."""
        claimed = conditional_write(
            lambda: self._table.put_item(
                Item={"claimKey": _key(account_id, server_id), "groupId": group_id, "accountId": account_id},
                ConditionExpression="attribute_not_exists(claimKey) OR groupId = :g",
                ExpressionAttributeValues={":g": group_id},
            )
        )
        return None if claimed else self.owner(account_id, server_id) or "another group"

    def claim_all(self, account_id: str, server_ids: list[str], group_id: str) -> tuple[str, str] | None:
        """Claim up to 100 servers in one transaction. None on success, else (server, owner) of a
        server another group holds; then nothing of this call was claimed."""
        assert len(server_ids) <= TRANSACTION_LIMIT
        if len(server_ids) == 1:  # one claim: a conditional put is already atomic and cheaper
            owner = self.claim(account_id, server_ids[0], group_id)
            return None if owner is None else (server_ids[0], owner)
        actions = [
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": {"claimKey": _key(account_id, s), "groupId": group_id, "accountId": account_id},
                    "ConditionExpression": "attribute_not_exists(claimKey) OR groupId = :g",
                    "ExpressionAttributeValues": {":g": group_id},
                }
            }
            for s in server_ids
        ]
        try:
            self._table.meta.client.transact_write_items(TransactItems=actions)
            return None
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            for server_id, reason in zip(server_ids, reasons, strict=False):
                if reason.get("Code") == "ConditionalCheckFailed":
                    return server_id, self.owner(account_id, server_id) or "another group"
            with dynamo_errors():  # any other failure, e.g. a concurrent transaction: retryable
                raise

    def owners(self, account_id: str, server_ids: list[str]) -> dict[str, str]:
        """Server id -> the group that holds it, for those of ``server_ids`` claimed in the account
        (in their order): one consistent ``BatchGetItem`` per 100 servers, unprocessed keys asked
        again. Only reads: a check before writing, which the claims' conditional writes still guard."""
        held: dict[str, str] = {}
        ids = list(dict.fromkeys(server_ids))
        for start in range(0, len(ids), BATCH_GET_LIMIT):
            keys: list[dict[str, Any]] = [
                {"claimKey": _key(account_id, s)} for s in ids[start : start + BATCH_GET_LIMIT]
            ]
            while keys:
                request = {self._table.name: {"Keys": keys, "ConsistentRead": True}}
                with dynamo_errors():
                    response = self._table.meta.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table.name, []):
                    held[str(item["claimKey"]).split("#", 1)[1]] = str(item["groupId"])
                keys = response.get("UnprocessedKeys", {}).get(self._table.name, {}).get("Keys", [])
        return {s: held[s] for s in ids if s in held}

    def owner(self, account_id: str, server_id: str) -> str | None:
        with dynamo_errors():
            item = self._table.get_item(Key={"claimKey": _key(account_id, server_id)}, ConsistentRead=True)
        found = item.get("Item")
        return str(found["groupId"]) if found else None

    def release(self, account_id: str, server_id: str, group_id: str) -> None:
        """Release a claim if (and only if) ``group_id`` holds it."""
        conditional_write(
            lambda: self._table.delete_item(
                Key={"claimKey": _key(account_id, server_id)},
                ConditionExpression="groupId = :g",
                ExpressionAttributeValues={":g": group_id},
            )
        )
