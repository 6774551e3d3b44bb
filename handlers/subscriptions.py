"""Per-plan email subscriptions on the execution-notifications topic.

One SNS email subscription per plan, filtered on the message attribute ``recoveryPlanId``. A failure
here never fails the plan write: callers get a :class:`SubscriptionOutcome` that says what happened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from handlers import aws
from handlers.models.recovery_plan import SubscriptionStatus
from handlers.observability import logger
from handlers.settings import get_settings

PENDING_ARN = "pending confirmation"  # what SNS says instead of an ARN for unconfirmed endpoints


@dataclass(frozen=True)
class SubscriptionOutcome:
    arn: str
    status: SubscriptionStatus
    reason: str = ""


NONE = SubscriptionOutcome(arn="", status="none")


def filter_policy(plan_id: str) -> dict[str, list[str]]:
    return {"recoveryPlanId": [plan_id]}


def subscribe(plan_id: str, email: str) -> SubscriptionOutcome:
    try:
        response = aws.client("sns").subscribe(
            TopicArn=get_settings().require("execution_notifications_topic_arn"),
            Protocol="email",
            Endpoint=email,
            Attributes={
                "FilterPolicy": json.dumps(filter_policy(plan_id)),
                "FilterPolicyScope": "MessageAttributes",
            },
            ReturnSubscriptionArn=True,
        )
    except (ClientError, BotoCoreError, RuntimeError) as exc:
        logger.warning("subscription failed", extra={"planId": plan_id, "error": type(exc).__name__})
        return SubscriptionOutcome(arn="", status="failed", reason=_reason(exc))
    arn = str(response.get("SubscriptionArn", ""))
    return SubscriptionOutcome(arn=arn, status=status_of(arn))


def unsubscribe(arn: str) -> SubscriptionOutcome:
    """Remove a subscription. An ARN SNS no longer knows counts as removed."""
    if not arn or arn.lower() == PENDING_ARN:
        return NONE
    try:
        aws.client("sns").unsubscribe(SubscriptionArn=arn)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NotFound":
            return NONE
        logger.warning("unsubscribe failed", extra={"error": type(exc).__name__})
        return SubscriptionOutcome(arn=arn, status="failed", reason=f"could not unsubscribe: {_reason(exc)}")
    except BotoCoreError as exc:
        return SubscriptionOutcome(arn=arn, status="failed", reason=f"could not unsubscribe: {_reason(exc)}")
    return NONE


def status_of(arn: str) -> SubscriptionStatus:
    """Ask SNS whether the subscription has been confirmed by its recipient."""
    if not arn or arn.lower() == PENDING_ARN:
        return "pending_confirmation" if arn else "none"
    try:
        attributes = aws.client("sns").get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    except ClientError as exc:
        return "none" if exc.response.get("Error", {}).get("Code") == "NotFound" else "pending_confirmation"
    return "pending_confirmation" if attributes.get("PendingConfirmation") == "true" else "confirmed"


def _reason(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
    return str(exc) or type(exc).__name__
