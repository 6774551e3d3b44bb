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
