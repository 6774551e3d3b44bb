"""1000 notifications for 50 plans, one email address each, published through SNS on moto in
process. Each address is an SQS tap subscribed with exactly the filter policy the product gives an
address's email subscription (``handlers.aws.subscriptions.filter_policy`` of its recipient id); each
message lists its plan's address in ``recipients``. Checks: published within a minute, each tap
receives exactly its plan's events, none lost, none misrouted."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from typing import Any

from benchmarks.support import ACCOUNT, REGION, moto_with_tables, quiet

PLANS = 50
EVENTS = 1000
WAVES = (1, 2, 3)
EVENT_TYPES = ("start", "pause", "resume", "wave_complete", "complete", "fail")


def _taps(sns: Any, sqs: Any, topic: str) -> dict[str, str]:
    from handlers.aws.subscriptions import filter_policy, recipient_id

    taps = {}
    for n in range(PLANS):
        plan_id = f"plan-{n:03d}"
        url = sqs.create_queue(QueueName=f"tap-{n:03d}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn,
            ReturnSubscriptionArn=True,
            Attributes={
                "FilterPolicy": json.dumps(filter_policy(recipient_id(_address(plan_id)))),
                "FilterPolicyScope": "MessageAttributes",
            },
        )
        taps[plan_id] = url
    return taps


def _address(plan_id: str) -> str:
    return f"{plan_id}@example.com"


def _event(plan_id: str, n: int, event_type: str) -> Any:
    from handlers.models.events import ExecutionEvent

    return ExecutionEvent.model_validate(
        {
            "eventType": event_type,
            "planId": plan_id,
            "planName": f"Plan {plan_id}",
            "executionId": f"exec-{n}",
            "accountId": ACCOUNT,
            "isDrill": True,
            "startedBy": "bench",
            "waves": [
                {"waveNumber": w, "protectionGroupName": "DB", "launched": 1, "total": 1} for w in (1, 2, 3)
            ],
            "waveNumber": 2,
            "protectionGroupName": "DB",
            "requestedAt": "t",
            "expiresAt": "t",
            "resumeUrl": "https://x/r",
            "cancelUrl": "https://x/c",
            "decidedBy": "bench",
            "decidedVia": "email",
            "decidedAt": "t",
            "endTime": "t",
            "reason": "r",
            "message": "m",
        }
    )


def _drain(sqs: Any, url: str) -> list[str]:
    received = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            received.append(json.loads(message["Body"])["MessageAttributes"]["recoveryPlanId"]["Value"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return received


def measure() -> dict[str, Any]:
    import boto3

    from handlers.aws.subscriptions import recipient_id
    from handlers.events.notifications import publish_recovery_plan_notification

    with moto_with_tables(), quiet():
        sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
        from handlers.core.settings import get_settings

        taps = _taps(sns, sqs, get_settings().require("execution_notifications_topic_arn"))
        plan_ids = list(taps)
        sent: Counter[str] = Counter()
        start = time.perf_counter()
        for n in range(EVENTS):
            plan_id = random.choice(plan_ids)
            assert publish_recovery_plan_notification(
                _event(plan_id, n, random.choice(EVENT_TYPES)),
                recipients=[recipient_id(_address(plan_id))],
            )
            sent[plan_id] += 1
        elapsed = time.perf_counter() - start
        received = {plan_id: _drain(sqs, url) for plan_id, url in taps.items()}
    misrouted = sum(1 for plan_id, got in received.items() for p in got if p != plan_id)
    lost = sum(sent[p] - len(got) for p, got in received.items() if len(got) < sent[p])
    exact = sum(1 for p, got in received.items() if len(got) == sent[p])
    return {
        "seconds": elapsed,
        "sent": sum(sent.values()),
        "received": sum(len(g) for g in received.values()),
        "misrouted": misrouted,
        "lost": lost,
        "exact_subscribers": exact,
    }


def main() -> dict[str, Any]:
    figures = measure()
    print(f"[fanout] {EVENTS} notifications for {PLANS} plans through SNS -> SQS taps (moto in process)")
    print(
        f"  published in {figures['seconds']:.1f} s "
        f"(target < 60 s: {'met' if figures['seconds'] < 60 else 'MISSED'})"
    )
    print(
        f"  sent {figures['sent']}, received {figures['received']}, lost {figures['lost']}, "
        f"misrouted {figures['misrouted']}; subscribers with exactly their plan's events: "
        f"{figures['exact_subscribers']}/{PLANS}"
    )
    return figures


if __name__ == "__main__":
    main()
