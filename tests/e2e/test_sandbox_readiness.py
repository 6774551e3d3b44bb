"""Readiness in the running sandbox: a plan holding the emulator's STALLED servers is not ready over
REST, a start is refused NOT_READY, and ``/dr check`` (signed, through the bot) says why."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import RunningSandbox
from tests.e2e.runs import Runs, slack_local
from tests.e2e.waiting import slack_messages, wait_for

pytestmark = pytest.mark.e2e


def test_a_plan_with_stalled_servers_is_not_ready_everywhere(sandbox: RunningSandbox) -> None:
    # Given a plan whose group holds the two STALLED servers and a healthy one
    stalled = sandbox.info["unhealthySourceServers"]
    assert len(stalled) >= 2
    name = f"Readiness {uuid.uuid4().hex[:8]}"
    body = {"groupName": f"{name} tier", "sourceServerIds": [*stalled, *Runs(sandbox).free_servers(1)]}
    group = sandbox.api("POST", "/protection-groups", body)
    assert group.status == 201, group.body
    waves = [{"waveNumber": 1, "protectionGroupId": group.json()["groupId"]}]
    plan = sandbox.api("POST", "/recovery-plans", {"planName": name, "waves": waves})
    assert plan.status == 201, plan.body
    plan_id = plan.json()["planId"]
    # When its readiness is read over REST
    readiness = sandbox.api("GET", f"/recovery-plans/{plan_id}/readiness").json()
    # Then it is not ready: each stalled server FAILs replication_healthy, saying since when
    assert readiness["ready"] is False
    failing = [c for c in readiness["checks"] if c["status"] == "FAIL"]
    assert {c["sourceServerId"] for c in failing} == set(stalled)
    assert all("replication STALLED since" in c["message"] for c in failing)
    # And a start is refused with those checks, nothing started
    refused = sandbox.api("POST", "/executions", {"planId": plan_id})
    assert refused.status == 409 and refused.json()["error"] == "NOT_READY"
    assert refused.json()["checks"] == failing
    # And /dr check in Slack shows the failures first
    seen = len(slack_messages(sandbox))
    assert slack_local(sandbox, "command", {"text": f"/dr check {plan_id}"}).status == 200
    [answer] = wait_for(
        lambda: [m for m in slack_messages(sandbox)[seen:] if "is NOT ready" in (m.get("text") or "")],
        20,
        "the /dr check answer",
    )
    assert name in answer["text"] and "2 failing" in answer["text"]
    assert stalled[0] in str(answer["blocks"])
