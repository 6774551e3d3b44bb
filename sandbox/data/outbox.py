"""The outbox: every email SNS would have delivered, as ``/outbox`` and ``/outbox.json`` show it.

Filled by :mod:`sandbox.runtime.sns_delivery`; read by the web routes. Data only, at the bottom of the
sandbox's layers, so the web routes need not import the SNS delivery (and the Lambda runtime it uses).
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any


class Outbox:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._emails: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, to: str, subject: str, body: str, kind: str, topic_arn: str) -> None:
        email = {
            "id": uuid.uuid4().hex[:12],
            "to": to,
            "subject": subject,
            "body": body,
            "sentAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "kind": kind,
            "topicArn": topic_arn,
        }
        with self._lock:
            self._emails.append(email)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._emails]
