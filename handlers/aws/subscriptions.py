"""SNS email subscriptions on the execution-notifications topic: one per notification address.

SNS keeps one subscription per (topic, protocol, endpoint), so the subscription belongs to the
address, not to a plan: two plans (or two accounts) naming one mailbox share it. Every published
message lists its recipients in the String.Array message attribute ``recipients`` (see
``handlers/events/notifications.py``), and each address's subscription has the filter policy
``{"recipients": ["<recipient id>"]}``: one value per address, whatever the number of plans using
it (a filter policy allows at most 150 values). The recipient id is a hash of the normalized
address, so message attributes, which every subscriber sees, carry no email address.

Which plans use an address lives in the notification-subscriptions table
(``handlers/plans/mailboxes.py``). A failure here never fails a plan write: callers get a
:class:`SubscriptionOutcome` that says what happened.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from handlers import aws
from handlers.core.observability import logger
from handlers.core.settings import get_settings
from handlers.models.recovery_plan import SubscriptionStatus

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
    the address is already subscribed with the same attributes, so this is idempotent. One
    subscribed with other attributes (a per-plan policy of earlier versions) is refused by SNS; it is
    then adopted: given the address's policy, it keeps its ARN and its confirmation."""
    try:
        topic = get_settings().require("execution_notifications_topic_arn")
        response = aws.client("sns").subscribe(
            TopicArn=topic,
            Protocol="email",
            Endpoint=normalized(email),
            Attributes={"FilterPolicy": _policy(email), "FilterPolicyScope": "MessageAttributes"},
            ReturnSubscriptionArn=True,
        )
        arn = str(response.get("SubscriptionArn", ""))
    except ClientError as exc:
        return _adopt(topic, email, exc) if _code(exc) == "InvalidParameter" else _failed(exc)
    except (BotoCoreError, RuntimeError) as exc:
        return _failed(exc)
    return SubscriptionOutcome(arn=arn, status=status_of(arn))


def _policy(email: str) -> str:
    return json.dumps(filter_policy(recipient_id(email)))


def _existing(topic: str, email: str) -> str:
    """The ARN of the topic's email subscription for ``email``, if any."""
    pages = aws.client("sns").get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic)
    for page in pages:
        for subscription in page.get("Subscriptions", []):
            if subscription.get("Protocol") == "email" and normalized(subscription.get("Endpoint", "")) == (
                normalized(email)
            ):
                return str(subscription["SubscriptionArn"])
    return ""


def _adopt(topic: str, email: str, refusal: ClientError) -> SubscriptionOutcome:
    """Give the address's existing subscription the address's filter policy. One awaiting
    confirmation cannot be changed (SNS lists it without an ARN): the refusal stands."""
    sns = aws.client("sns")
    try:
        arn = _existing(topic, email)
        if not arn or arn.lower() == PENDING_ARN:
            return _failed(refusal)
        sns.set_subscription_attributes(
            SubscriptionArn=arn, AttributeName="FilterPolicyScope", AttributeValue="MessageAttributes"
        )
        sns.set_subscription_attributes(
            SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue=_policy(email)
        )
    except (ClientError, BotoCoreError) as exc:
        return _failed(exc)
    logger.info("existing subscription adopted with the address's filter policy")
    return SubscriptionOutcome(arn=arn, status=status_of(arn))


def _failed(exc: Exception) -> SubscriptionOutcome:
    logger.warning("subscription failed", extra={"error": type(exc).__name__})
    return SubscriptionOutcome(arn="", status="failed", reason=_reason(exc))


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


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
