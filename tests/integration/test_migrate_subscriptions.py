"""Upgrading: plans subscribed one per plan by earlier versions move to one subscription per
address (scripts/migrate_subscriptions.py)."""

from __future__ import annotations

import json
import uuid
from collections import Counter

from handlers.models.recovery_plan import RecoveryPlan, Wave
from handlers.repositories.recovery_plans import RecoveryPlanRepository
from scripts.migrate_subscriptions import migrate_subscriptions
from tests.conftest import ACCOUNT_A
from tests.support.mailboxes import (
    announce,
    delete_plan,
    email_subscriptions,
    mailbox_plans,
    make_group,
    product_policy,
    received,
    tap,
)


def _legacy_subscription(aws, email, plan_id):
    return aws.client("sns").subscribe(
        TopicArn=aws.topic_arn,
        Protocol="email",
        Endpoint=email,
        Attributes={"FilterPolicy": json.dumps({"recoveryPlanId": [plan_id]})},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]


def _legacy_plan(group_id, email, arn, status):
    plan = RecoveryPlan(
        planId=str(uuid.uuid4()),
        planName=f"Legacy {uuid.uuid4().hex[:6]}",
        accountId=ACCOUNT_A,
        notificationEmail=email,
        snsSubscriptionArn=arn,
        subscriptionStatus=status,
        waves=[Wave(waveNumber=1, protectionGroupId=group_id, protectionGroupName="G")],
        createdAt="t",
        updatedAt="t",
        createdBy="old version",
    )
    RecoveryPlanRepository().insert(plan)
    return plan.planId


def test_plans_sharing_an_address_the_old_way_all_get_mail_after_the_migration(aws):
    # Given two plans on one address, subscribed the old way: SNS kept the first plan's policy and
    # refused the second's; and a plan whose old subscription spelled its address in capitals
    group = make_group(ACCOUNT_A)
    first = _legacy_plan(group, "ops@example.com", "", "none")
    legacy = _legacy_subscription(aws, "ops@example.com", first)
    RecoveryPlanRepository().set_subscription(first, legacy, "confirmed", "")
    second = _legacy_plan(group, "ops@example.com", "", "failed")
    mixed_arn = _legacy_subscription(aws, "Mixed@Example.com", "x")
    mixed = _legacy_plan(group, "Mixed@Example.com", mixed_arn, "confirmed")
    # When the migration runs
    assert migrate_subscriptions(["--apply"]) == 0
    # Then each address has one subscription (the shared one kept, the capitalised one replaced)
    endpoints = sorted(s["Endpoint"] for s in email_subscriptions(aws))
    assert endpoints == ["mixed@example.com", "ops@example.com"]
    assert mailbox_plans("ops@example.com") == {first, second} and mailbox_plans("mixed@example.com") == {
        mixed
    }
    # And both plans' events reach the shared mailbox once each, also after the first plan is deleted
    mailbox = tap(aws, product_policy(aws, "ops@example.com"))
    sent = Counter({(p, announce(p, ACCOUNT_A, 1)): 1 for p in (first, second)})
    assert received(aws, mailbox) == sent
    delete_plan(ACCOUNT_A, first)
    name = announce(second, ACCOUNT_A, 2)
    assert received(aws, mailbox) == Counter({(second, name): 1})


def test_the_migration_is_a_dry_run_unless_applied(aws):
    # Given a plan subscribed the old way
    legacy = _legacy_subscription(aws, "ops@example.com", "p")
    _legacy_plan(make_group(ACCOUNT_A), "ops@example.com", legacy, "confirmed")
    # When the migration runs without --apply, Then nothing changes
    assert migrate_subscriptions([]) == 0
    assert mailbox_plans("ops@example.com") == set()
    attributes = aws.client("sns").get_subscription_attributes(SubscriptionArn=legacy)["Attributes"]
    assert json.loads(attributes["FilterPolicy"]) == {"recoveryPlanId": ["p"]}
