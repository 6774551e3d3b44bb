"""Quotas are the engine's job, and DRS blips do not fail a wave: a wave of any size starts as DRS jobs
within the account's quotas (the rest QUEUED, started as capacity frees), and a DRS outage while
its jobs are checked is ridden out for DRS_OUTAGE_SECONDS before the wave fails naming DRS.

End to end in process (tests/support/orchestration.py): the real ASL on moto, the orchestrator,
Service Quotas answered by tests/support/quotas.py and the sandbox's DRS emulator, which refuses a
StartRecovery beyond the quotas as DRS does."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from handlers.core import run_limits
from sandbox.emulators.drs import Call, DrsError
from tests.conftest import reset_caches
from tests.support.data import group_body, plan_body
from tests.support.events import call_api
from tests.support.orchestration import wait_until
from tests.support.quotas import set_drs_quotas

TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"}


def _start(servers: int) -> tuple[str, str]:
    """A one-wave drill of ``servers`` servers, started: (execution id, plan id)."""
    status, group = call_api("POST", "/protection-groups", group_body("Big tier", servers=servers))
    assert status == 201, group
    status, plan = call_api("POST", "/recovery-plans", plan_body([group["groupId"]]))
    assert status == 201, plan
    status, started = call_api("POST", "/executions", {"planId": plan["planId"], "force": True})
    assert status == 201, started
    return started["executionId"], plan["planId"]


def _execution(execution_id: str) -> dict[str, Any]:
    return dict(call_api("GET", f"/executions/{execution_id}")[1])


def _finished(execution_id: str, timeout: float = 60) -> dict[str, Any]:
    found = wait_until(lambda: (e := _execution(execution_id))["status"] in TERMINAL and e, timeout, 0.5)
    assert found, f"execution never finished: {_execution(execution_id)['status']}"
    return dict(found)


def test_a_15_server_wave_under_quotas_4_2_6_starts_in_batches_never_over_any_and_launches_all(orchestration):
    # Given quotas of 4 servers a job, 2 jobs at once, 6 servers in all jobs (Service Quotas and DRS)
    set_drs_quotas(orchestration.aws, 4, 2, 6)
    # When a 15-server wave is drilled
    execution_id, _ = _start(15)
    # Then once the first round of batches started (the wave is written with every server QUEUED,
    # then after each batch), the record shows the two jobs and the servers still queued
    first = wait_until(
        lambda: len((w := _execution(execution_id)["waves"][0]).get("jobIds") or []) >= 2 and w, 20, 0.1
    )
    if not first:  # say which quotas the wave ran under (Service Quotas, or defaults and why)
        ended = _execution(execution_id)
        raise AssertionError(
            f"{ended['status']}: {ended.get('statusReason')}; {ended['waves'][0].get('quotas')}"
        )
    queued = [s for s in first["servers"] if s["launchStatus"] == "QUEUED"]
    # 4 + 2 started, 9 waiting for capacity (fewer if a later poll has already started more)
    assert 0 < len(queued) <= 9, first
    finished = _finished(execution_id)
    assert finished["status"] == "SUCCEEDED", finished
    [wave] = finished["waves"]
    # every server launched, in jobs of 4, 2, 4, 2, 3 recorded in start order
    assert {s["launchStatus"] for s in wave["servers"]} == {"LAUNCHED"} and len(wave["servers"]) == 15
    started = orchestration.drs.started
    assert [len(b["sourceServers"]) for b in started] == [4, 2, 4, 2, 3]
    assert len(wave["jobIds"]) == 5
    assert sorted(s["sourceServerID"] for b in started for s in b["sourceServers"]) == sorted(
        s["sourceServerId"] for s in wave["servers"]
    )
    # never over any quota: DRS refused nothing, and never ran more than 2 jobs or 6 servers
    assert [c.operation for c in orchestration.drs.calls].count("StartRecovery") == 5
    assert max(jobs for _, jobs, _ in orchestration.drs.load) <= 2
    assert max(servers for _, _, servers in orchestration.drs.load) <= 6
    assert wave["quotas"]["serversPerJob"] == 4 and wave["quotas"]["source"].startswith("Service Quotas")


def test_a_600_server_wave_under_the_default_quotas_launches_every_server_in_jobs_of_100(orchestration):
    # Given DRS's documented quotas (100 a job, 20 jobs, 500 servers in all jobs): a wave larger than
    # the 500 servers all jobs may hold at once
    execution_id, _ = _start(600)
    # When it runs, Then every server launched, in 6 jobs of 100, never more than 500 at once
    finished = _finished(execution_id, timeout=240)
    assert finished["status"] == "SUCCEEDED", finished["statusReason"]
    [wave] = finished["waves"]
    assert len(wave["servers"]) == 600 and {s["launchStatus"] for s in wave["servers"]} == {"LAUNCHED"}
    assert [len(b["sourceServers"]) for b in orchestration.drs.started] == [100] * 6
    assert len(wave["jobIds"]) == 6
    assert max(servers for _, _, servers in orchestration.drs.load) <= 500


def _outage(operation: str, until: Callable[[], bool], code: str = "InternalServerException") -> Any:
    """DRS answers a running wave's ``operation`` calls with ``code`` until ``until()``; counts them."""
    failed = {"calls": 0}
    status = 429 if code == "ThrottlingException" else 500

    def before(call: Call, body: dict[str, Any]) -> None:
        if call.operation == operation and (body.get("filters") or {}).get("jobIDs") and not until():
            failed["calls"] += 1
            raise DrsError(status, code, f"simulated: DRS answers {code}")

    before.failed = failed  # type: ignore[attr-defined]
    return before


