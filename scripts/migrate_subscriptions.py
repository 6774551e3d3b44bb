"""Move plans' email subscriptions to one subscription per address (run once after upgrading).

Earlier versions subscribed each plan's address with the filter policy ``{"recoveryPlanId": [id]}``;
SNS keeps one subscription per address, so plans sharing an address lost mail. Now the subscription
belongs to the address (``handlers/aws/subscriptions.py``), and the notification-subscriptions table
knows which plans use it. For every plan with a notification email this registers the plan with
its address (subscribing it, or adopting the existing subscription with the address's filter
policy), records the outcome on the plan, and removes an older subscription the plan held for the
same address under another spelling. Idempotent; dry run unless ``--apply``. Reads
``RECOVERY_PLANS_TABLE``, ``NOTIFICATION_SUBSCRIPTIONS_TABLE`` and
``EXECUTION_NOTIFICATIONS_TOPIC_ARN`` like the functions do.
"""

from __future__ import annotations

import argparse

import pydantic
from botocore.exceptions import BotoCoreError, ClientError

from handlers import aws
from handlers.aws import subscriptions
from handlers.models.recovery_plan import RecoveryPlan
from handlers.plans import mailboxes
from handlers.repositories.recovery_plans import RecoveryPlanRepository
from scripts.backfill import label_of


def migrate_subscriptions(argv: list[str] | None = None) -> int:
    """Exit code 1 when a plan could not be migrated."""
    parser = argparse.ArgumentParser(description="One email subscription per address, for every plan")
    parser.add_argument("--apply", action="store_true", help="write the changes (default: dry run)")
    apply = parser.parse_args(argv).apply
    repository = RecoveryPlanRepository()
    problems = 0
    for item in repository.scan():
        label = label_of(item, "planId", "planName")
        try:
            plan = RecoveryPlan.model_validate(item)
        except pydantic.ValidationError:
            print(f"✗ {label}: not a current plan; run backfill-recovery-plans.py --apply first")
            problems += 1
            continue
        if not plan.notificationEmail:
            continue
        outcome = migrate_plan(repository, plan) if apply else None
        if outcome and outcome.status == "failed":
            print(f"✗ {label}: {outcome.reason}")
            problems += 1
            continue
        print(f"{'→' if apply else '(dry run)'} {label}: uses the subscription of {_address(plan)}")
    return 1 if problems else 0


def migrate_plan(repository: RecoveryPlanRepository, plan: RecoveryPlan) -> subscriptions.SubscriptionOutcome:
    outcome = mailboxes.attach(plan.notificationEmail, plan.planId)
    old = plan.snsSubscriptionArn
    if old and old != outcome.arn and outcome.status != "failed" and _endpoint(old) == _address(plan):
        subscriptions.unsubscribe(old)
    repository.set_subscription(plan.planId, outcome.arn, outcome.status, outcome.reason)
    return outcome


def _address(plan: RecoveryPlan) -> str:
    return subscriptions.normalized(plan.notificationEmail)


def _endpoint(arn: str) -> str:
    """The normalized address of a subscription, or "" if SNS no longer has it."""
    try:
        attributes = aws.client("sns").get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    except (ClientError, BotoCoreError):
        return ""
    return subscriptions.normalized(str(attributes.get("Endpoint", "")))
