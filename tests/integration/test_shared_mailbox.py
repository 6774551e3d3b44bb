"""One mailbox serving many plans, across accounts: one SNS subscription for the address, each
plan's events delivered to it once, through any create/change/delete order."""

from __future__ import annotations

import json
from collections import Counter

from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.support.events import call_api
from tests.support.mailboxes import (
    announce,
    change_email,
    create_plan,
    delete_plan,
    email_subscriptions,
    mailbox_plans,
    make_group,
    product_policy,
    received,
    tap,
)

SHARED = "dr-team@example.com"


def test_two_plans_sharing_an_address_share_one_subscription_and_both_get_mail(aws):
    # Given two plans, in two accounts, naming the same mailbox
    first = create_plan(ACCOUNT_A, make_group(ACCOUNT_A), SHARED)
    second = create_plan(ACCOUNT_B, make_group(ACCOUNT_B), SHARED)
    # Then SNS holds one subscription for the address, and both plans report it
    [subscription] = email_subscriptions(aws)
    plans = [
        call_api("GET", f"/recovery-plans/{p}", account=a)[1]
        for p, a in ((first, ACCOUNT_A), (second, ACCOUNT_B))
    ]
    assert {p["snsSubscriptionArn"] for p in plans} == {subscription["SubscriptionArn"]}
    assert {p["subscriptionStatus"] for p in plans} == {"confirmed"}
    # When each plan announces an event
    mailbox = tap(aws, product_policy(aws, SHARED))
    sent = [(first, announce(first, ACCOUNT_A, 1)), (second, announce(second, ACCOUNT_B, 1))]
    # Then the mailbox gets both, once each
    assert received(aws, mailbox) == Counter(sent)


def test_deleting_one_of_two_plans_keeps_the_others_mail(aws):
    # Given two plans sharing an address, and the mailbox tapped
    first = create_plan(ACCOUNT_A, make_group(ACCOUNT_A), SHARED)
    second = create_plan(ACCOUNT_A, make_group(ACCOUNT_A), SHARED)
    mailbox = tap(aws, product_policy(aws, SHARED))
    # When the second plan is deleted
    status, result = call_api("DELETE", f"/recovery-plans/{second}")
    # Then the address stays subscribed and still gets the first plan's events
    assert status == 200 and result["subscriptionStatus"] == "none"
    assert len(email_subscriptions(aws)) == 1 and mailbox_plans(SHARED) == {first}
    name = announce(first, ACCOUNT_A, 1)
    assert received(aws, mailbox) == Counter({(first, name): 1})
    # And deleting the last plan unsubscribes the address
    delete_plan(ACCOUNT_A, first)
    assert email_subscriptions(aws) == [] and mailbox_plans(SHARED) == set()


def test_moving_a_plan_to_another_address_leaves_the_shared_one_to_the_other_plan(aws):
    # Given two plans sharing an address
    group = make_group(ACCOUNT_A)
    first = create_plan(ACCOUNT_A, group, SHARED)
    second = create_plan(ACCOUNT_A, make_group(ACCOUNT_A), SHARED)
    # When the first moves to its own address
    change_email(ACCOUNT_A, first, "own@example.com")
    # Then each address gets exactly its plans' events
    shared, own = tap(aws, product_policy(aws, SHARED)), tap(aws, product_policy(aws, "own@example.com"))
    names = {p: announce(p, ACCOUNT_A, 1) for p in (first, second)}
    assert received(aws, shared) == Counter({(second, names[second]): 1})
    assert received(aws, own) == Counter({(first, names[first]): 1})
    assert sorted(s["Endpoint"] for s in email_subscriptions(aws)) == [
        "dr-team@example.com",
        "own@example.com",
    ]


def test_the_same_address_in_other_letter_case_is_the_same_mailbox(aws):
    # Given a plan using the address in capitals and another in lower case
    first = create_plan(ACCOUNT_A, make_group(ACCOUNT_A), "DR-Team@Example.com")
    second = create_plan(ACCOUNT_A, make_group(ACCOUNT_A), SHARED)
    # When the first changes only the letter case, and the second is deleted
    change_email(ACCOUNT_A, first, "dr-team@EXAMPLE.com")
    delete_plan(ACCOUNT_A, second)
    # Then the address is still subscribed once, for the first plan
    [subscription] = email_subscriptions(aws)
    assert subscription["Endpoint"] == SHARED and mailbox_plans(SHARED) == {first}


def test_one_address_on_200_plans_in_two_accounts_gets_each_plans_events_once(aws):
    # Given 200 plans, half in each account, all naming one address (more than a filter policy's 150
    # values), and another plan with its own address
    groups = {ACCOUNT_A: make_group(ACCOUNT_A), ACCOUNT_B: make_group(ACCOUNT_B)}
    plans = [(create_plan(a, groups[a], SHARED), a) for a in [ACCOUNT_A, ACCOUNT_B] * 100]
    other = create_plan(ACCOUNT_A, groups[ACCOUNT_A], "other@example.com")
    assert len(email_subscriptions(aws)) == 2 and len(mailbox_plans(SHARED)) == 200
    mailbox, other_mailbox = (
        tap(aws, product_policy(aws, SHARED)),
        tap(aws, product_policy(aws, "other@example.com")),
    )
    # When every plan announces an event, and every tenth plan a second one
    sent = Counter((plan, announce(plan, account, 1)) for plan, account in plans)
    sent.update((plan, announce(plan, account, 2)) for plan, account in plans[::10])
    other_sent = Counter({(other, announce(other, ACCOUNT_A, 1)): 1})
    # Then the shared mailbox gets each of its plans' events exactly once, and nothing else
    assert received(aws, mailbox) == sent
    assert received(aws, other_mailbox) == other_sent