@pytest.mark.parametrize("code", ["InternalServerException", "ThrottlingException"])
def test_a_drs_outage_while_a_wave_is_checked_is_ridden_out_when_it_lifts_within_the_window(
    orchestration, monkeypatch, code
):
    # Given DRS may fail a running wave for 30 s, and fails every check of its jobs for 3 s
    monkeypatch.setenv("DRS_OUTAGE_SECONDS", "30")
    reset_caches()
    began: list[float] = []

    def lifted() -> bool:
        began.append(began[0] if began else time.monotonic())
        return time.monotonic() - began[0] > 3

    orchestration.drs.before = outage = _outage("DescribeJobs", lifted, code)
    # When a drill runs through it
    execution_id, _ = _start(2)
    finished = _finished(execution_id)
    # Then the checks failed and were asked again, and the wave and the run succeeded
    assert outage.failed["calls"] >= 2
    assert finished["status"] == "SUCCEEDED", finished["statusReason"]
    assert finished["waves"][0]["status"] == "COMPLETED" and not finished["waves"][0].get("drsFailingSince")


def test_a_drs_outage_longer_than_the_window_fails_the_wave_naming_drs_and_frees_the_plan(orchestration):
    # Given DRS fails every check of a running wave's jobs, longer than the window (3 s in tests)
    orchestration.drs.before = outage = _outage("DescribeJobs", lambda: False)
    # When a drill runs
    execution_id, plan_id = _start(2)
    finished = _finished(execution_id)
    # Then the wave failed only after the window, naming DRS, the call and the error
    [wave] = finished["waves"]
    assert finished["status"] == "FAILED" and wave["status"] == "FAILED"
    assert outage.failed["calls"] >= 2
    for text in (wave["message"], finished["statusReason"]):
        assert "DRS DescribeJobs failed: InternalServerException" in text, text
    assert "DRS kept failing for" in wave["message"]
    # and the plan is free: once DRS answers again, it runs
    orchestration.drs.before = None
    status, again = call_api("POST", "/executions", {"planId": plan_id, "force": True})
    assert status == 201, again
    assert _finished(again["executionId"])["status"] == "SUCCEEDED"


def test_a_plan_longer_than_the_run_limit_is_refused_naming_the_limit(aws):
    status, group = call_api("POST", "/protection-groups", group_body("Tier"))
    assert status == 201
    waves = [
        {"waveNumber": n, "protectionGroupId": group["groupId"]} for n in range(1, run_limits.MAX_WAVES + 2)
    ]
    status, error = call_api("POST", "/recovery-plans", {"planName": "Too long", "waves": waves})
    assert status == 400, error
    assert f"a plan holds at most {run_limits.MAX_WAVES} waves" in error["message"]
    assert "25,000 history events" in error["message"]
