"""The DRS emulator's post-launch actions (docs/hooks.md, a wave's ``launchActions`` hook): every
launched server of a job reports one VALIDATION action in ``participatingServers[].launchActionsStatus``,
SUCCEEDED by default and FAILED with a reason for a server listed in ``failing_validation``; the
answers are botocore-valid (checked as tests/unit/test_drs_emulator.py checks them) and the product's
mapping (handlers/hooks/calls.py) reads them as DRS's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from handlers.hooks.calls import launch_actions_outcome
from sandbox.data.drs_data import ACCOUNTS, Estate
from sandbox.data.drs_shapes import VALIDATION_ACTION
from sandbox.emulators.drs import DrsEmulator
from tests.support.drs_model import MODEL, OwnKeysRequest, assert_valid_output

OWN, _ = ACCOUNTS
UUID = re.compile(MODEL.shape_for("LaunchActionRunId").metadata["pattern"])


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[DrsEmulator]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", OWN)
    yield DrsEmulator(Estate.demo(), complete_after_polls=1)


def _ask(emulator: DrsEmulator, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    _, _, raw = emulator.responder()(operation, OwnKeysRequest(body))
    return dict(json.loads(raw))


def _job(emulator: DrsEmulator, servers: list[str]) -> dict[str, Any]:
    started = _ask(
        emulator,
        "StartRecovery",
        {"sourceServers": [{"sourceServerID": s} for s in servers], "isDrill": True},
    )
    job_id = started["job"]["jobID"]
    assert "launchActionsStatus" not in str(started)  # nothing launched yet
    jobs = _ask(emulator, "DescribeJobs", {"filters": {"jobIDs": [job_id]}})
    assert_valid_output("DescribeJobs", jobs)
    return dict(jobs["items"][0])


def test_launched_servers_report_a_succeeded_validation_action_by_default(emulator):
    servers = sorted(emulator.estate.servers[OWN])[:2]
    job = _job(emulator, servers)
    assert job["status"] == "COMPLETED"
    for server in job["participatingServers"]:
        [run] = server["launchActionsStatus"]["runs"]
        assert run["status"] == "SUCCEEDED" and run["action"]["category"] == "VALIDATION"
        assert UUID.fullmatch(run["runId"]) and UUID.fullmatch(run["action"]["actionId"])
        assert run["action"]["order"] >= 2 and "failureReason" not in run
    outcome = launch_actions_outcome([job])
    assert (outcome.status, outcome.message) == ("PASSED", "2 VALIDATION post-launch action(s) SUCCEEDED")


def test_a_server_listed_as_failing_validation_reports_it_failed_and_the_hook_fails_naming_it(emulator):
    servers = sorted(emulator.estate.servers[OWN])[:2]
    emulator.failing_validation.add(servers[1])
    job = _job(emulator, servers)
    statuses = {s["sourceServerID"]: s["launchActionsStatus"]["runs"][0] for s in job["participatingServers"]}
    assert statuses[servers[0]]["status"] == "SUCCEEDED"
    assert statuses[servers[1]]["status"] == "FAILED" and statuses[servers[1]]["failureReason"]
    outcome = launch_actions_outcome([job])
    assert outcome.status == "FAILED"
    assert f"{VALIDATION_ACTION} on {servers[1]}" in outcome.message and servers[0] not in outcome.message


def test_a_server_that_failed_to_launch_reports_no_launch_actions(emulator):
    servers = sorted(emulator.estate.servers[OWN])[:2]
    emulator.failing.add(servers[0])
    job = _job(emulator, servers)
    by_id = {s["sourceServerID"]: s for s in job["participatingServers"]}
    assert by_id[servers[0]]["launchStatus"] == "FAILED" and "launchActionsStatus" not in by_id[servers[0]]
    assert "launchActionsStatus" in by_id[servers[1]]
