"""SNS deliveries moto does not make: to email addresses (the outbox) and to Lambda functions.

moto records email "deliveries" nowhere and hands Lambda subscribers a placeholder event (fake
``MessageAttributes``) before asking for Docker. The sandbox therefore wraps moto's
``Subscription.publish`` - in this process, since moto's server runs here - and for ``email``,
``email-json`` and ``lambda`` subscriptions applies the subscription's own filter policy with moto's
matcher (made to match ``String``/``String.Array`` attributes as SNS does, and to keep one
subscription per topic, protocol and endpoint: ``sandbox/emulators/emulator_guarantees.py``), then writes the
email to the :class:`Outbox` or runs the function in process with a real SNS event. Other
protocols (SQS, HTTP) keep moto's behaviour.

Email subscriptions are confirmed on creation (moto's behaviour, and what the sandbox wants); the
confirmation email a real subscriber would get is put in the outbox all the same.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sandbox.data.outbox import Outbox
from sandbox.runtime.lambdas import LambdaRuntime

if TYPE_CHECKING:  # moto is imported at run time only once the embedded AWS has set it up
    from moto.sns.models import SNSBackend, Subscription

EMAIL_PROTOCOLS = ("email", "email-json")


class SnsDelivery:
    def __init__(self, outbox: Outbox, runtime: LambdaRuntime) -> None:
        self.outbox = outbox
        self.runtime = runtime

    def install(self) -> None:
        from moto.sns.models import SNSBackend, Subscription

        delivery = self
        original_publish = Subscription.publish
        original_subscribe = SNSBackend.subscribe

        def publish(sub: Subscription, message: str, message_id: str, *args: Any, **kwargs: Any) -> None:
            if sub.protocol not in (*EMAIL_PROTOCOLS, "lambda"):
                return original_publish(sub, message, message_id, *args, **kwargs)
            subject = kwargs.get("subject", args[0] if args else None)
            message_attributes = kwargs.get("message_attributes", args[1] if len(args) > 1 else None)
            matcher = sub._filter_policy_matcher
            if matcher is not None and not matcher.matches(message_attributes, message):
                return None
            if kwargs.get("message_structure") == "json":
                message = sub._parse_message_structure(message, sub.protocol)
            delivery.deliver(sub, message, message_id, subject, message_attributes or {})
            return None

        def subscribe(backend: SNSBackend, topic_arn: str, endpoint: str, protocol: str) -> Subscription:
            existed = backend._find_subscription(topic_arn, endpoint, protocol) is not None
            subscription = original_subscribe(backend, topic_arn, endpoint, protocol)
            if protocol in EMAIL_PROTOCOLS and not existed:
                delivery.confirmation(subscription)
            return subscription

        # Patched on the classes, as moto's server in this process creates its own instances.
        setattr(Subscription, "publish", publish)  # noqa: B010 - mypy refuses assigning to a method
        setattr(SNSBackend, "subscribe", subscribe)  # noqa: B010

    def deliver(
        self, sub: Subscription, message: str, message_id: str, subject: str | None, attrs: dict[str, Any]
    ) -> None:
        if sub.protocol == "lambda":
            self.runtime.invoke_async(
                sub.endpoint, self._lambda_event(sub, message, message_id, subject, attrs)
            )
        elif sub.protocol == "email-json":
            post = sub.get_post_data(message, message_id, subject, message_attributes=attrs)
            body = json.dumps(post, indent=2)
            self.outbox.add(
                sub.endpoint, subject or "AWS Notification Message", body, "notification", sub.topic_arn
            )
        else:
            footer = (
                "\n\n--\nIf you wish to stop receiving notifications from this topic, unsubscribe: "
                f"{self.outbox.base_url}/outbox (sandbox: subscription {sub.arn})"
            )
            subject = subject or "AWS Notification Message"
            self.outbox.add(sub.endpoint, subject, message + footer, "notification", sub.topic_arn)

    def confirmation(self, sub: Subscription) -> None:
        display = getattr(sub.topic, "display_name", "") or sub.topic_arn.split(":")[-1]
        body = (
            f"You have chosen to subscribe to the topic:\n{sub.topic_arn}\n\n"
            "In AWS you would confirm by visiting the link below. The sandbox has confirmed this "
            f"subscription automatically:\n{self.outbox.base_url}/outbox\n\n"
            f"Subscription: {sub.arn}"
        )
        subject = f"AWS Notification - Subscription Confirmation ({display})"[:99]
        self.outbox.add(sub.endpoint, subject, body, "confirmation", sub.topic_arn)

    def _lambda_event(
        self, sub: Subscription, message: str, message_id: str, subject: str | None, attrs: dict[str, Any]
    ) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        sns = {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": sub.topic_arn,
            "Subject": subject,
            "Message": message,
            "Timestamp": now,
            "SignatureVersion": "1",
            "Signature": "SANDBOX",
            "SigningCertUrl": f"{self.outbox.base_url}/_sandbox/info",
            "UnsubscribeUrl": f"{self.outbox.base_url}/_sandbox/info",
            "MessageAttributes": {k: {"Type": v["Type"], "Value": v["Value"]} for k, v in attrs.items()},
        }
        record = {
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": sub.arn,
            "Sns": sns,
        }
        return {"Records": [record]}
