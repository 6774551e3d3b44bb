"""The DRS emulator's recovery snapshots (hourly, 7 days) and recovery instances (exist until
terminated), answered only in shapes botocore's ``drs`` model accepts, per account."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sandbox.data.drs_data import ACCOUNTS, Estate
from sandbox.emulators.drs import DrsEmulator
from tests.support.drs_model import MODEL, OwnKeysRequest
from tests.support.drs_model import assert_valid_output as _assert_valid

OWN, OTHER = ACCOUNTS


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> DrsEmulator:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", OWN)  # the deployment's own keys act in the first account
    return DrsEmulator(Estate.demo(), complete_after_polls=1, terminate_after_polls=0)


def ask(emulator: DrsEmulator, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, _, raw = emulator.responder()(operation, OwnKeysRequest(body))
    return status, json.loads(raw)


def launched_instances(emulator: DrsEmulator, servers: list[str]) -> list[str]:
    ask(
        emulator,
        "StartRecovery",
        {"sourceServers": [{"sourceServerID": s} for s in servers], "isDrill": True},
    )
    ask(emulator, "DescribeJobs", {})
    _, instances = ask(emulator, "DescribeRecoveryInstances", {})
    return [i["recoveryInstanceID"] for i in instances["items"]]


def test_every_server_has_an_hourly_snapshot_for_the_last_seven_days(emulator):
    server = sorted(emulator.estate.servers[OWN])[0]
    seen: list[dict[str, Any]] = []
    token: str | None = None
    while True:  # the product pages with nextToken; so does this
        body: dict[str, Any] = {
            "sourceServerID": server,
            "maxResults": 50,
            **({"nextToken": token} if token else {}),
        }
        status, page = ask(emulator, "DescribeRecoverySnapshots", body)
        assert status == 200
        _assert_valid("DescribeRecoverySnapshots", page)
        seen += page["items"]
        token = page.get("nextToken")
        if not token:
            break
    times = [datetime.fromisoformat(s["timestamp"].replace("Z", "+00:00")) for s in seen]
    assert times == sorted(times)
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(times))
    assert datetime.now(UTC) - times[0] >= timedelta(days=7) - timedelta(hours=1)
    assert datetime.now(UTC) - times[-1] < timedelta(hours=1)


def test_snapshots_filtered_by_time_newest_first(emulator):
    server = sorted(emulator.estate.servers[OWN])[0]
    until = datetime.now(UTC) - timedelta(hours=30, minutes=20)
    body = {
        "sourceServerID": server,
        "filters": {"toDateTime": until.isoformat()},
        "order": "DESC",
        "maxResults": 1,
    }
    _, page = ask(emulator, "DescribeRecoverySnapshots", body)
    (latest,) = page["items"]
    taken = datetime.fromisoformat(latest["timestamp"].replace("Z", "+00:00"))
    assert taken <= until < taken + timedelta(hours=1)


def test_another_accounts_server_has_no_snapshots_here(emulator):
    foreign = sorted(emulator.estate.servers[OTHER])[0]
    status, answer = ask(emulator, "DescribeRecoverySnapshots", {"sourceServerID": foreign})
    assert status == 404 and answer["code"] == "ResourceNotFoundException"


def test_recovery_instances_exist_until_terminated_and_terminate_once(emulator):
    servers = sorted(emulator.estate.healthy_server_ids(OWN))[:2]
    instances = launched_instances(emulator, servers)
    assert len(instances) == 2

    status, terminated = ask(emulator, "TerminateRecoveryInstances", {"recoveryInstanceIDs": instances[:1]})
    assert status == MODEL.operation_model("TerminateRecoveryInstances").http["responseCode"]
    _assert_valid("TerminateRecoveryInstances", terminated)
    assert terminated["job"]["type"] == "TERMINATE"

    _, left = ask(emulator, "DescribeRecoveryInstances", {})
    assert [i["recoveryInstanceID"] for i in left["items"]] == instances[1:]
    again, _ = ask(emulator, "TerminateRecoveryInstances", {"recoveryInstanceIDs": instances[:1]})
    assert again == 404  # a terminated instance is not terminated twice
    state = emulator.state()[OWN]["recoveryInstances"]
    assert {i["recoveryInstanceID"]: i["state"] for i in state} == {
        instances[0]: "TERMINATED",
        instances[1]: "RUNNING",
    }


def test_termination_is_asynchronous_like_drs(emulator):
    # Given two recovery instances, and a DRS that terminates after two listings
    emulator.terminate_after_polls = 2
    instances = launched_instances(emulator, sorted(emulator.estate.healthy_server_ids(OWN))[:2])
    # When one is terminated
    _, answer = ask(emulator, "TerminateRecoveryInstances", {"recoveryInstanceIDs": instances[:1]})
    # Then the answer is a TERMINATE job that has started, not ended
    job = answer["job"]
    assert job["status"] == "STARTED" and "endDateTime" not in job
    assert [s["launchStatus"] for s in job["participatingServers"]] == ["IN_PROGRESS"]
    # And a second request while it terminates is refused: nothing is terminated twice
    again, refused = ask(emulator, "TerminateRecoveryInstances", {"recoveryInstanceIDs": instances[:1]})
    assert again == 409 and refused["code"] == "ConflictException"
    # And the instance is still listed, shutting down, until its termination ends
    for _ in range(2):
        _, listed = ask(emulator, "DescribeRecoveryInstances", {})
        states = {i["recoveryInstanceID"]: i["ec2InstanceState"] for i in listed["items"]}
        assert states == {instances[0]: "SHUTTING-DOWN", instances[1]: "RUNNING"}
        _assert_valid("DescribeRecoveryInstances", listed)
    # Then it is gone, and the job COMPLETED
    _, listed = ask(emulator, "DescribeRecoveryInstances", {})
    assert [i["recoveryInstanceID"] for i in listed["items"]] == instances[1:]
    _, jobs = ask(emulator, "DescribeJobs", {"filters": {"jobIDs": [job["jobID"]]}})
    _assert_valid("DescribeJobs", jobs)
    [ended] = jobs["items"]
    assert ended["status"] == "COMPLETED" and ended["endDateTime"]
    assert [s["launchStatus"] for s in ended["participatingServers"]] == ["TERMINATED"]


def test_the_sandbox_terminates_after_a_few_seconds(emulator, monkeypatch):
    # Given the sandbox's DRS (terminations end by time) and one recovery instance
    from sandbox.emulators import drs as emulated

    emulator.terminate_after_polls = None
    instances = launched_instances(emulator, sorted(emulator.estate.healthy_server_ids(OWN))[:1])
    clock = [1_000_000.0]
    monkeypatch.setattr(emulated.time, "time", lambda: clock[0])
    ask(emulator, "TerminateRecoveryInstances", {"recoveryInstanceIDs": instances})
    # Then it is listed for TERMINATION_SECONDS, however often it is read, and gone after
    for _ in range(5):
        assert len(ask(emulator, "DescribeRecoveryInstances", {})[1]["items"]) == 1
    clock[0] += emulated.TERMINATION_SECONDS
    assert ask(emulator, "DescribeRecoveryInstances", {})[1]["items"] == []
    assert emulator.state()[OWN]["recoveryInstances"][0]["state"] == "TERMINATED"


def test_failing_servers_launch_in_jobs_started_after_they_are_told_to_recover() -> None:
    from sandbox.data.drs_data import Estate
    from sandbox.emulators.drs import DrsEmulator

    estate = Estate.demo()
    failing = estate.failing_server_ids()[0]
    account = next(a for a, servers in estate.servers.items() if failing in servers)
    drs = DrsEmulator(estate, complete_after_polls=1)
    before = drs.start_recovery(account, {"sourceServers": [{"sourceServerID": failing}]})["job"]["jobID"]
    drs.recovered = True
    after = drs.start_recovery(account, {"sourceServers": [{"sourceServerID": failing}]})["job"]["jobID"]
    jobs = {j["jobID"]: j for j in drs.describe_jobs(account, {})["items"]}
    launched = {job: jobs[job]["participatingServers"][0]["launchStatus"] for job in (before, after)}
    assert launched == {before: "FAILED", after: "LAUNCHED"}
