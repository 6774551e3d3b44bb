"""Execution events published to the execution-notifications topic.

One SNS message per event with ``MessageStructure: json``: ``email`` (plain text from
``templates/email/<event>.txt.j2``), ``lambda`` (the JSON details, for the Slack notifier) and
``default``. Message attributes ``recoveryPlanId``/``eventType``/``accountId`` drive the per-plan
subscription filter. Publishing never raises: a failure is logged and counted, the execution goes on.
"""

from __future__ import annotations

import json
from typing import Any, Literal
from urllib.parse import urlencode

from botocore.exceptions import BotoCoreError, ClientError

from handlers import aws
from handlers.observability import count, logger
from handlers.rendering import email_subject, render_text
from handlers.settings import ConfigurationError, get_settings

EventType = Literal[
    "start", "pause", "resume", "cancel", "wave_complete", "wave_fail", "complete", "fail", "timeout"
]

_SUBJECTS: dict[str, str] = {
    "start": "[DRS] {mode} started: {planName}",
    "pause": "[DRS] Approval needed: {planName} paused before wave {waveNumber}",
    "resume": "[DRS] Resumed: {planName} wave {waveNumber}",
    "cancel": "[DRS] Cancelled: {planName}",
    "wave_complete": "[DRS] Wave {waveNumber} completed: {planName}",
    "wave_fail": "[DRS] Wave {waveNumber} FAILED: {planName}",
    "complete": "[DRS] {mode} completed: {planName}",
    "fail": "[DRS] {mode} FAILED: {planName}",
    "timeout": "[DRS] Timed out waiting for approval: {planName}",
}


def callback_url(action: str, approval_id: str) -> str:
    base = (get_settings().api_gateway_url or "").rstrip("/")
    return f"{base}/execution-callback?{urlencode({'action': action, 'approval': approval_id})}"


def subject_for(event_type: EventType, details: dict[str, Any]) -> str:
    mode = "Drill" if details.get("isDrill", True) else "RECOVERY"
    fields = {
        "mode": mode,
        "planName": details.get("planName", ""),
        "waveNumber": details.get("waveNumber", ""),
    }
    return email_subject(_SUBJECTS[event_type].format(**fields))


def build_message(event_type: EventType, details: dict[str, Any]) -> dict[str, str]:
    body = render_text(f"email/{event_type}.txt.j2", details=details)
    return {
        "default": body,
        "email": body,
        "lambda": json.dumps({"eventType": event_type, **details}, default=str),
    }


def publish_recovery_plan_notification(plan_id: str, event_type: EventType, details: dict[str, Any]) -> bool:
    """Publish one event; True if SNS accepted it. Never raises."""
    settings = get_settings()
    if not settings.enable_notification_publishing:
        return False
    from jinja2 import TemplateError  # jinja2 loads on first use, not at cold start

    try:
        message = build_message(event_type, details)
        aws.client("sns").publish(
            TopicArn=settings.require("execution_notifications_topic_arn"),
            Subject=subject_for(event_type, details),
            Message=json.dumps(message),
            MessageStructure="json",
            MessageAttributes={
                "recoveryPlanId": {"DataType": "String", "StringValue": plan_id},
                "eventType": {"DataType": "String", "StringValue": event_type},
                "accountId": {"DataType": "String", "StringValue": str(details.get("accountId", ""))},
            },
        )
    except (ClientError, BotoCoreError, ConfigurationError, TemplateError) as exc:
        count("NotificationDeliveryFailure")
        logger.error(
            "notification failed",
            extra={"planId": plan_id, "eventType": event_type, "error": type(exc).__name__},
        )
        return False
    count("NotificationDeliverySuccess")
    logger.info("notification published", extra={"planId": plan_id, "eventType": event_type})
    return True
