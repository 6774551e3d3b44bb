"""Failback in the DRS emulator (sandbox/emulators/drs_failback.py): reversed replication, the Failback
Client's states, StartFailbackLaunch and StopFailback, per account and per region, every answer
checked against botocore's ``drs`` model - its shapes (as ``botocore.stub.Stubber`` checks them)
and, beyond what ``ParamValidator`` checks, its enums and patterns. No sleeps: everything advances
by reads (``complete_after_polls``, ``failback_after_polls``), except the one clock test, which
moves a fake clock.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.model import Shape

from sandbox.data.drs_data import ACCOUNTS, ORIGIN_REGION, REGION, Estate
from sandbox.emulators import faults
from sandbox.emulators.drs import DrsEmulator, region_of
from sandbox.emulators.drs_faults import FaultyDrsEmulator
from tests.support.drs_model import MODEL, OwnKeysRequest, assert_valid_output, valid_input

OWN, OTHER = ACCOUNTS
POLLS = 2  # failback_after_polls: reads before a reversed replication or Failback Client is done


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[DrsEmulator]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", OWN)  # the deployment's own keys act in the first account
    yield DrsEmulator(Estate.demo(), complete_after_polls=1, failback_after_polls=POLLS)


# -- helpers -----------------------------------------------------------------------------------------
def strict_errors(value: Any, shape: Shape, path: str = "") -> list[str]:
    """What ``ParamValidator`` leaves out: enum members and string patterns, everywhere in ``value``."""
    errors: list[str] = []
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            if name in value:
                errors += strict_errors(value[name], member, f"{path}.{name}")
    elif shape.type_name == "list":
        for n, item in enumerate(value):
            errors += strict_errors(item, shape.member, f"{path}[{n}]")
    elif shape.type_name == "map":
        for key, item in value.items():
            errors += strict_errors(item, shape.value, f"{path}.{key}")
    elif shape.type_name == "string":
        enum, pattern = getattr(shape, "enum", None), shape.metadata.get("pattern")
        if enum and value not in enum:
            errors.append(f"{path}: {value!r} is not one of {enum}")
        if pattern and not re.fullmatch(pattern, value):
            errors.append(f"{path}: {value!r} does not match {pattern}")
    return errors


def assert_model_valid(operation: str, answer: dict[str, Any]) -> None:
    if MODEL.operation_model(operation).output_shape is None:  # StopFailback answers nothing
        assert answer == {}
        return
    assert_valid_output(operation, answer)
    assert strict_errors(answer, MODEL.operation_model(operation).output_shape) == []


def request(body: dict[str, Any], region: str) -> OwnKeysRequest:
    signed = OwnKeysRequest(body)
    signed.headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential=AKIAOWN/20250101/{region}/drs/aws4_request"
    )
    return signed


def ask(
    drs: DrsEmulator, operation: str, body: dict[str, Any], region: str = REGION
) -> tuple[int, dict[str, Any]]:
    """One call signed for ``region``; a 2xx answer is checked against the model."""
    assert valid_input(operation, body), body
    status, _, raw = drs.responder()(operation, request(body, region))
    answer = json.loads(raw)
    if status < 300:
        assert_model_valid(operation, answer)
    return status, answer


def ok(drs: DrsEmulator, operation: str, body: dict[str, Any], region: str = REGION) -> dict[str, Any]:
    status, answer = ask(drs, operation, body, region)
    assert status < 300, answer
    return answer


def launch(drs: DrsEmulator, servers: list[str], region: str = REGION) -> list[dict[str, Any]]:
    """Recover ``servers`` in ``region`` (the job completes on its first read); their instances."""
    job = ok(drs, "StartRecovery", {"sourceServers": [{"sourceServerID": s} for s in servers]}, region)["job"]
    ok(drs, "DescribeJobs", {"filters": {"jobIDs": [job["jobID"]]}}, region)
    return [i for i in instances(drs, region, count=False) if i["jobID"] == job["jobID"]]


def instances(drs: DrsEmulator, region: str = REGION, *, count: bool = True) -> list[dict[str, Any]]:
    """DescribeRecoveryInstances (a read that advances Failback Clients) or, with ``count=False``,
    what it would answer without advancing them."""
    if count:
        return list(ok(drs, "DescribeRecoveryInstances", {"filters": {}}, region)["items"])
    with drs._lock:
        return drs._instances(OWN, region, count=False)


def failback_states(drs: DrsEmulator, ids: list[str]) -> list[str]:
    items = ok(drs, "DescribeRecoveryInstances", {"filters": {"recoveryInstanceIDs": ids}})["items"]
    by_id = {i["recoveryInstanceID"]: i["failback"]["state"] for i in items}
    return [by_id[i] for i in ids]


def on_premises(drs: DrsEmulator) -> list[str]:
    return drs.estate.on_premises_server_ids()[OWN]


def ec2_origin(drs: DrsEmulator, count: int) -> list[str]:
    return drs.estate.healthy_server_ids(OWN)[:count]


def servers_in(drs: DrsEmulator, region: str, ids: list[str] | None = None) -> list[dict[str, Any]]:
    body = {"filters": {"sourceServerIDs": ids}} if ids else {"maxResults": 1000}
    return list(ok(drs, "DescribeSourceServers", body, region)["items"])


def ready_on_premises(drs: DrsEmulator, count: int) -> list[str]:
    """``count`` on-premises recovery instances at FAILBACK_READY_FOR_LAUNCH."""
    ids = [i["recoveryInstanceID"] for i in launch(drs, on_premises(drs)[:count])]
    for _ in range(POLLS + 1):
        states = failback_states(drs, ids)
    assert set(states) == {"FAILBACK_READY_FOR_LAUNCH"}
    return ids


def reversed_arn(drs: DrsEmulator, instance_id: str, region: str = REGION) -> str:
    return str(
        ok(drs, "ReverseReplication", {"recoveryInstanceID": instance_id}, region)[
            "reversedDirectionSourceServerArn"
        ]
    )


# -- the estate's origins ------------------------------------------------------------------------------
def test_the_estates_servers_are_ec2_in_the_origin_region_but_four_of_the_first_account_on_premises(
    emulator: DrsEmulator,
) -> None:
    # Given every source server of the first account
    items = servers_in(emulator, REGION)
    cloud: dict[str, Any] = {s["sourceServerID"]: s.get("sourceCloudProperties") for s in items}
    # Then at least 4 are on premises (no cloud origin), and every other names the origin region
    assert len(on_premises(emulator)) >= 4 and emulator.estate.on_premises_server_ids()[OTHER] == []
    assert all(cloud[s] is None for s in on_premises(emulator))
    ec2 = [c for s, c in cloud.items() if s not in on_premises(emulator)]
    assert ec2 and all(c["originRegion"] == ORIGIN_REGION and c["originAccountID"] == OWN for c in ec2)
    assert {c["originAvailabilityZone"][:-1] for c in ec2} == {ORIGIN_REGION}
    assert {s["replicationDirection"] for s in items} == {"FAILOVER"}


def test_recovery_instances_carry_their_origin_and_a_failback_state(emulator: DrsEmulator) -> None:
    # When an EC2-origin and an on-premises server are recovered
    ec2, onprem = launch(emulator, [ec2_origin(emulator, 1)[0], on_premises(emulator)[0]])
    # Then the instances name their origin; the EC2 one its zone in the origin region
    assert (ec2["originEnvironment"], onprem["originEnvironment"]) == ("AWS", "ON_PREMISES")
    assert ec2["originAvailabilityZone"].startswith(ORIGIN_REGION) and "originAvailabilityZone" not in onprem
    # and both start at FAILBACK_NOT_STARTED, the on-premises one with its Failback Client's id
    assert ec2["failback"]["state"] == onprem["failback"]["state"] == "FAILBACK_NOT_STARTED"
    assert onprem["failback"]["failbackClientID"]


# -- the Failback Client (on premises) ---------------------------------------------------------------
def test_an_on_premises_instance_reaches_ready_for_launch_as_its_client_runs(emulator: DrsEmulator) -> None:
    # Given recovery instances of the on-premises servers
    ids = [i["recoveryInstanceID"] for i in launch(emulator, on_premises(emulator))]
    # When they are listed again and again
    seen = [failback_states(emulator, ids) for _ in range(POLLS + 2)]
    # Then they go NOT_STARTED, IN_PROGRESS, then READY_FOR_LAUNCH and stay there
    assert [set(states) for states in seen] == [
        {"FAILBACK_NOT_STARTED"},
        {"FAILBACK_IN_PROGRESS"},
        {"FAILBACK_READY_FOR_LAUNCH"},
        {"FAILBACK_READY_FOR_LAUNCH"},
    ]


def test_without_poll_counts_the_client_is_ready_seconds_after_the_launch(
    monkeypatch: pytest.MonkeyPatch, emulator: DrsEmulator
) -> None:
    # Given the sandbox's clock-driven emulator and a fake clock
    start = time.time()  # a job's creation reads the real clock
    clock = [start]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    emulator.complete_after_polls = emulator.failback_after_polls = None
    ok(emulator, "StartRecovery", {"sourceServers": [{"sourceServerID": on_premises(emulator)[0]}]})
    # When time passes: the launch ends after 4 s, the client is ready 4 s after that
    states = []
    for seconds in (4.5, 6.0, 9.0):
        clock[0] = start + seconds
        states += [i["failback"]["state"] for i in ok(emulator, "DescribeRecoveryInstances", {})["items"]]
    # Then it went from not started through in progress to ready within seconds
    assert states == ["FAILBACK_NOT_STARTED", "FAILBACK_IN_PROGRESS", "FAILBACK_READY_FOR_LAUNCH"]


def test_a_failback_launch_is_a_failback_job_that_completes_the_instances_failback(
    emulator: DrsEmulator,
) -> None:
    # Given two on-premises instances ready for launch
    ids = ready_on_premises(emulator, 2)
    # When they are failed back
    job = ok(
        emulator,
        "StartFailbackLaunch",
        {"recoveryInstanceIDs": ids, "tags": {"drs-chatops:execution": "e-1"}},
    )["job"]
    # Then the answer is a LAUNCH job initiated by FAILBACK naming the instances
    assert (job["type"], job["initiatedBy"]) == ("LAUNCH", "FAILBACK")
    assert sorted(p["recoveryInstanceID"] for p in job["participatingServers"]) == sorted(ids)
    assert job["tags"]["drs-chatops:execution"] == "e-1"
    # and while it runs they are in progress, naming the job
    running = ok(emulator, "DescribeRecoveryInstances", {"filters": {"recoveryInstanceIDs": ids}})["items"]
    assert {(i["failback"]["state"], i["failback"]["failbackJobID"]) for i in running} == {
        ("FAILBACK_IN_PROGRESS", job["jobID"])
    }
    # When the job is read (it completes like other jobs)
    [done] = ok(emulator, "DescribeJobs", {"filters": {"jobIDs": [job["jobID"]]}})["items"]
    # Then it completed, the instances' failback is COMPLETED, and no recovery instance was added
    assert done["status"] == "COMPLETED" and {p["launchStatus"] for p in done["participatingServers"]} == {
        "LAUNCHED"
    }
    assert failback_states(emulator, ids) == ["FAILBACK_COMPLETED"] * 2
    assert len(instances(emulator)) == 2


def test_a_failback_launch_refuses_what_is_not_ready_unknown_or_too_many(emulator: DrsEmulator) -> None:
    # Given on-premises instances not yet ready, an EC2-origin instance, and one ready
    waiting = [i["recoveryInstanceID"] for i in launch(emulator, on_premises(emulator)[2:4])]
    [ec2] = [i["recoveryInstanceID"] for i in launch(emulator, ec2_origin(emulator, 1))]
    # Then a launch of any of the first is a ConflictException naming them and their state
    status, error = ask(emulator, "StartFailbackLaunch", {"recoveryInstanceIDs": waiting})
    assert (status, error["code"]) == (409, "ConflictException")
    assert "FAILBACK_NOT_STARTED" in error["message"] and waiting[0] in error["message"]
    assert ask(emulator, "StartFailbackLaunch", {"recoveryInstanceIDs": [ec2]})[0] == 409
    # and an unknown instance, or more than 200, a ValidationException (the model has no 404 here)
    status, error = ask(emulator, "StartFailbackLaunch", {"recoveryInstanceIDs": ["i-0123456789abcdef0"]})
    assert (status, error["code"], error["reason"]) == (400, "ValidationException", "other")
    too_many = [f"i-{n:017x}" for n in range(201)]
    assert ask(emulator, "StartFailbackLaunch", {"recoveryInstanceIDs": too_many})[0] == 400
    # and no job was started by any of them
    assert [j for j in emulator.state()[OWN]["jobs"] if j["initiatedBy"] == "FAILBACK"] == []


def test_a_second_failback_launch_of_the_same_instance_is_refused_while_and_after_it_runs(
    emulator: DrsEmulator,
) -> None:
    ids = ready_on_premises(emulator, 1)
    ok(emulator, "StartFailbackLaunch", {"recoveryInstanceIDs": ids})
    assert ask(emulator, "StartFailbackLaunch", {"recoveryInstanceIDs": ids})[0] == 409
    ok(emulator, "DescribeJobs", {})
    assert ask(emulator, "StartFailbackLaunch", {"recoveryInstanceIDs": ids})[0] == 409


def test_stop_failback_puts_an_instance_back_to_not_started_for_good(emulator: DrsEmulator) -> None:
    # Given an on-premises instance ready for launch
    [instance] = ready_on_premises(emulator, 1)
    # When its failback is stopped
    assert ok(emulator, "StopFailback", {"recoveryInstanceID": instance}) == {}
    # Then it is NOT_STARTED however often it is read, and cannot be launched
    assert [failback_states(emulator, [instance])[0] for _ in range(POLLS + 1)] == [
        "FAILBACK_NOT_STARTED"
    ] * 3
    assert ask(emulator, "StartFailbackLaunch", {"recoveryInstanceIDs": [instance]})[0] == 409
    # and an unknown instance is DRS's 404
    status, error = ask(emulator, "StopFailback", {"recoveryInstanceID": "i-0123456789abcdef0"})
    assert (status, error["code"]) == (404, "ResourceNotFoundException")


# -- ReverseReplication (EC2 origin) -----------------------------------------------------------------
def test_reverse_replication_creates_a_failback_server_in_the_origin_region_continuous_within_reads(
    emulator: DrsEmulator,
) -> None:
    # Given a recovery instance of an EC2-origin server
    [server] = ec2_origin(emulator, 1)
    [instance] = launch(emulator, [server])
    # When it is reversed
    arn = reversed_arn(emulator, instance["recoveryInstanceID"])
    # Then the answer names a source server in the origin region, of the same account
    assert arn.startswith(f"arn:aws:drs:{ORIGIN_REGION}:{OWN}:source-server/s-")
    reversed_id = arn.rpartition("/")[2]
    # which the origin region lists replicating FAILBACK, naming the original, continuous after reads
    seen = [servers_in(emulator, ORIGIN_REGION, [reversed_id])[0] for _ in range(POLLS + 1)]
    assert [s["dataReplicationInfo"]["dataReplicationState"] for s in seen] == [
        "INITIATING",
        "INITIAL_SYNC",
        "CONTINUOUS",
    ]
    original = emulator.estate.servers[OWN][server]
    assert {(s["replicationDirection"], s["reversedDirectionSourceServerArn"]) for s in seen} == {
        ("FAILBACK", original.arn)
    }
    assert (
        seen[0]["sourceCloudProperties"]["originRegion"] == REGION
    )  # it replicates from the recovery region
    # and the original names it back; the recovery region does not list it
    [before] = servers_in(emulator, REGION, [server])
    assert before["reversedDirectionSourceServerArn"] == arn
    assert reversed_id not in {s["sourceServerID"] for s in servers_in(emulator, REGION)}


def test_reversing_the_same_instance_again_answers_the_same_server(emulator: DrsEmulator) -> None:
    [instance] = launch(emulator, ec2_origin(emulator, 1))
    first = reversed_arn(emulator, instance["recoveryInstanceID"])
    servers_in(emulator, ORIGIN_REGION)  # a read: its replication moves on
    # When it is reversed again
    second = reversed_arn(emulator, instance["recoveryInstanceID"])
    # Then the same server answers, there is still one, and its replication did not start over
    assert second == first
    [only] = servers_in(emulator, ORIGIN_REGION)
    assert only["arn"] == first and only["dataReplicationInfo"]["dataReplicationState"] == "INITIAL_SYNC"


def test_an_on_premises_instance_cannot_be_reversed(emulator: DrsEmulator) -> None:
    [instance] = launch(emulator, on_premises(emulator)[:1])
    # When it is reversed
    status, error = ask(
        emulator, "ReverseReplication", {"recoveryInstanceID": instance["recoveryInstanceID"]}
    )
    # Then DRS's ValidationException says why, and the origin region has no server
    assert (status, error["code"], error["reason"]) == (400, "ValidationException", "other")
    assert "ON_PREMISES" in error["message"]
    assert servers_in(emulator, ORIGIN_REGION) == []


def test_an_unknown_or_terminated_instance_cannot_be_reversed(emulator: DrsEmulator) -> None:
    [instance] = launch(emulator, ec2_origin(emulator, 1))
    instance_id = instance["recoveryInstanceID"]
    ok(emulator, "TerminateRecoveryInstances", {"recoveryInstanceIDs": [instance_id]})
    for unknown in (instance_id, "i-0123456789abcdef0"):
        status, error = ask(emulator, "ReverseReplication", {"recoveryInstanceID": unknown})
        assert (status, error["code"], error["resourceId"]) == (404, "ResourceNotFoundException", unknown)


def test_recovering_the_reversed_server_in_the_origin_region_fails_back_and_reversing_that_reprotects(
    emulator: DrsEmulator,
) -> None:
    # Given an EC2-origin server recovered and reversed, its replication continuous
    [server] = ec2_origin(emulator, 1)
    [instance] = launch(emulator, [server])
    reversed_id = reversed_arn(emulator, instance["recoveryInstanceID"]).rpartition("/")[2]
    # When the reversed server is recovered in the origin region (the failback)
    [back] = launch(emulator, [reversed_id], ORIGIN_REGION)
    # Then a recovery instance runs there, from the reversed server, whose origin was the recovery region
    assert back["arn"].startswith(f"arn:aws:drs:{ORIGIN_REGION}:{OWN}:recovery-instance/")
    assert (back["sourceServerID"], back["originEnvironment"]) == (reversed_id, "AWS")
    assert back["originAvailabilityZone"].startswith(REGION)
    # and the recovery region's jobs and instances do not show it
    assert back["jobID"] not in {j["jobID"] for j in ok(emulator, "DescribeJobs", {})["items"]}
    assert [i["recoveryInstanceID"] for i in instances(emulator)] == [instance["recoveryInstanceID"]]
    # When the failed-back instance is reversed (re-protect)
    arn = reversed_arn(emulator, back["recoveryInstanceID"], ORIGIN_REGION)
    # Then the original source server replicates again, continuous after reads
    assert arn == emulator.estate.servers[OWN][server].arn
    states = [
        servers_in(emulator, REGION, [server])[0]["dataReplicationInfo"]["dataReplicationState"]
        for _ in range(3)
    ]
    assert states == ["INITIATING", "INITIAL_SYNC", "CONTINUOUS"]


# -- regions, accounts, faults -------------------------------------------------------------------------
def test_a_call_signed_for_the_origin_region_acts_there_only(emulator: DrsEmulator) -> None:
    # Given a recovery in the recovery region
    [server] = ec2_origin(emulator, 1)
    [instance] = launch(emulator, [server])
    # Then the origin region sees no server, job or instance of it, and cannot recover or reverse them
    assert servers_in(emulator, ORIGIN_REGION) == []
    assert ok(emulator, "DescribeJobs", {}, ORIGIN_REGION) == {"items": []}
    assert ok(emulator, "DescribeRecoveryInstances", {}, ORIGIN_REGION) == {"items": []}
    assert (
        ask(emulator, "StartRecovery", {"sourceServers": [{"sourceServerID": server}]}, ORIGIN_REGION)[0]
        == 404
    )
    assert (
        ask(
            emulator,
            "ReverseReplication",
            {"recoveryInstanceID": instance["recoveryInstanceID"]},
            ORIGIN_REGION,
        )[0]
        == 404
    )
    # and the region is the signature's; an unsigned call acts in the recovery region
    assert region_of(request({}, ORIGIN_REGION).headers) == ORIGIN_REGION
    assert region_of({}) == REGION


def test_another_account_can_neither_see_nor_fail_back_the_first_accounts_instances(
    emulator: DrsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the first account's reversed instance and an on-premises instance ready for launch
    [ec2] = launch(emulator, ec2_origin(emulator, 1))
    reversed_arn(emulator, ec2["recoveryInstanceID"])
    [onprem] = ready_on_premises(emulator, 1)
    # When the other account's keys act on them
    monkeypatch.setenv("MOTO_ACCOUNT_ID", OTHER)
    # Then they are unknown there, in both regions, and nothing changed
    assert ask(emulator, "ReverseReplication", {"recoveryInstanceID": ec2["recoveryInstanceID"]})[0] == 404
    assert ask(emulator, "StopFailback", {"recoveryInstanceID": onprem})[0] == 404
    assert ask(emulator, "StartFailbackLaunch", {"recoveryInstanceIDs": [onprem]})[0] == 400
    assert servers_in(emulator, ORIGIN_REGION) == []
    monkeypatch.setenv("MOTO_ACCOUNT_ID", OWN)
    assert failback_states(emulator, [onprem]) == ["FAILBACK_READY_FOR_LAUNCH"]
    assert len(servers_in(emulator, ORIGIN_REGION)) == 1


@pytest.fixture
def faults_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv(faults.ENV_VAR, raising=False)
    path = faults.prepare(str(tmp_path))
    yield path
    faults.discard()


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("ReverseReplication", {"recoveryInstanceID": "i-0123456789abcdef0"}),
        ("StartFailbackLaunch", {"recoveryInstanceIDs": ["i-0123456789abcdef0"]}),
        ("StopFailback", {"recoveryInstanceID": "i-0123456789abcdef0"}),
    ],
)
def test_the_sandboxs_drs_faults_apply_to_the_failback_operations(
    faults_file: Path, monkeypatch: pytest.MonkeyPatch, operation: str, body: dict[str, Any]
) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", OWN)
    respond = FaultyDrsEmulator(Estate.demo()).responder()
    # Given throttling, then an outage, then the action denied
    faults.change(faults.FaultsChange(drs="throttle"))
    throttled = respond(operation, request(body, REGION))
    faults.change(faults.FaultsChange(drs="error"))
    down = respond(operation, request(body, ORIGIN_REGION))
    faults.change(faults.FaultsChange(drs="ok", deniedActions=[f"drs:{operation}"]))
    denied = respond(operation, request(body, REGION))
    # Then each is answered as DRS answers it
    assert [(a[0], a[1]["x-amzn-ErrorType"]) for a in (throttled, down, denied)] == [
        (429, "ThrottlingException"),
        (500, "InternalServerException"),
        (403, "AccessDeniedException"),
    ]


def test_the_sandbox_state_shows_reversed_servers_and_failback_states(emulator: DrsEmulator) -> None:
    [ec2] = launch(emulator, ec2_origin(emulator, 1))
    arn = reversed_arn(emulator, ec2["recoveryInstanceID"])
    [onprem] = ready_on_premises(emulator, 1)
    state = emulator.state()[OWN]
    [reversed_server] = state["reversedSourceServers"]
    assert reversed_server["region"] == ORIGIN_REGION and arn.endswith(reversed_server["sourceServerID"])
    assert reversed_server["replicationDirection"] == "FAILBACK"
    by_id = {i["recoveryInstanceID"]: i for i in state["recoveryInstances"]}
    assert (by_id[onprem]["originEnvironment"], by_id[onprem]["failbackState"]) == (
        "ON_PREMISES",
        "FAILBACK_READY_FOR_LAUNCH",
    )
    assert (
        by_id[ec2["recoveryInstanceID"]]["region"],
        by_id[ec2["recoveryInstanceID"]]["originEnvironment"],
    ) == (
        REGION,
        "AWS",
    )
    assert emulator.state()[OTHER]["reversedSourceServers"] == []
