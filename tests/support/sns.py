"""SNS events as Lambda receives them (every field Powertools' ``SnsEnvelope`` checks), and sample
execution events for tests that need one without running an execution."""

from __future__ import annotations

import json
import uuid
from typing import Any

TOPIC_ARN = "arn:aws:sns:us-east-1:111111111111:drs-chatops-execution-notifications"


def sns_record(
    message: str, *, subject: str | None = None, attributes: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One record of an SNS -> Lambda event carrying ``message``; ``attributes`` are the publish's
    ``MessageAttributes`` (``{"DataType": ..., "StringValue": ...}``), shown the way SNS shows them."""
    shown = {k: {"Type": v["DataType"], "Value": v["StringValue"]} for k, v in (attributes or {}).items()}
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": f"{TOPIC_ARN}:{uuid.uuid4()}",
        "Sns": {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": TOPIC_ARN,
            "Subject": subject,
            "Message": message,
            "Timestamp": "2026-05-01T14:02:09.123Z",
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem",
            "UnsubscribeUrl": f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={TOPIC_ARN}",
            "MessageAttributes": shown,
        },
    }


def sns_event(*messages: str) -> dict[str, Any]:
    """An SNS -> Lambda event with one record per message."""
    return {"Records": [sns_record(m) for m in messages]}


def delivered(request: dict[str, Any], protocol: str = "lambda") -> dict[str, Any]:
    """The record a ``protocol`` subscriber gets for an SNS ``Publish`` request (``MessageStructure:
    json`` picks that protocol's message, as SNS does)."""
    message = request["Message"]
    if request.get("MessageStructure") == "json":
        structure = json.loads(message)
        message = structure.get(protocol, structure["default"])
    return sns_record(message, subject=request.get("Subject"), attributes=request.get("MessageAttributes"))


def event_fields(**overrides: Any) -> dict[str, Any]:
    """The fields of a sample ``ExecutionEvent`` (a drill of "Payments", two waves)."""
    fields: dict[str, Any] = {
        "eventType": "start",
        "executionId": "exec-1",
        "planId": "plan-1",
        "planName": "Payments",
        "accountId": "111111111111",
        "isDrill": True,
        "status": "RUNNING",
        "startedBy": "ana",
        "startTime": "2026-05-01T14:02:09.123456Z",
        "waves": [
            {"waveNumber": 1, "protectionGroupName": "DB", "status": "COMPLETED", "launched": 1, "total": 2},
            {"waveNumber": 2, "protectionGroupName": "App", "status": "PENDING"},
        ],
    }
    return {**fields, **overrides}


def sample_event(**overrides: Any) -> Any:
    """A sample :class:`handlers.models.events.ExecutionEvent`; ``overrides`` set its fields."""
    from handlers.models.events import ExecutionEvent

    return ExecutionEvent.model_validate(event_fields(**overrides))


def pause_event(account_id: str = "111111111111") -> Any:
    """A sample pause event of ``account_id``: wave 2, with Resume / Cancel links."""
    return sample_event(
        eventType="pause",
        accountId=account_id,
        waveNumber=2,
        requestedAt="2026-05-01T14:02:09.123456Z",
        expiresAt="2026-05-02T14:02:09.123456Z",
        resumeUrl="https://x/r",
        cancelUrl="https://x/c",
    )
