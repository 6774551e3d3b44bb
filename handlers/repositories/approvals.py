"""The approvals table: the only place a Step Functions task token is stored."""

from __future__ import annotations

import hashlib
from typing import Any

from handlers import aws
from handlers.models.approval import LINK_HOLDER, Approval
from handlers.repositories.dynamo import (
    conditional_update,
    conditional_write,
    dynamo_errors,
    from_item,
    to_item,
)

TOKEN_INDEX = "tokenHash-index"  # noqa: S105 (an index name, not a secret)


def token_hash(task_token: str) -> str:
    """Index key for automation that decides by token: the token itself is never indexed."""
    return hashlib.sha256(task_token.encode()).hexdigest()


class ApprovalRepository:
    def __init__(self, table: Any = None) -> None:
        self._table = table or aws.table("approvals_table")

    def insert(self, approval: Approval) -> None:
        with dynamo_errors("approval id collision"):
            self._table.put_item(
                Item=to_item(approval), ConditionExpression="attribute_not_exists(approvalId)"
            )

    def get(self, approval_id: str) -> Approval | None:
        with dynamo_errors():
            item = self._table.get_item(Key={"approvalId": approval_id}, ConsistentRead=True).get("Item")
        return Approval.model_validate(from_item(item)) if item else None

    def find_by_token(self, task_token: str) -> Approval | None:
        from boto3.dynamodb.conditions import Key

        with dynamo_errors():
            items = self._table.query(
                IndexName=TOKEN_INDEX, KeyConditionExpression=Key("tokenHash").eq(token_hash(task_token))
            ).get("Items", [])
        return self.get(str(items[0]["approvalId"])) if items else None

    def decide(
        self,
        approval_id: str,
        *,
        status: str,
        action: str,
        by: str | None,
        via: str,
        at: str,
        account_id: str | None = None,
        kinds: tuple[str, ...] = (),
    ) -> Approval | None:
        """PENDING and unexpired -> decided, once (with ``kinds``: only a pause of one of those kinds;
        one stored before kinds existed is a ``before_wave`` pause): the decided approval for the
        one caller whose write happened, None for everyone else. ``by=None`` is the holder of an
        email link, recorded as the approval's ``linkHolder`` (never as an empty name). One round
        trip."""
        values: dict[str, Any] = {
            ":s": status,
            ":a": action,
            ":via": via,
            ":at": at,
            ":pending": "PENDING",
            ":now": at[:19] + "Z",
            ":by": by if by is not None else LINK_HOLDER,
        }
        condition = "#s = :pending AND expiresAt > :now"
        names = {"#s": "status", "#a": "action"}
        if account_id is not None:
            condition += " AND accountId = :account"
            values[":account"] = account_id
        if kinds:
            names["#k"] = "kind"
            values.update({f":k{i}": kind for i, kind in enumerate(kinds)})
            listed = ", ".join(f":k{i}" for i in range(len(kinds)))
            legacy = "attribute_not_exists(#k) OR " if "before_wave" in kinds else ""
            condition += f" AND ({legacy}#k IN ({listed}))"
        # Approvals stored before linkHolder existed fall back to LINK_HOLDER.
        decided_by = ":by" if by is not None else "if_not_exists(linkHolder, :by)"
        response = conditional_update(
            lambda: self._table.update_item(
                Key={"approvalId": approval_id},
                UpdateExpression=(
                    f"SET #s = :s, #a = :a, decidedBy = {decided_by}, decidedVia = :via, decidedAt = :at"
                ),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        )
        if response is None:
            return None
        return Approval.model_validate(from_item(response["Attributes"]))

    def expire(self, approval_id: str, *, reason: str, only_if: str = "PENDING") -> bool:
        """Mark an approval EXPIRED if its status is still ``only_if``."""
        return conditional_write(
            lambda: self._table.update_item(
                Key={"approvalId": approval_id},
                UpdateExpression="SET #s = :expired, statusReason = :r",
                ConditionExpression="#s = :only",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":expired": "EXPIRED", ":r": reason, ":only": only_if},
            )
        )

    def reopen(self, approval: Approval) -> bool:
        """Undo ``approval``'s decision (PENDING again, decider cleared) if it is still the stored
        one: for a decision Step Functions did not take, so it can be made again."""
        return conditional_write(
            lambda: self._table.update_item(
                Key={"approvalId": approval.approvalId},
                UpdateExpression="SET #s = :pending REMOVE #a, decidedBy, decidedVia, decidedAt",
                ConditionExpression="#s = :decided AND decidedAt = :at",
                ExpressionAttributeNames={"#s": "status", "#a": "action"},
                ExpressionAttributeValues={
                    ":pending": "PENDING",
                    ":decided": approval.status,
                    ":at": approval.decidedAt,
                },
            )
        )
