"""The recovery-plans table."""

from __future__ import annotations

from typing import Any

from handlers import aws
from handlers.models.recovery_plan import RecoveryPlan
from handlers.repositories.dynamo import (
    Page,
    conditional_write,
    dynamo_errors,
    from_item,
    query_account,
    query_all_of_account,
    scan_all,
    set_expression,
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
        """Write the plan's fields if the stored version is still ``expected_version``. An update,
        not a put: attributes outside the model (the execution lock) are left alone."""
        fields = {k: v for k, v in to_item(plan).items() if k != "planId"}
        expression, names, values = set_expression(fields)
        with dynamo_errors(
            f"recovery plan {plan.planId} was changed since version {expected_version}; "
            "reload it and try again"
        ):
            self._table.update_item(
                Key={"planId": plan.planId},
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(planId) AND #version = :expected",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={**values, ":expected": expected_version},
            )

    def lock_for_execution(self, plan_id: str, execution_id: str) -> str | None:
        """Mark the plan as running ``execution_id``. Returns None on success, else the id of the
        execution already running (one conditional write: two starts cannot both win)."""
        locked = conditional_write(
            lambda: self._table.update_item(
                Key={"planId": plan_id},
                UpdateExpression="SET activeExecutionId = :e",
                ConditionExpression="attribute_exists(planId) AND attribute_not_exists(activeExecutionId)",
                ExpressionAttributeValues={":e": execution_id},
            )
        )
        if locked:
            return None
        with dynamo_errors():
            item = self._table.get_item(Key={"planId": plan_id}, ConsistentRead=True).get("Item") or {}
        return str(item.get("activeExecutionId") or "unknown")

    def active_execution(self, plan_id: str) -> str | None:
        """The id of the execution holding the plan's lock, if any (a consistent read)."""
        with dynamo_errors():
            item = self._table.get_item(Key={"planId": plan_id}, ConsistentRead=True).get("Item") or {}
        return str(item["activeExecutionId"]) if item.get("activeExecutionId") else None

    def unlock_execution(self, plan_id: str, execution_id: str) -> None:
        conditional_write(
            lambda: self._table.update_item(
                Key={"planId": plan_id},
                UpdateExpression="REMOVE activeExecutionId",
                ConditionExpression="activeExecutionId = :e",
                ExpressionAttributeValues={":e": execution_id},
            )
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
        with dynamo_errors(
            f"recovery plan {plan_id} was changed meanwhile or has an execution running; "
            "reload it and try again"
        ):
            self._table.delete_item(
                Key={"planId": plan_id},
                ConditionExpression="version = :v AND attribute_not_exists(activeExecutionId)",
                ExpressionAttributeValues={":v": expected_version},
            )
