"""Polling helpers shared by the e2e tests."""

from __future__ import annotations

import re
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


def paused_drill(sandbox: RunningSandbox) -> str:
    """Start a drill of the seeded plan and wait until it pauses; its execution id."""
    started = sandbox.api("POST", "/executions", {"planId": seeded_plan(sandbox)["planId"], "isDrill": True})
    assert started.status in (200, 201, 202), started.body
    execution_id = str(started.json()["executionId"])
    wait_for(lambda: execution(sandbox, execution_id)["status"] == "PAUSED", what="PAUSED")
    return execution_id


def resume_link(sandbox: RunningSandbox, execution_id: str) -> str:
    """The Resume link of the execution's pause email, once the email is in the outbox."""
    mail = wait_for(
        lambda: [m for m in emails(sandbox) if execution_id in m["body"] and "action=resume" in m["body"]],
        what="the pause email",
    )[0]
    return str(re.findall(r"https?://\S+action=resume\S+", mail["body"])[0])