def test_racing_plans_never_strand_or_duplicate_the_address(aws):
    # Given an address used by plan p0
    from concurrent.futures import ThreadPoolExecutor

    from handlers.plans import mailboxes

    mailboxes.attach(SHARED, "p0")
    using = {"p0"}
    for round_ in range(1, 9):
        # When, at once, the plans using it stop and as many new plans start using it
        starting = {f"p{round_}-{n}" for n in range(2)}
        jobs = [(mailboxes.detach, p) for p in using] + [(mailboxes.attach, p) for p in starting]
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            list(pool.map(lambda job: job[0](SHARED, job[1]), jobs))
        using = starting
        # Then the address is subscribed exactly once, for exactly the new plans, and the stored
        # subscription is the one SNS has
        [subscription] = email_subscriptions(aws)
        assert mailbox_plans(SHARED) == using
        assert mailboxes.current(SHARED).arn == subscription["SubscriptionArn"]


def test_a_plan_arriving_while_the_address_is_unsubscribed_gets_it_subscribed_again(aws, monkeypatch):
    # Given an address used by one plan, and a second plan that starts using it exactly while the
    # first plan's removal is unsubscribing it (after the ARN is cleared, before SNS removes it)
    from handlers.aws import subscriptions
    from handlers.plans import mailboxes

    mailboxes.attach(SHARED, "first")
    unsubscribe = subscriptions.unsubscribe

    def unsubscribe_while_another_plan_arrives(arn):
        monkeypatch.setattr(subscriptions, "unsubscribe", unsubscribe)
        arrived = mailboxes.attach(SHARED, "second")  # picks up the ARN about to be removed
        assert arrived.arn == arn
        return unsubscribe(arn)

    monkeypatch.setattr(subscriptions, "unsubscribe", unsubscribe_while_another_plan_arrives)
    # When the first plan stops using the address
    mailboxes.detach(SHARED, "first")
    # Then the address is subscribed again for the second plan, and the stored ARN is SNS's
    [subscription] = email_subscriptions(aws)
    assert mailbox_plans(SHARED) == {"second"}
    assert mailboxes.current(SHARED).arn == subscription["SubscriptionArn"]


def test_an_address_subscribed_per_plan_by_an_earlier_version_is_adopted(aws):
    # Given the address subscribed the old way, filtered on one plan's id (SNS then refuses a
    # subscription of the address with other attributes)
    legacy = aws.client("sns").subscribe(
        TopicArn=aws.topic_arn,
        Protocol="email",
        Endpoint=SHARED,
        Attributes={"FilterPolicy": json.dumps({"recoveryPlanId": ["old-plan"]})},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    # When a plan starts using the address
    plan = create_plan(ACCOUNT_A, make_group(ACCOUNT_A), SHARED)
    # Then the existing subscription is kept, now filtered on the address, and the plan reports it
    [subscription] = email_subscriptions(aws)
    assert subscription["SubscriptionArn"] == legacy
    stored = call_api("GET", f"/recovery-plans/{plan}")[1]
    assert (stored["snsSubscriptionArn"], stored["subscriptionStatus"]) == (legacy, "confirmed")
    mailbox = tap(aws, product_policy(aws, SHARED))
    name = announce(plan, ACCOUNT_A, 1)
    assert received(aws, mailbox) == Counter({(plan, name): 1})


def test_a_table_failure_leaves_the_plan_written_and_its_next_update_subscribes(aws, monkeypatch):
    # Given the notification-subscriptions table failing once
    from handlers.core.errors import DomainError
    from handlers.repositories.mailboxes import MailboxRepository

    add_plan = MailboxRepository.add_plan

    def failing_once(self, *args):
        monkeypatch.setattr(MailboxRepository, "add_plan", add_plan)
        raise DomainError("the data store failed; try again")

    monkeypatch.setattr(MailboxRepository, "add_plan", failing_once)
    group = make_group(ACCOUNT_A)
    # When a plan naming an address is created
    status, plan = call_api(
        "POST",
        "/recovery-plans",
        {
            "planName": "P",
            "waves": [{"waveNumber": 1, "protectionGroupId": group}],
            "notificationEmail": SHARED,
        },
    )
    # Then the plan is written, saying its subscription failed and why
    assert status == 201 and plan["subscriptionStatus"] == "failed" and plan["subscriptionStatusReason"]
    assert email_subscriptions(aws) == []
    # And its next update, of any field, subscribes the address
    _, updated = call_api("PUT", f"/recovery-plans/{plan['planId']}", {"description": "again"})
    assert updated["subscriptionStatus"] == "confirmed" and mailbox_plans(SHARED) == {plan["planId"]}
