"""Faults injected at the AWS client boundary (botocore), for paths that must survive them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def fail_aws_calls(
    monkeypatch: pytest.MonkeyPatch, code_for: Callable[[str, dict[str, Any]], str | None]
) -> None:
    """Every AWS call for which ``code_for(operation, params)`` names an error code raises that
    ``ClientError`` instead of reaching the (moto) service; the others go through."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    original = BaseClient._make_api_call

    def faulty(self: Any, operation: str, params: dict[str, Any]) -> Any:
        code = code_for(operation, params)
        if code:
            raise ClientError({"Error": {"Code": code, "Message": "injected by the test"}}, operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", faulty)


def lose_announcements(monkeypatch: pytest.MonkeyPatch, event_type: str) -> None:
    """SNS refuses every publish of ``event_type`` events (e.g. the pause announcement)."""

    def code_for(operation: str, params: dict[str, Any]) -> str | None:
        attributes = params.get("MessageAttributes") or {}
        kind = (attributes.get("eventType") or {}).get("StringValue")
        return "InternalError" if operation == "Publish" and kind == event_type else None

    fail_aws_calls(monkeypatch, code_for)
