"""The recovery-plans table."""

from __future__ import annotations

from typing import Any

from handlers import aws
from handlers.models.recovery_plan import RecoveryPlan
from handlers.repositories.dynamo import (
    Page,
    dynamo_errors,
    from_item,
    query_account,
    query_all_of_account,
    scan_all,
    to_item,
)


class RecoveryPlanRepository:
    def __init__(self, table: Any = None) -> None:
        self._table = table or aws.table("recovery_plans_table")

    def get(self, plan_id: str) -> RecoveryPlan | None:
        with dynamo_errors():
            item = self._table.get_item(Key={"planId": plan_id}, ConsistentRead=True).get("Item")
        return RecoveryPlan.model_validate(from_item(item)) if item else None

    def page(self, account_id: str, *, limit: int = 50, token: str | None = None) -> Page[RecoveryPlan]:
        items, next_token = query_account(self._table, account_id, limit=limit, token=token)
        return Page([RecoveryPlan.model_validate(i) for i in items], next_token)

    def all_in_account(self, account_id: str) -> list[RecoveryPlan]:
        return [RecoveryPlan.model_validate(i) for i in query_all_of_account(self._table, account_id)]

    def scan(self) -> list[dict[str, Any]]:
        return scan_all(self._table)

    def insert(self, plan: RecoveryPlan) -> None:
        with dynamo_errors(f"a recovery plan with id {plan.planId} already exists"):
            self._table.put_item(Item=to_item(plan), ConditionExpression="attribute_not_exists(planId)")

    def replace(self, plan: RecoveryPlan, *, expected_version: int) -> None:
        with dynamo_errors(
            f"recovery plan {plan.planId} was changed since version {expected_version}; "
            "reload it and try again"
        ):
            self._table.put_item(
                Item=to_item(plan),
                ConditionExpression="attribute_exists(planId) AND version = :v",
                ExpressionAttributeValues={":v": expected_version},
            )

    def set_subscription(self, plan_id: str, arn: str, status: str, reason: str) -> None:
        """Record the outcome of a subscription change without bumping the plan's version."""
        with dynamo_errors():
            self._table.update_item(
                Key={"planId": plan_id},
                UpdateExpression="SET snsSubscriptionArn = :a, subscriptionStatus = :s, "
                "subscriptionStatusReason = :r",
                ConditionExpression="attribute_exists(planId)",
                ExpressionAttributeValues={":a": arn, ":s": status, ":r": reason},
            )

    def delete(self, plan_id: str, *, expected_version: int) -> None:
        with dynamo_errors(f"recovery plan {plan_id} was changed meanwhile; reload it and try again"):
            self._table.delete_item(
                Key={"planId": plan_id},
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": expected_version},
            )
