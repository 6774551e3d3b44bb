"""The notification-subscriptions table: per address, its SNS subscription and the plans using it.

``planIds`` is a DynamoDB string set changed with ``ADD``/``DELETE``, so adding a plan twice or
removing an absent one changes nothing (retries are safe). Every write adds one to ``version``;
writes that record a decision taken on a reading are conditional on that reading's version.
"""

from __future__ import annotations

from typing import Any

from handlers import aws
from handlers.models.mailbox import Mailbox
from handlers.repositories.dynamo import conditional_update, conditional_write, dynamo_errors, from_item


def _mailbox(item: dict[str, Any]) -> Mailbox:
    plan_ids = sorted(item.pop("planIds", None) or ())
    return Mailbox.model_validate({**from_item(item), "planIds": plan_ids})


class MailboxRepository:
    def __init__(self, table: Any = None) -> None:
        self._table = table or aws.table("notification_subscriptions_table")

    def get(self, recipient_id: str) -> Mailbox | None:
        with dynamo_errors():
            item = self._table.get_item(Key={"recipientId": recipient_id}, ConsistentRead=True).get("Item")
        return _mailbox(item) if item else None

    def add_plan(self, recipient_id: str, endpoint: str, plan_id: str) -> None:
        with dynamo_errors():
            self._table.update_item(
                Key={"recipientId": recipient_id},
                UpdateExpression="ADD planIds :p, version :one SET endpoint = :e",
                ExpressionAttributeValues={":p": {plan_id}, ":one": 1, ":e": endpoint},
            )

    def remove_plan(self, recipient_id: str, plan_id: str) -> bool:
        """False if the address has no item (nothing to remove)."""
        return conditional_write(
            lambda: self._table.update_item(
                Key={"recipientId": recipient_id},
                UpdateExpression="DELETE planIds :p ADD version :one",
                ConditionExpression="attribute_exists(recipientId)",
                ExpressionAttributeValues={":p": {plan_id}, ":one": 1},
            )
        )

    def record(self, seen: Mailbox, arn: str, status: str, reason: str) -> Mailbox | None:
        """Store the subscription if the item is still as ``seen``; the new item, or None."""
        response = conditional_update(
            lambda: self._table.update_item(
                Key={"recipientId": seen.recipientId},
                UpdateExpression="SET subscriptionArn = :a, subscriptionStatus = :s, "
                "subscriptionStatusReason = :r ADD version :one",
                ConditionExpression="version = :seen",
                ExpressionAttributeValues={
                    ":a": arn,
                    ":s": status,
                    ":r": reason,
                    ":one": 1,
                    ":seen": seen.version,
                },
                ReturnValues="ALL_NEW",
            )
        )
        return _mailbox(response["Attributes"]) if response else None

    def delete_unused(self, seen: Mailbox) -> bool:
        """Delete the item if it is still as ``seen`` and no plan uses the address."""
        return conditional_write(
            lambda: self._table.delete_item(
                Key={"recipientId": seen.recipientId},
                ConditionExpression="version = :seen AND attribute_not_exists(planIds)",
                ExpressionAttributeValues={":seen": seen.version},
            )
        )
