"""Execution events published to the execution-notifications topic.

One SNS message per :class:`~handlers.models.events.ExecutionEvent` with ``MessageStructure: json``:
``email`` (plain text from ``templates/email/<eventType>.txt.j2``), ``lambda`` (the event as JSON,
which the Slack notifier parses back into the same model) and ``default``; the subject is the
event's. Message attributes: ``recoveryPlanId``/``eventType``/``accountId`` for consumers that
filter on them, and ``recipients`` (String.Array of recipient ids), which the per-address email
subscriptions filter on (``handlers/aws/subscriptions.py``). Publishing never raises: throttling, 5xx and
network errors are retried; a failure is logged and counted, and the execution goes on.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any
from urllib.parse import urlencode

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from handlers import aws
from handlers.aws.subscriptions import RECIPIENTS, recipient_id
from handlers.core.errors import DomainError
from handlers.core.observability import count, logger
from handlers.core.rendering import render_text
from handlers.core.settings import ConfigurationError, get_settings
from handlers.models.approval import OFFERS
from handlers.models.events import SLACK_ONLY_EVENTS, ExecutionEvent
from handlers.repositories.recovery_plans import RecoveryPlanRepository

PUBLISH_ATTEMPTS = 4  # the first try and three retries, 0.2 s, 0.4 s and 0.8 s apart (with jitter)
BACKOFF_SECONDS = 0.2
_THROTTLING = frozenset(
    {"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded", "KMSThrottling"}
)


def callback_url(action: str, approval_id: str) -> str:
    base = (get_settings().api_gateway_url or "").rstrip("/")
    return f"{base}/execution-callback?{urlencode({'action': action, 'approval': approval_id})}"


def callback_urls(kind: str, approval_id: str) -> dict[str, str]:
    """A pause's email links, one per action its kind offers (``resumeUrl``, ``cancelUrl``,
    ``retryUrl``, ``skipUrl``: handlers/models/approval.py ``OFFERS``), as its events carry them."""
    return {f"{action}Url": callback_url(action, approval_id) for action in OFFERS[kind]}


def build_message(event: ExecutionEvent) -> dict[str, str]:
    """The ``MessageStructure: json`` message: the email body, and the event as JSON for Lambda."""
    body = render_text(f"email/{event.eventType}.txt.j2", event=event)
    return {"default": body, "email": body, "lambda": event.model_dump_json()}


def publish_recovery_plan_notification(event: ExecutionEvent, *, recipients: list[str] | None = None) -> bool:
    """Publish one event; True if SNS accepted it. Never raises: throttling, 5xx and network errors
    are retried (``PUBLISH_ATTEMPTS``), and an event that still could not be published is logged
    and counted (``NotificationDeliveryFailure``, alarmed in cfn/monitoring.yaml).

    ``recipients`` are recipient ids (``handlers.aws.subscriptions.recipient_id``); by default the
    plan's current notification address."""
    settings = get_settings()
    if not settings.enable_notification_publishing:
        return False
    from jinja2 import TemplateError  # jinja2 loads on first use, not at cold start

    try:
        request = _publish_request(event, recipients)
        _publish_with_retries(request)
    except (ClientError, BotoCoreError, ConfigurationError, TemplateError, DomainError) as exc:
        count("NotificationDeliveryFailure")
        logger.error(
            "notification failed",
            extra={"planId": event.planId, "eventType": event.eventType, "error": type(exc).__name__},
        )
        return False
    count("NotificationDeliverySuccess")
    logger.info("notification published", extra={"planId": event.planId, "eventType": event.eventType})
    return True


def message_attributes(
    plan_id: str, event_type: str, account_id: str, recipients: list[str]
) -> dict[str, dict[str, str]]:
    """``recoveryPlanId``/``eventType``/``accountId`` for consumers filtering on them; ``recipients``
    (String.Array) for the per-address email subscriptions."""
    attributes = {
        "recoveryPlanId": {"DataType": "String", "StringValue": plan_id},
        "eventType": {"DataType": "String", "StringValue": event_type},
        "accountId": {"DataType": "String", "StringValue": account_id},
    }
    if recipients:
        attributes[RECIPIENTS] = {"DataType": "String.Array", "StringValue": json.dumps(recipients)}
    return attributes


def plan_recipients(plan_id: str) -> list[str]:
    plan = RecoveryPlanRepository().get(plan_id)
    return [recipient_id(plan.notificationEmail)] if plan and plan.notificationEmail else []


def _publish_request(event: ExecutionEvent, recipients: list[str] | None) -> dict[str, Any]:
    if event.eventType in SLACK_ONLY_EVENTS:
        recipients = []  # no recipient: no email subscription's filter matches (Slack only)
    elif recipients is None:
        recipients = plan_recipients(event.planId)
    return {
        "TopicArn": get_settings().require("execution_notifications_topic_arn"),
        "Subject": event.subject,
        "Message": json.dumps(build_message(event)),
        "MessageStructure": "json",
        "MessageAttributes": message_attributes(event.planId, event.eventType, event.accountId, recipients),
    }


def _publish_with_retries(request: dict[str, Any]) -> None:
    for attempt in range(1, PUBLISH_ATTEMPTS + 1):
        try:
            aws.client("sns").publish(**request)
            return
        except (ClientError, BotoCoreError) as exc:
            if attempt == PUBLISH_ATTEMPTS or not _retryable(exc):
                raise
            count("NotificationPublishRetry")
            logger.warning("notification publish retried", extra={"attempt": attempt, "error": _code(exc)})
            _pause(BACKOFF_SECONDS * 2 ** (attempt - 1) * random.uniform(0.5, 1.0))


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return _code(exc) in _THROTTLING or status == 429 or status >= 500
    return isinstance(exc, (ConnectionError, HTTPClientError))


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return type(exc).__name__


def _pause(seconds: float) -> None:
    time.sleep(seconds)
