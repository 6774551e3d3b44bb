"""SNS email subscriptions on the execution-notifications topic: one per notification address.

SNS keeps one subscription per (topic, protocol, endpoint), so the subscription belongs to the
address, not to a plan: two plans (or two accounts) naming one mailbox share it. Every published
message lists its recipients in the String.Array message attribute ``recipients`` (see
``handlers/notifications.py``), and each address's subscription has the filter policy
``{"recipients": ["<recipient id>"]}``: one value per address, whatever the number of plans using
it (a filter policy allows at most 150 values). The recipient id is a hash of the normalized
address, so message attributes, which every subscriber sees, carry no email address.

Which plans use an address lives in the notification-subscriptions table
(``handlers/services/mailboxes.py``). A failure here never fails a plan write: callers get a
:class:`SubscriptionOutcome` that says what happened.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from handlers import aws
from handlers.models.recovery_plan import SubscriptionStatus
from handlers.observability import logger
from handlers.settings import get_settings

RECIPIENTS = "recipients"  # the String.Array message attribute each subscription filters on
PENDING_ARN = "pending confirmation"  # what SNS says instead of an ARN for unconfirmed endpoints


@dataclass(frozen=True)
class SubscriptionOutcome:
    arn: str
    status: SubscriptionStatus
    reason: str = ""


NONE = SubscriptionOutcome(arn="", status="none")


def normalized(email: str) -> str:
    """The endpoint SNS is given: mail systems treat addresses case-insensitively, so do we."""
    return email.strip().lower()


def recipient_id(email: str) -> str:
    """The stable id of an address in ``recipients`` attributes and filter policies."""
    return hashlib.sha256(normalized(email).encode()).hexdigest()[:32]


def filter_policy(recipient: str) -> dict[str, list[str]]:
    return {RECIPIENTS: [recipient]}


def subscribe(email: str) -> SubscriptionOutcome:
    """Subscribe ``email`` with its one filter policy. SNS returns the existing subscription when
    the address is already subscribed with the same attributes, so this is idempotent."""
    try:
        response = aws.client("sns").subscribe(
            TopicArn=get_settings().require("execution_notifications_topic_arn"),
            Protocol="email",
            Endpoint=normalized(email),
            Attributes={
                "FilterPolicy": json.dumps(filter_policy(recipient_id(email))),
                "FilterPolicyScope": "MessageAttributes",
            },
            ReturnSubscriptionArn=True,
        )
    except (ClientError, BotoCoreError, RuntimeError) as exc:
        logger.warning("subscription failed", extra={"error": type(exc).__name__})
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
