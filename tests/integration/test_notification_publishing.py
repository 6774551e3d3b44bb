"""A lost announcement loses nothing: publishing retries throttling, 5xx and network errors with
backoff; an event that still cannot be published is counted (the metric the notification-failures
alarm watches) and never raises into the execution."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from handlers import aws as aws_clients
from handlers.events import notifications
from tests.conftest import ACCOUNT_A
from tests.support.data import group_body, plan_body
from tests.support.events import call_api
from tests.support.mailboxes import announce, create_plan, make_group, product_policy, received, tap
from tests.support.orchestration import wait_until
from tests.support.sns import pause_event

THROTTLED = ClientError(
    {
        "Error": {"Code": "Throttling", "Message": "Rate exceeded"},
        "ResponseMetadata": {"HTTPStatusCode": 400},
    },
    "Publish",
)
UNAVAILABLE = ClientError(
    {"Error": {"Code": "InternalError", "Message": "oops"}, "ResponseMetadata": {"HTTPStatusCode": 500}},
    "Publish",
)
FORBIDDEN = ClientError(
    {"Error": {"Code": "AuthorizationError", "Message": "no"}, "ResponseMetadata": {"HTTPStatusCode": 403}},
    "Publish",
)


@dataclass
class FlakySns:
    """SNS ``Publish`` that fails with ``errors`` (one per call, the last one for ever if
    ``always``) before reaching moto; counts attempts, backoff pauses and metrics."""

    errors: list[Exception] = field(default_factory=list)
    always: bool = False
    attempts: int = 0
    pauses: list[float] = field(default_factory=list)
    metrics: Counter[str] = field(default_factory=Counter)


@pytest.fixture
def flaky(aws, monkeypatch):
    state = FlakySns()
    client = aws_clients.client("sns")
    real_publish = client.publish

    def publish(**kwargs: Any) -> Any:
        state.attempts += 1
        if state.errors:
            raise state.errors[-1] if state.always else state.errors.pop(0)
        return real_publish(**kwargs)

    real_count = notifications.count

    def count(metric: str, value: int = 1) -> None:
        state.metrics[metric] += value
        real_count(metric, value)

    monkeypatch.setattr(client, "publish", publish)
    monkeypatch.setattr(notifications, "_pause", state.pauses.append)
    monkeypatch.setattr(notifications, "count", count)
    return state


def test_throttled_then_accepted_is_delivered_once(aws, flaky):
    # Given a plan's mailbox, and SNS throttling twice and failing once with a 5xx
    plan = create_plan(ACCOUNT_A, make_group(ACCOUNT_A), "dr@example.com")
    mailbox = tap(aws, product_policy(aws, "dr@example.com"))
    flaky.errors = [THROTTLED, THROTTLED, UNAVAILABLE]
    # When the plan announces an event
    name = announce(plan, ACCOUNT_A, 1)
    # Then it arrives once, after backing off longer each time, and no failure is counted
    assert received(aws, mailbox) == Counter({(plan, name): 1})
    assert flaky.attempts == 4 and len(flaky.pauses) == 3
    assert flaky.pauses[0] < flaky.pauses[2]
    assert (
        flaky.metrics["NotificationPublishRetry"] == 3 and flaky.metrics["NotificationDeliveryFailure"] == 0
    )


def test_network_errors_are_retried(aws, flaky):
    # Given SNS unreachable once
    plan = create_plan(ACCOUNT_A, make_group(ACCOUNT_A), "dr@example.com")
    flaky.errors = [EndpointConnectionError(endpoint_url="https://sns.us-east-1.amazonaws.com")]
    # When the plan announces an event, Then it is published on the second attempt
    announce(plan, ACCOUNT_A, 1)
    assert flaky.attempts == 2 and flaky.metrics["NotificationDeliverySuccess"] == 1


def test_a_publish_that_keeps_failing_is_counted_and_never_raises(aws, flaky):
    # Given SNS failing with 5xx on every attempt
    flaky.errors, flaky.always = [UNAVAILABLE], True
    # When an event is published
    published = notifications.publish_recovery_plan_notification(pause_event(ACCOUNT_A))
    # Then the caller gets False after every attempt, and the failure is counted for the alarm
    assert published is False
    assert flaky.attempts == notifications.PUBLISH_ATTEMPTS
    assert flaky.metrics["NotificationDeliveryFailure"] == 1


def test_a_refused_publish_is_not_retried(aws, flaky):
    # Given SNS refusing the publish (not a transient error)
    flaky.errors, flaky.always = [FORBIDDEN], True
    # When an event is published, Then it is tried once and counted as failed
    assert notifications.publish_recovery_plan_notification(pause_event(ACCOUNT_A)) is False
    assert flaky.attempts == 1 and flaky.metrics["NotificationDeliveryFailure"] == 1


def test_an_execution_whose_announcements_all_fail_still_pauses_for_a_decision(orchestration, monkeypatch):
    # Given a plan with a pause, and SNS failing every publish
    groups = [call_api("POST", "/protection-groups", group_body(f"Tier {i}"))[1]["groupId"] for i in range(2)]
    _, plan = call_api("POST", "/recovery-plans", plan_body(groups, notificationEmail="dr@example.com"))
    failures: Counter[str] = Counter()
    monkeypatch.setattr(notifications, "_pause", lambda seconds: None)
    monkeypatch.setattr(notifications, "count", lambda metric, value=1: failures.update({metric: value}))
    monkeypatch.setattr(aws_clients.client("sns"), "publish", _raise(UNAVAILABLE))
    # When it runs
    _, execution = call_api("POST", "/executions", {"planId": plan["planId"]})
    path = f"/executions/{execution['executionId']}"
    paused = wait_until(lambda: (e := call_api("GET", path)[1])["status"] == "PAUSED" and e, 30)
    # Then the pause is recorded all the same (an open pause with its approval, decidable elsewhere),
    # and every lost announcement was counted
    assert paused and paused["pendingApproval"]["waveNumber"] == 2
    assert wait_until(lambda: failures["NotificationDeliveryFailure"] >= 3, 10)  # start, wave 1, pause
    assert failures["NotificationDeliverySuccess"] == 0
    orchestration.drain()
    assert call_api("GET", path)[1]["status"] == "CANCELLED"


def _raise(error: Exception) -> Any:
    def publish(**kwargs: Any) -> Any:
        raise error

    return publish
