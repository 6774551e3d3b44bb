"""Email as SNS would deliver it: the sandbox's outbox."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import RunningSandbox, http

pytestmark = pytest.mark.e2e


def test_plan_with_email_subscriber_shows_the_confirmation_email(sandbox: RunningSandbox) -> None:
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    first_account = sandbox.info["accounts"][0]
    servers = sandbox.info["sourceServers"][first_account][15:16]
    group = sandbox.api("POST", "/protection-groups", {"groupName": "e2e mail", "sourceServerIds": servers})
    assert group.status == 201, group.body
    plan = sandbox.api(
        "POST",
        "/recovery-plans",
        {
            "planName": "e2e mail plan",
            "notificationEmail": email,
            "waves": [{"waveNumber": 1, "protectionGroupId": group.json()["groupId"]}],
        },
    )
    assert plan.status == 201, plan.body

    outbox = http("GET", sandbox.info["outboxUrl"] + ".json").json()

    mails = [m for m in outbox if m["to"] == email]
    assert len(mails) == 1
    assert "Subscription Confirmation" in mails[0]["subject"]
    assert {"to", "subject", "body", "sentAt"} <= set(mails[0])
    assert plan.json()["subscriptionStatus"] == "confirmed"


def test_outbox_page_escapes_and_links(sandbox: RunningSandbox) -> None:
    page = http("GET", sandbox.info["outboxUrl"])

    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert b'<a href="http' in page.body


def test_slack_events_refuses_an_unsigned_request(sandbox: RunningSandbox) -> None:
    response = http(
        "POST",
        sandbox.info["slackEventsUrl"],
        b"command=%2Fdr&text=plans",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )

    if sandbox.info["functions"]["bot"]:
        assert response.status == 401  # Bolt: no valid X-Slack-Signature
    else:
        assert response.status == 503
        assert response.json()["error"] == "BOT_NOT_DEPLOYED"


def test_two_plans_sharing_an_address_share_its_one_subscription(sandbox: RunningSandbox) -> None:
    # Given two plans, in the sandbox's two accounts, naming one address
    email = f"e2e-shared-{uuid.uuid4().hex[:8]}@example.com"
    plans = []
    for account in sandbox.info["accounts"][:2]:
        servers = sandbox.info["sourceServers"][account][
            21:22
        ]  # not in a seeded group (sandbox/runtime/seed.py), never failing
        body = {"groupName": f"shared {uuid.uuid4().hex[:6]}", "sourceServerIds": servers}
        group = sandbox.api("POST", "/protection-groups", body, account=account)
        assert group.status == 201, group.body
        waves = [{"waveNumber": 1, "protectionGroupId": group.json()["groupId"]}]
        plan = sandbox.api(
            "POST",
            "/recovery-plans",
            {"planName": "shared", "notificationEmail": email, "waves": waves},
            account=account,
        )
        assert plan.status == 201, plan.body
        plans.append((plan.json(), account))
    # Then the address was asked to confirm once, and both plans report the same subscription
    outbox = http("GET", sandbox.info["outboxUrl"] + ".json").json()
    assert len([m for m in outbox if m["to"] == email]) == 1
    assert len({p["snsSubscriptionArn"] for p, _ in plans}) == 1
    # When the second plan is deleted, Then the first keeps the subscription
    (first, first_account), (second, second_account) = plans
    assert sandbox.api("DELETE", f"/recovery-plans/{second['planId']}", account=second_account).status == 200
    kept = sandbox.api("GET", f"/recovery-plans/{first['planId']}", account=first_account).json()
    assert (kept["subscriptionStatus"], kept["snsSubscriptionArn"]) == (
        "confirmed",
        first["snsSubscriptionArn"],
    )
