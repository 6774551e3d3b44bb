"""A drill of the seeded three-wave plan through the sandbox: it pauses before wave 2, the pause
email's link resumes it, and it succeeds. Skipped until the orchestration stack is deployed."""

from __future__ import annotations

import re
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.conftest import RunningSandbox, http

pytestmark = pytest.mark.e2e


def wait_for(check: Any, timeout: float = 25.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def execution(sandbox: RunningSandbox, execution_id: str) -> dict[str, Any]:
    return dict(sandbox.api("GET", f"/executions/{execution_id}").json())


def test_paused_drill_resumes_from_the_email_link(sandbox: RunningSandbox) -> None:
    plans = sandbox.api("GET", "/recovery-plans").json()["items"]
    plan = next(p for p in plans if p["planName"] == "Payments failover")
    started = sandbox.api("POST", "/executions", {"planId": plan["planId"], "isDrill": True})
    assert started.status in (200, 201, 202), started.body
    execution_id = started.json()["executionId"]

    wait_for(lambda: execution(sandbox, execution_id)["status"] == "PAUSED")
    mail = wait_for(
        lambda: [
            m
            for m in http("GET", sandbox.info["outboxUrl"] + ".json").json()
            if execution_id in m["body"] and "action=resume" in m["body"]
        ]
    )[0]
    link = re.findall(r"https?://\S+action=resume\S+", mail["body"])[0]
    confirm_page = http("GET", link)
    assert confirm_page.status == 200
    assert execution(sandbox, execution_id)["status"] == "PAUSED"  # GET changes nothing

    approval = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["approval"][0]
    form = urllib.parse.urlencode({"action": "resume", "approval": approval}).encode()
    decided = http("POST", link.split("?")[0], form, {"Content-Type": "application/x-www-form-urlencoded"})

    assert decided.status == 200
    final = wait_for(
        lambda: (e := execution(sandbox, execution_id))["status"] != "PAUSED" and e["endTime"] and e
    )
    assert final["status"] == "SUCCEEDED"
    assert [w["status"] for w in final["waves"]] == ["COMPLETED"] * 3


def test_racing_decisions_on_one_pause_have_one_winner(sandbox: RunningSandbox) -> None:
    # Given a paused drill and its approval, reached by the api function's workers over HTTP
    plans = sandbox.api("GET", "/recovery-plans").json()["items"]
    plan = next(p for p in plans if p["planName"] == "Payments failover")
    execution_id = sandbox.api("POST", "/executions", {"planId": plan["planId"], "isDrill": True}).json()[
        "executionId"
    ]
    wait_for(lambda: execution(sandbox, execution_id)["status"] == "PAUSED")
    mail = wait_for(
        lambda: [
            m
            for m in http("GET", sandbox.info["outboxUrl"] + ".json").json()
            if execution_id in m["body"] and "action=resume" in m["body"]
        ]
    )[0]
    link = re.findall(r"https?://\S+action=resume\S+", mail["body"])[0]
    approval = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["approval"][0]

    # When twelve decisions (resume and cancel) arrive at once
    def decide(action: str) -> str:
        form = urllib.parse.urlencode({"action": action, "approval": approval}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        page = http("POST", link.split("?")[0], form, headers)
        assert page.status == 200, page.body
        return "won" if b"<h1>Done:" in page.body else "already decided"

    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(decide, ["resume", "cancel"] * 6))

    # Then exactly one decided; every other caller is told it was already decided
    assert sorted(outcomes) == ["already decided"] * 11 + ["won"], outcomes
    final = wait_for(
        lambda: (e := execution(sandbox, execution_id))["status"] != "PAUSED" and e["endTime"] and e, 40
    )
    assert final["status"] in ("SUCCEEDED", "CANCELLED")
