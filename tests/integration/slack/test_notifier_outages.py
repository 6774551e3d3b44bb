"""The notifier under Slack outages, played by the strict fake's faults: a rate limit is waited out
(``Retry-After``) and the message posted once; an unreachable or failing Slack is retried, then
alerted on (operational-alerts topic, ``SlackDeliveryFailure``), and nothing raises."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.integration.slack.conftest import Bot
from tests.support.data import group_body, plan_body
from tests.support.events import call_api
from tests.support.slack_requests import CHANNEL, BotContext
from tests.support.sns import sns_event


@pytest.fixture
def alerts(aws: Any) -> Any:
    sqs = aws.client("sqs")
    queue = sqs.create_queue(QueueName="alerts-outage-tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.client("sns").subscribe(TopicArn=aws.alerts_topic_arn, Protocol="sqs", Endpoint=arn)

    def received() -> list[str]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"])["Message"] for m in messages]

    return received


@pytest.fixture
def start_event(orchestration: Any, bot: Bot) -> str:
    """The start event of a drill of a plan bound to the bot's channel (not yet delivered)."""
    group = call_api("POST", "/protection-groups", group_body("Tier 1"))[1]["groupId"]
    status, plan = call_api("POST", "/recovery-plans", plan_body([group], slackChannelId=CHANNEL))
    assert status == 201, plan
    bot.command(f"run {plan['planId']}")
    orchestration.wait_for_event("start")
    return next(m for m in bot.published if json.loads(m)["eventType"] == "start")


def notify(message: str) -> dict[str, int]:
    from bot.notifier import lambda_handler

    result: dict[str, int] = lambda_handler(sns_event(message), BotContext())
    return result


def parents(bot: Bot) -> list[dict[str, Any]]:
    return [m for m in bot.fake.messages.values() if not m.get("thread_ts")]


def test_a_rate_limited_post_is_posted_once_after_retry_after(bot: Bot, start_event: str) -> None:
    # Given Slack rate limits the next call (HTTP 429, Retry-After: 1)
    bot.fake.fault("ratelimited")
    began = time.monotonic()
    # When the notifier posts the execution's parent message
    assert notify(start_event) == {"notified": 1}
    # Then it waited Retry-After, tried again, and the message exists exactly once
    assert time.monotonic() - began >= 1
    assert bot.fake.methods().count("chat.postMessage") == 2
    assert len(parents(bot)) == 1


def test_an_unreachable_slack_is_alerted_and_nothing_raises(bot: Bot, start_event: str, alerts: Any) -> None:
    # Given Slack drops every connection
    bot.fake.fault("down", times=10)
    # When the notifier posts
    result = notify(start_event)
    # Then it retried, gave up without raising, and told operators
    assert result == {"notified": 1}
    assert bot.fake.methods().count("chat.postMessage") == 3  # the first try and two retries
    assert parents(bot) == []
    assert any("RemoteDisconnected" in m for m in alerts())


def test_a_slack_server_error_is_alerted_after_retries(
    bot: Bot, start_event: str, alerts: Any, capsys: Any
) -> None:
    # Given Slack answers HTTP 500 to everything
    bot.fake.fault("error", times=10)
    # When the notifier posts
    notify(start_event)
    # Then it retried twice, and the failure went the way of every other: alert and metric
    assert bot.fake.methods().count("chat.postMessage") == 3
    assert any("fatal_error" in m for m in alerts())
    assert '"SlackDeliveryFailure"' in capsys.readouterr().out
