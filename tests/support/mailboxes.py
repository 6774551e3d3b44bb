"""Shared notification addresses on moto: plans made through the services, and SQS taps that
stand in for mailboxes.

moto records SNS email deliveries nowhere, so each address gets an SQS queue subscribed with the
filter policy of the product's own email subscription for that address (read back from SNS), the
way ``tests/support/orchestration.py`` ``tap_topic`` and ``benchmarks/fanout.py`` do. What the tap
receives is what the mailbox would."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

from handlers.accounts.account_context import Caller
from handlers.aws.subscriptions import normalized, recipient_id
from handlers.events.notifications import publish_recovery_plan_notification
from handlers.models.protection_group import ProtectionGroupCreate
from handlers.models.recovery_plan import RecoveryPlanCreate, RecoveryPlanUpdate
from handlers.plans import protection_groups, recovery_plans
from tests.support.data import group_body
from tests.support.sns import sample_event


def caller(account: str) -> Caller:
    return Caller(account_id=account, principal="tester", source="direct")


def make_group(account: str) -> str:
    group = protection_groups.create_protection_group(
        caller(account), ProtectionGroupCreate.model_validate(group_body(f"Group {uuid.uuid4().hex[:8]}"))
    )
    return group.groupId


def create_plan(account: str, group_id: str, email: str) -> str:
    body = {
        "planName": f"Plan {uuid.uuid4().hex[:8]}",
        "waves": [{"waveNumber": 1, "protectionGroupId": group_id}],
        "notificationEmail": email,
    }
    return recovery_plans.create_recovery_plan(
        caller(account), RecoveryPlanCreate.model_validate(body)
    ).planId


def change_email(account: str, plan_id: str, email: str) -> None:
    update = RecoveryPlanUpdate(planId=plan_id, notificationEmail=email)
    recovery_plans.update_recovery_plan(caller(account), update)


def delete_plan(account: str, plan_id: str) -> None:
    recovery_plans.delete_recovery_plan(caller(account), plan_id)


def email_subscriptions(aws: Any) -> list[dict[str, Any]]:
    sns = aws.client("sns")
    found: list[dict[str, Any]] = []
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=aws.topic_arn):
        found.extend(s for s in page["Subscriptions"] if s["Protocol"] == "email")
    return found


def product_policy(aws: Any, email: str) -> dict[str, Any]:
    """The filter policy of the product's one email subscription for ``email``."""
    [subscription] = [s for s in email_subscriptions(aws) if s["Endpoint"] == normalized(email)]
    attributes = aws.client("sns").get_subscription_attributes(
        SubscriptionArn=subscription["SubscriptionArn"]
    )
    policy: dict[str, Any] = json.loads(attributes["Attributes"]["FilterPolicy"])
    return policy


def tap(aws: Any, policy: dict[str, Any]) -> str:
    """An SQS queue subscribed to the execution topic with ``policy``; returns its URL."""
    sqs = aws.client("sqs")
    url = str(sqs.create_queue(QueueName=f"mailbox-{uuid.uuid4().hex[:12]}")["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.client("sns").subscribe(
        TopicArn=aws.topic_arn,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps(policy), "FilterPolicyScope": "MessageAttributes"},
    )
    return url


def announce(plan_id: str, account: str, n: int) -> str:
    """Publish one event of ``plan_id`` the way executions do; returns the name it carries (in its
    subject), which tells the events apart."""
    name = f"run-{plan_id[:8]}-{n}"
    event = sample_event(planId=plan_id, planName=name, executionId=name, accountId=account)
    assert publish_recovery_plan_notification(event)
    return name


def received(aws: Any, url: str) -> Counter[tuple[str, str]]:
    """(recoveryPlanId, name from :func:`announce`) of every message the tap got, with multiplicity."""
    sqs = aws.client("sqs")
    got: Counter[tuple[str, str]] = Counter()
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            envelope = json.loads(message["Body"])
            plan_id = envelope["MessageAttributes"]["recoveryPlanId"]["Value"]
            got[(plan_id, envelope["Subject"].rsplit(": ", 1)[-1])] += 1
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return got


def mailbox_plans(email: str) -> set[str]:
    from handlers.repositories.mailboxes import MailboxRepository

    mailbox = MailboxRepository().get(recipient_id(email))
    return set(mailbox.planIds) if mailbox else set()
