"""Shared notification addresses under random sequences of plan creates, address changes and
deletes (hypothesis): no address is ever stranded (used by a plan, yet unsubscribed), none is
subscribed twice or left subscribed without plans, and each mailbox gets exactly its plans' events."""

from __future__ import annotations

import uuid
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.aws.subscriptions import filter_policy, normalized, recipient_id
from tests.conftest import ACCOUNT_A, ACCOUNT_B
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

SLOTS = 5  # plans alive at once, at most
ADDRESSES = ["ops", "OPS", "dba", "app"]  # "ops" and "OPS": one mailbox, two spellings

operations = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, SLOTS - 1), st.sampled_from(ADDRESSES), st.booleans()),
        st.tuples(st.just("change"), st.integers(0, SLOTS - 1), st.sampled_from([*ADDRESSES, ""])),
        st.tuples(st.just("delete"), st.integers(0, SLOTS - 1)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_any_order_of_plan_changes_keeps_each_mailbox_exact(aws, steps):
    # Given mailboxes of their own for this example, and one group per account
    domain = f"{uuid.uuid4().hex[:8]}.example.com"
    groups = {ACCOUNT_A: make_group(ACCOUNT_A), ACCOUNT_B: make_group(ACCOUNT_B)}
    live: dict[int, tuple[str, str, str]] = {}  # slot -> (plan id, account, address or "")

    def address(name: str) -> str:
        return f"{name}@{domain}" if name else ""

    # When the operations run in order, checking the invariants after each one
    for step in steps:
        slot = step[1]
        if step[0] == "create" and slot not in live:
            account = ACCOUNT_A if step[3] else ACCOUNT_B
            email = address(str(step[2]))
            live[slot] = (create_plan(account, groups[account], email), account, email)
        elif step[0] == "change" and slot in live:
            plan_id, account, _ = live[slot]
            change_email(account, plan_id, address(str(step[2])))
            live[slot] = (plan_id, account, address(str(step[2])))
        elif step[0] == "delete" and slot in live:
            plan_id, account, _ = live.pop(slot)
            delete_plan(account, plan_id)
        _assert_subscriptions_match_plans(aws, domain, live.values())

    # Then each mailbox gets exactly the events of the plans using it, once each
    mailboxes = {normalized(address(n)) for n in ADDRESSES}
    taps = {m: tap(aws, filter_policy(recipient_id(m))) for m in mailboxes}
    for mailbox in mailboxes:
        if any(normalized(email) == mailbox for _, _, email in live.values()):
            assert product_policy(aws, mailbox) == filter_policy(recipient_id(mailbox))
    names = {plan_id: announce(plan_id, account, 1) for plan_id, account, _ in live.values()}
    for mailbox, url in taps.items():
        expected = Counter(
            {(p, names[p]): 1 for p, _, email in live.values() if email and normalized(email) == mailbox}
        )
        assert received(aws, url) == expected


def _assert_subscriptions_match_plans(aws, domain, live):
    subscribed = Counter(s["Endpoint"] for s in email_subscriptions(aws) if s["Endpoint"].endswith(domain))
    users: dict[str, set[str]] = {}
    for plan_id, _, email in live:
        if email:
            users.setdefault(normalized(email), set()).add(plan_id)
    assert subscribed == Counter(dict.fromkeys(users, 1))
    for mailbox, plan_ids in users.items():
        assert mailbox_plans(mailbox) == plan_ids
