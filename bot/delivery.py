"""Slack Web API calls of the notifier, which must never break an execution.

Retries (slack_sdk's retry handlers on the client): a rate limit (HTTP 429) is retried after the
``Retry-After`` Slack sends, up to 3 times; a network failure (connection refused or reset, DNS)
and an HTTP 500/503 are retried twice with exponential backoff (0.5 s, then 1 s, each plus up to
1 s of jitter). After the last try - or at once for a refusal such as ``channel_not_found`` - the failure is
counted (``SlackDeliveryFailure``), reported to the operational-alerts topic, and the event dropped:
nothing raises out of :func:`deliver` for a Slack outage."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

from bot.credentials import slack_credentials
from handlers import aws
from handlers.core.observability import count, logger
from handlers.core.settings import ConfigurationError, get_settings

CHANNEL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived"})
RATE_LIMIT_RETRIES = 3
OUTAGE_RETRIES = 2  # network failures and HTTP 500/503
BACKOFF_SECONDS = 0.5


@functools.cache
def web_client() -> WebClient:
    """The notifier's client (per container): base URL from ``SLACK_API_URL``, with retries."""
    backoff = BackoffRetryIntervalCalculator(backoff_factor=BACKOFF_SECONDS)  # + up to 1 s jitter
    return WebClient(
        token=slack_credentials().bot_token,
        base_url=get_settings().slack_api_url,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            ConnectionErrorRetryHandler(max_retry_count=OUTAGE_RETRIES, interval_calculator=backoff),
            ServerErrorRetryHandler(max_retry_count=OUTAGE_RETRIES, interval_calculator=backoff),
        ],
    )


def deliver(call: Callable[[], Any], *, channel: str, what: str) -> dict[str, Any] | None:
    """Run one Web API call; its response data, or None after reporting why it failed."""
    try:
        response = call()
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error"))
        hint = (
            " (invite the bot to the channel or fix the plan's slackChannelId)"
            if error in CHANNEL_ERRORS
            else ""
        )
        alert(f"Slack {what} in channel {channel} failed: {error}{hint}", channel=channel, error=error)
        return None
    except (SlackClientError, OSError) as exc:  # OSError: URLError, connection refused or reset
        alert(
            f"Slack {what} in channel {channel} failed: {type(exc).__name__}", channel=channel, error="client"
        )
        return None
    data: dict[str, Any] = dict(response.data) if hasattr(response, "data") else {}
    return data


def alert(message: str, **fields: str) -> None:
    """Tell operators on the operational-alerts topic; never raises."""
    count("SlackDeliveryFailure")
    logger.warning("slack delivery failed", extra=fields)
    try:
        aws.client("sns").publish(
            TopicArn=get_settings().require("operational_alerts_topic_arn"),
            Subject="[DRS] Slack notification failed",
            Message=json.dumps({"message": message, **fields}),
        )
    except (ClientError, BotoCoreError, ConfigurationError) as exc:
        logger.error("operational alert failed", extra={"error": type(exc).__name__})
