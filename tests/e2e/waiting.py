"""Polling helpers shared by the e2e tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from tests.e2e.conftest import RunningSandbox, http

T = TypeVar("T")


def wait_for(check: Callable[[], T], timeout: float = 30.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"{what} not met in {timeout:.0f} s")


def execution(sandbox: RunningSandbox, execution_id: str) -> dict[str, Any]:
    return dict(sandbox.api("GET", f"/executions/{execution_id}").json())


def seeded_plan(sandbox: RunningSandbox) -> dict[str, Any]:
    plans = sandbox.api("GET", "/recovery-plans").json()["items"]
    return dict(next(p for p in plans if p["planName"] == "Payments failover"))


def wait_until_finished(sandbox: RunningSandbox, execution_id: str, timeout: float = 40.0) -> dict[str, Any]:
    return wait_for(
        lambda: (e := execution(sandbox, execution_id))["status"] not in ("RUNNING", "PAUSED") and e,
        timeout,
        f"execution {execution_id} finished",
    )


def emails(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    return list(http("GET", sandbox.info["outboxUrl"] + ".json").json())


def slack_messages(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    return list(http("GET", sandbox.info["slackMessagesUrl"]).json())
