"""The on-premises way home, in the sandbox over HTTP (docs/failback.md): a RECOVERY of servers whose
machines run on premises, their Failback Clients reporting ready, then a FAILBACK that launches the
recovery instances back with ``StartFailbackLaunch`` (never ``StartRecovery``), the re-protect and
the cleanup; and ``StopFailback`` abandoning another recovery's failback. The DRS behind it is the
sandbox's simulation (its Failback Clients are simulated too: sandbox/emulators/drs_failback.py).
The EC2-origin path, with Slack and two approvers, is the demo's (tests/e2e/test_demo.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import RunningSandbox, http
from tests.e2e.runs import Runs, mails_to
from tests.e2e.waiting import execution, wait_for, wait_until_finished

pytestmark = pytest.mark.e2e

READY = "FAILBACK_READY_FOR_LAUNCH"


@pytest.fixture
def runs(sandbox: RunningSandbox) -> Iterator[Runs]:
    runs = Runs(sandbox)
    yield runs
    runs.clean_up()


def _drs(sandbox: RunningSandbox) -> dict[str, Any]:
    """The simulated DRS of the first account, as ``/_sandbox/drs-state`` shows it."""
    return dict(http("GET", sandbox.info["drsStateUrl"]).json()[sandbox.info["accounts"][0]])


def _recovered(runs: Runs, servers: list[str]) -> str:
    """A RECOVERY (not a drill) of ``servers`` in one wave, SUCCEEDED: its execution id."""
    plan = runs.plan([servers])
    execution_id = runs.start(plan, drill=False)
    ended = wait_until_finished(runs.sandbox, execution_id, timeout=60)
    assert ended["status"] == "SUCCEEDED", ended.get("statusReason")
    return execution_id


def _ready_view(sandbox: RunningSandbox, execution_id: str) -> dict[str, Any]:
    """The failback view once it says ready (every Failback Client at FAILBACK_READY_FOR_LAUNCH)."""
    path = f"/executions/{execution_id}/failback"
    return dict(wait_for(lambda: (v := sandbox.api("GET", path).json())["ready"] and v, 30, "ready"))


def _record(sandbox: RunningSandbox, execution_id: str) -> dict[str, Any]:
    return dict(execution(sandbox, execution_id).get("failback") or {})


def test_an_on_premises_recovery_fails_back_with_start_failback_launch_then_is_reprotected_and_cleaned(
    sandbox: RunningSandbox, runs: Runs
) -> None:
    # Given a RECOVERY of two servers whose machines run on premises
    servers = runs.free_servers(2, on_premises=True)
    recovery_id = _recovered(runs, servers)
    drs = _drs(sandbox)
    recovery_jobs = {j["jobID"] for j in drs["jobs"] if j["tags"].get("drs-chatops:execution") == recovery_id}
    instances = {i["sourceServerID"]: i for i in drs["recoveryInstances"] if i["jobID"] in recovery_jobs}
    assert {instances[s]["originEnvironment"] for s in servers} == {"ON_PREMISES"}

    # When reverse replication is asked: nothing is reversed (their Failback Clients drive it)
    reversed_view = sandbox.api("POST", f"/executions/{recovery_id}/reverse-replication").json()
    assert {s["origin"] for s in reversed_view["servers"]} == {"ON_PREMISES"}
    assert not [s for s in reversed_view["servers"] if s.get("reversedSourceServerId")]
    # and, once the view says ready, the failback starts
    view = _ready_view(sandbox, recovery_id)
    assert {s["state"] for s in view["servers"]} == {READY}
    started = sandbox.api("POST", f"/executions/{recovery_id}/failback", {"reason": "origin DC back"})
    assert started.status == 201, started.body
    failback_id = started.json()["executionId"]
    assert started.json()["mode"] == "FAILBACK" and started.json()["failbackOf"] == recovery_id

    # Then the FAILBACK SUCCEEDS by launching the recovery instances back, in the recovery region
    ended = wait_until_finished(sandbox, failback_id, timeout=60)
    assert ended["status"] == "SUCCEEDED", ended.get("statusReason")
    drs = _drs(sandbox)
    jobs = [j for j in drs["jobs"] if j["tags"].get("drs-chatops:execution") == failback_id]
    assert [j["initiatedBy"] for j in jobs] == ["FAILBACK"], jobs
    assert {j["arn"].split(":")[3] for j in jobs} == {sandbox.info["regions"]["recovery"]}
    assert {s["sourceServerID"] for s in jobs[0]["participatingServers"]} == set(servers)
    states = {i["recoveryInstanceID"]: i["failbackState"] for i in drs["recoveryInstances"]}
    assert {states[instances[s]["recoveryInstanceID"]] for s in servers} == {"FAILBACK_COMPLETED"}
    # and the recovery is FAILED_BACK, announced once to the plan's mailbox
    wait_for(lambda: _record(sandbox, recovery_id).get("status") == "FAILED_BACK", 20, "FAILED_BACK")
    plan = runs.plans[0]
    wait_for(lambda: mails_to(sandbox, plan.email, "FAILBACK completed"), 20, "the failback_completed email")
    assert len(mails_to(sandbox, plan.email, "Ready to fail back")) == 1
    # and its cleanup is refused until the origin is re-protected, then allowed
    assert sandbox.api("POST", f"/executions/{recovery_id}/cleanup", {}).status == 409
    sandbox.api("POST", f"/executions/{failback_id}/reverse-replication")
    assert _record(sandbox, recovery_id)["status"] == "REPROTECTED"
    assert sandbox.api("POST", f"/executions/{recovery_id}/cleanup", {}).status in (200, 202)
    cleanup = wait_for(
        lambda: (
            (c := execution(sandbox, recovery_id).get("cleanup") or {}).get("status") == "COMPLETED" and c
        ),
        30,
        "the recovery's cleanup COMPLETED",
    )
    live = {i["recoveryInstanceID"]: i["state"] for i in _drs(sandbox)["recoveryInstances"]}
    assert {live[instances[s]["recoveryInstanceID"]] for s in servers} == {"TERMINATED"}, cleanup


def test_stop_failback_abandons_an_on_premises_failback_and_a_start_is_then_not_ready(
    sandbox: RunningSandbox, runs: Runs
) -> None:
    # Given a RECOVERY of an on-premises server whose Failback Client reports ready
    [server] = runs.free_servers(1, on_premises=True)
    recovery_id = _recovered(runs, [server])
    [instance] = _ready_view(sandbox, recovery_id)["servers"]

    # When its failback is stopped
    stopped = sandbox.api("POST", f"/executions/{recovery_id}/failback/stop")

    # Then DRS stopped it: the client is back at the start and stays there, the view is not ready
    assert stopped.status == 200, stopped.body
    assert stopped.json()["stopped"] == [instance["recoveryInstanceId"]]
    assert stopped.json()["ready"] is False
    assert [s["state"] for s in stopped.json()["servers"]] == ["FAILBACK_NOT_STARTED"]
    # and a start now is refused, naming the server, with no FAILBACK execution and no launch
    jobs_before = len(_drs(sandbox)["jobs"])
    refused = sandbox.api("POST", f"/executions/{recovery_id}/failback")
    assert refused.status == 409 and refused.json()["error"] == "NOT_READY", refused.body
    assert [s["sourceServerId"] for s in refused.json()["servers"]] == [server]
    assert not _record(sandbox, recovery_id).get("failbackExecutionId")
    assert len(_drs(sandbox)["jobs"]) == jobs_before
