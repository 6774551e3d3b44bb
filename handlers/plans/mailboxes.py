"""Which plans use a notification address, and keeping its one SNS subscription in step.

A plan starting to use an address adds itself to the address's item and a plan stopping removes
itself (both idempotent set updates); then :func:`_reconcile` makes SNS match the item: subscribed
while any plan uses the address, unsubscribed when none does. Each decision is recorded with a
write conditional on the item's version, so concurrent plan writes re-read and decide again
instead of overwriting each other.

Only one thing could strand an address: a plan using it while its subscription is gone. The one
actor that removes subscriptions clears the ARN first, then unsubscribes, then re-reads: if a plan
started using the address meanwhile, possibly picking up the ARN just removed, it subscribes again.
A subscription without plans receives nothing (no message lists its recipient id), so a removal
that fails half-way costs no wrong email. A failure here never fails the plan write: the plan
records a ``failed`` subscription with the reason, and its next update tries again.
"""

from __future__ import annotations

from handlers.aws import subscriptions
from handlers.aws.subscriptions import NONE, SubscriptionOutcome
from handlers.core.errors import DomainError
from handlers.models.mailbox import Mailbox
from handlers.repositories.mailboxes import MailboxRepository

MAX_ROUNDS = 10  # each lost round means another writer made progress on the same address


def attach(email: str, plan_id: str) -> SubscriptionOutcome:
    """``plan_id`` now sends to ``email``: subscribe the address if it is the first plan."""
    recipient = subscriptions.recipient_id(email)
    try:
        MailboxRepository().add_plan(recipient, subscriptions.normalized(email), plan_id)
        return _reconcile(recipient)
    except DomainError as exc:
        return _failed(exc)


def detach(email: str, plan_id: str) -> SubscriptionOutcome:
    """``plan_id`` no longer sends to ``email``: unsubscribe the address if it was the last plan.
    What the plan is left with: no subscription, or the failure to remove the address's."""
    recipient = subscriptions.recipient_id(email)
    try:
        if not MailboxRepository().remove_plan(recipient, plan_id):
            return NONE
        outcome = _reconcile(recipient)
    except DomainError as exc:
        return _failed(exc)
    unsubscribe_failed = outcome.status == "failed" and bool(outcome.arn)
    return outcome if unsubscribe_failed else NONE


def current(email: str) -> SubscriptionOutcome:
    """The address's subscription as it stands, asking SNS while confirmation is pending."""
    repository = MailboxRepository()
    mailbox = repository.get(subscriptions.recipient_id(email))
    if mailbox is None:
        return NONE
    outcome = _outcome(mailbox)
    if mailbox.subscriptionArn and mailbox.subscriptionStatus == "pending_confirmation":
        status = subscriptions.status_of(mailbox.subscriptionArn)
        if status != mailbox.subscriptionStatus:
            repository.record(mailbox, mailbox.subscriptionArn, status, "")
            outcome = SubscriptionOutcome(arn=mailbox.subscriptionArn, status=status)
    return outcome


def _reconcile(recipient: str) -> SubscriptionOutcome:
    repository = MailboxRepository()
    removed: set[str] = set()  # ARNs this call unsubscribed: stale wherever they are still stored
    for _ in range(MAX_ROUNDS):
        mailbox = repository.get(recipient)
        if mailbox is None:
            return NONE
        arn = "" if mailbox.subscriptionArn in removed else mailbox.subscriptionArn
        if mailbox.planIds and arn:
            return _outcome(mailbox)
        if mailbox.planIds:
            outcome = subscriptions.subscribe(mailbox.endpoint)
            if repository.record(mailbox, outcome.arn, outcome.status, outcome.reason):
                return outcome
        elif not mailbox.subscriptionArn:
            repository.delete_unused(mailbox)
        elif repository.record(mailbox, "", "none", ""):
            outcome = subscriptions.unsubscribe(mailbox.subscriptionArn)
            if outcome.status == "failed":
                return outcome
            removed.add(mailbox.subscriptionArn)
    return SubscriptionOutcome(
        arn="", status="failed", reason="the address's subscription kept changing meanwhile; try again"
    )


def _failed(exc: DomainError) -> SubscriptionOutcome:
    """The table failed: the plan write stands, and the plan says its subscription failed."""
    return SubscriptionOutcome(arn="", status="failed", reason=exc.message)


def _outcome(mailbox: Mailbox) -> SubscriptionOutcome:
    return SubscriptionOutcome(
        arn=mailbox.subscriptionArn,
        status=mailbox.subscriptionStatus,
        reason=mailbox.subscriptionStatusReason,
    )
