"""Readiness of a plan (GET /recovery-plans/{id}/readiness, check_readiness) and the gate before a
start: each check's FAIL and WARN reached on purpose, on moto and the sandbox's DRS emulator
(tests/support/drs.py), with Service Quotas answered by tests/support/quotas.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.models.protection_group import ProtectionGroup
from handlers.repositories.protection_groups import ProtectionGroupRepository
from sandbox.data import drs_snapshots
from sandbox.data.drs_data import SourceServer
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.support.data import group_body, plan_body, server_id
from tests.support.events import call_api, invoke_direct
from tests.support.orchestration import wait_until
from tests.support.quotas import CONCURRENT_JOBS, SERVERS_IN_ALL_JOBS, SERVERS_PER_JOB

CHECKS = {
    "server_exists",
    "replication_healthy",
    "no_active_job",
    "leftover_drill_instances",
    "quotas",
    "server_in_one_group",
    "permissions",
    "drs_initialized",
}


def _group(name: str = "Database tier", servers: list[str] | None = None, account: str = ACCOUNT_A) -> dict:
    body = group_body(name) if servers is None else group_body(name, sourceServerIds=servers)
    status, group = call_api("POST", "/protection-groups", body, account=account)
    assert status == 201, group
    return dict(group)


def _legacy_group(name: str, servers: list[str]) -> str:
    """A group stored before groups were checked against DRS (or another account's servers)."""
    group = ProtectionGroup(
        groupId=f"legacy-{server_id()}",
        groupName=name,
        accountId=ACCOUNT_A,
        region="us-east-1",
        sourceServerIds=servers,
        createdAt="2025-01-01T00:00:00Z",
        updatedAt="2025-01-01T00:00:00Z",
        createdBy="legacy",
    )
    ProtectionGroupRepository().insert(group)
    return group.groupId


def _plan(group_ids: list[str], account: str = ACCOUNT_A, **extra: Any) -> dict:
    body = plan_body(group_ids, **extra)
    for wave in body["waves"]:
        wave["pauseBeforeExecution"] = False
    status, plan = call_api("POST", "/recovery-plans", body, account=account)
    assert status == 201, plan
    return dict(plan)


def _readiness(plan: dict, query: str = "", account: str = ACCOUNT_A) -> dict:
    status, body = call_api("GET", f"/recovery-plans/{plan['planId']}/readiness{query}", account=account)
    assert status == 200, body
    return dict(body)


def _problems(readiness: dict, check: str) -> list[dict]:
    return [c for c in readiness["checks"] if c["check"] == check and c["status"] != "PASS"]


def _stalled(aws) -> list[str]:
    return aws.drs.estate.unhealthy_server_ids()


def test_a_healthy_plan_is_ready_with_one_pass_per_check_in_the_contracts_shape(aws):
    # Given a plan of two healthy groups
    plan = _plan([_group("Database tier")["groupId"], _group("App tier")["groupId"]])
    # When its readiness is read over REST and by direct invocation
    rest = _readiness(plan)
    direct = invoke_direct("check_readiness", {"planId": plan["planId"], "accountId": ACCOUNT_A})
    # Then it is ready, in exactly the contract's shape, with one PASS per check
    for body in (rest, direct):
        assert set(body) == {"planId", "accountId", "ready", "checkedAt", "checks"}
        assert body["ready"] is True and body["planId"] == plan["planId"] and body["accountId"] == ACCOUNT_A
        assert {c["check"] for c in body["checks"]} == CHECKS
        assert {c["status"] for c in body["checks"]} == {"PASS"}
        assert all(set(c) == {"check", "status", "message"} for c in body["checks"])
    [quotas] = [c for c in rest["checks"] if c["check"] == "quotas"]
    assert "servers-per-job limit 100 (Service Quotas, account 111111111111)" in quotas["message"]


def test_stalled_replication_fails_naming_the_server_since_when_and_the_group(aws):
    # Given a group holding the emulator's two servers whose replication STALLED
    stalled = _stalled(aws)
    plan = _plan([_group("Database tier", stalled)["groupId"]])
    # When readiness is checked
    readiness = _readiness(plan)
    # Then it is not ready: one FAIL per server, saying what, since when, why, and what to do
    assert readiness["ready"] is False
    failures = _problems(readiness, "replication_healthy")
    assert {f["sourceServerId"] for f in failures} == set(stalled)
    assert readiness["checks"][: len(failures)] == failures  # failures come first
    for failure in failures:
        assert failure["status"] == "FAIL" and failure["waveNumber"] == 1
        assert failure["message"].startswith(f"{failure['sourceServerId']} replication STALLED since ")
        assert " UTC (DRS: " in failure["message"]
        assert failure["message"].endswith("fix replication or remove it from group Database tier (wave 1)")


def test_replication_lag_over_the_plans_limit_warns_and_a_higher_limit_passes(aws):
    # Given a server two hours behind
    lagging = server_id()
    aws.drs.estate.servers[ACCOUNT_A][lagging] = SourceServer(ACCOUNT_A, lagging, "lag", lag_seconds=7200)
    group = _group("Database tier", [lagging, server_id()])
    # When readiness is checked under the default limit (60 min) and under 180 min
    default = _readiness(_plan([group["groupId"]], name="Default lag"))
    patient = _readiness(_plan([group["groupId"]], name="Patient", maxReplicationLagMinutes=180))
    # Then the first WARNs about that server (still ready), the second passes
    [warning] = _problems(default, "replication_healthy")
    assert warning["status"] == "WARN" and warning["sourceServerId"] == lagging and default["ready"] is True
    assert "lags 120 min (plan allows 60)" in warning["message"]
    assert not _problems(patient, "replication_healthy")


def test_a_server_drs_does_not_know_fails_server_exists(aws):
    unknown = "s-fffffffffffffffff"  # not a numbered id: the emulator knows no such server
    plan = _plan([_legacy_group("Legacy tier", [server_id(), unknown])])
    readiness = _readiness(plan)
    [failure] = _problems(readiness, "server_exists")
    assert failure["sourceServerId"] == unknown and failure["status"] == "FAIL"
    assert "is not a DRS source server in account 111111111111" in failure["message"]
    assert "remove it from group Legacy tier (wave 1)" in failure["message"]


def test_a_server_in_two_groups_of_the_plan_fails(aws):
    shared = server_id()
    plan = _plan([_legacy_group("Tier one", [shared]), _legacy_group("Tier two", [shared, server_id()])])
    [failure] = _problems(_readiness(plan), "server_in_one_group")
    assert failure["sourceServerId"] == shared and failure["waveNumber"] == 2
    assert "group Tier one (wave 1) and in group Tier two (wave 2)" in failure["message"]


def test_a_server_in_a_running_drs_job_fails_and_a_finished_drills_instance_warns(aws):
    # Given one server in a DRS job still running and another whose drill instance still runs
    busy, drilled = server_id(), server_id()
    aws.drs.complete_after_polls = 10_000
    aws.drs.start_recovery(ACCOUNT_A, {"sourceServers": [{"sourceServerID": busy}], "isDrill": True})
    aws.drs.complete_after_polls = 0
    aws.drs.start_recovery(ACCOUNT_A, {"sourceServers": [{"sourceServerID": drilled}], "isDrill": True})
    plan = _plan([_group("Database tier", [busy, drilled])["groupId"]])
    # When readiness is checked
    readiness = _readiness(plan)
    # Then the running job FAILs no_active_job, the leftover instance WARNs
    [running] = _problems(readiness, "no_active_job")
    assert running["sourceServerId"] == busy and running["status"] == "FAIL"
    assert "already in running DRS job drsjob-" in running["message"]
    [leftover] = _problems(readiness, "leftover_drill_instances")
    assert leftover["sourceServerId"] == drilled and leftover["status"] == "WARN"
    assert "still runs: terminate it" in leftover["message"]


def test_a_wave_over_the_servers_per_job_quota_is_warned_with_its_batches_not_refused(aws):
    # Given Service Quotas allows one server a job and the plan's wave has two
    aws.quotas.values[SERVERS_PER_JOB] = 1
    # When readiness is checked
    readiness = _readiness(_plan([_group("Database tier")["groupId"]]))
    # Then the run is not refused: it WARNs how the engine will start the wave, naming the quota
    [warning] = _problems(readiness, "quotas")
    assert warning["status"] == "WARN" and warning["waveNumber"] == 1
    assert "the largest wave (2 servers) starts as 2 DRS jobs of at most 1 servers" in warning["message"]
    assert "servers-per-job limit 1 (Service Quotas, account " in warning["message"]
    assert not [c for c in readiness["checks"] if c["check"] == "quotas" and c["status"] == "FAIL"]


def test_jobs_already_running_up_to_the_quotas_warn_that_the_wave_waits_for_room(aws):
    aws.quotas.values.update({CONCURRENT_JOBS: 1, SERVERS_IN_ALL_JOBS: 2})
    aws.drs.complete_after_polls = 10_000
    aws.drs.start_recovery(ACCOUNT_A, {"sourceServers": [{"sourceServerID": server_id()}], "isDrill": True})
    readiness = _readiness(_plan([_group("Database tier")["groupId"]]))
    messages = [(f["status"], f["message"]) for f in _problems(readiness, "quotas")]
    assert any(
        status == "WARN"
        and "1 DRS jobs with 1 servers already run: a wave waits" in m
        and "concurrent-jobs limit 1" in m
        for status, m in messages
    ), messages


def test_quotas_fall_back_to_drs_defaults_naming_why_when_service_quotas_refuses(aws):
    aws.quotas.error = "AccessDeniedException"
    readiness = _readiness(_plan([_group("Database tier")["groupId"]]))
    [quotas] = [c for c in readiness["checks"] if c["check"] == "quotas"]
    assert quotas["status"] == "PASS"
    assert (
        "servers-per-job limit 100 (DRS default; Service Quotas not readable: AccessDeniedException)"
        in (quotas["message"])
    )


def test_quotas_are_read_in_the_plans_account_through_its_role(aws):
    _readiness(_plan([_group("B tier", account=ACCOUNT_B)["groupId"]], account=ACCOUNT_B), account=ACCOUNT_B)
    assert aws.quotas.calls and {c["account"] for c in aws.quotas.calls} == {ACCOUNT_B}
    assert {c["ServiceCode"] for c in aws.quotas.calls} == {"drs"}


def test_another_accounts_plan_is_not_found_like_a_missing_one(aws):
    plan = _plan([_group()["groupId"]])
    other = call_api("GET", f"/recovery-plans/{plan['planId']}/readiness", account=ACCOUNT_B)
    missing = call_api("GET", "/recovery-plans/no-such-plan/readiness", account=ACCOUNT_B)
    assert other[0] == missing[0] == 404
    assert other[1]["message"].replace(plan["planId"], "X") == missing[1]["message"].replace(
        "no-such-plan", "X"
    )


# --- point in time ---------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("when", "says"),
    [
        ("yesterday at noon", "is not a time: give an ISO 8601 time"),
        (_iso(datetime.now(UTC) + timedelta(hours=1)), "is in the future"),
        (_iso(datetime.now(UTC) - timedelta(days=8)), "older than DRS's snapshot retention of 7 days"),
    ],
    ids=["unparseable", "future", "past-retention"],  # fixed ids: every xdist worker collects the same
)
def test_a_bad_point_in_time_is_a_400_saying_which(aws, when, says):
    plan = _plan([_group()["groupId"]])
    for status, body in (
        call_api("POST", "/executions", {"planId": plan["planId"], "pointInTime": when}),
        call_api("GET", f"/recovery-plans/{plan['planId']}/readiness?pointInTime={when.replace(' ', '%20')}"),
    ):
        assert status == 400 and body["error"] == "VALIDATION_ERROR" and says in body["message"], body
    assert aws.drs.started == []


def test_a_server_without_a_snapshot_before_the_point_in_time_fails_snapshot_available(aws, monkeypatch):
    # Given a server DRS has no snapshot of (the other has hourly ones)
    bare, kept = server_id(), server_id()
    describe = drs_snapshots.describe
    monkeypatch.setattr(
        drs_snapshots,
        "describe",
        lambda sid, body, now: {"items": []} if sid == bare else describe(sid, body, now),
    )
    plan = _plan([_group("Database tier", [bare, kept])["groupId"]])
    when = _iso(datetime.now(UTC) - timedelta(hours=3))
    # When readiness is checked at a point in time, and a start asked from it
    readiness = _readiness(plan, f"?pointInTime={when}")
    status, refused = call_api("POST", "/executions", {"planId": plan["planId"], "pointInTime": when})
    # Then that server FAILs snapshot_available, and the start is NOT_READY naming it
    [failure] = _problems(readiness, "snapshot_available")
    assert failure["sourceServerId"] == bare and "has no recovery snapshot at or before" in failure["message"]
    assert status == 409 and refused["error"] == "NOT_READY"
    assert [c["sourceServerId"] for c in refused["checks"]] == [bare]


# --- the gate before a start -------------------------------------------------------------------------


def test_a_plan_with_a_failing_check_is_not_started_nor_locked(orchestration):
    aws = orchestration.aws
    plan = _plan([_group("Database tier", _stalled(aws))["groupId"]])
    # When it is started over REST and by direct invocation
    status, refused = call_api("POST", "/executions", {"planId": plan["planId"]})
    direct = invoke_direct("start_execution", {"planId": plan["planId"], "accountId": ACCOUNT_A})
    # Then both are NOT_READY with only the failing checks, and nothing started
    assert status == 409 and refused["error"] == "NOT_READY" and direct["error"] == "NOT_READY"
    assert "force" in refused["message"] and refused["checks"] == direct["checks"]
    assert {c["status"] for c in refused["checks"]} == {"FAIL"} and len(refused["checks"]) == 2
    assert aws.drs.started == []
    assert call_api("GET", "/executions")[1]["items"] == []
    # And the plan is not locked: a forced start goes ahead
    status, forced = call_api("POST", "/executions", {"planId": plan["planId"], "force": True})
    assert status == 201, forced


def test_a_forced_start_is_recorded_and_announced_with_the_failed_checks(orchestration):
    aws = orchestration.aws
    stalled = _stalled(aws)
    plan = _plan([_group("Database tier", stalled)["groupId"]], notificationEmail="dr@example.com")
    status, execution = call_api("POST", "/executions", {"planId": plan["planId"], "force": True})
    assert status == 201, execution
    assert execution["forced"] is True and len(execution["readinessFailures"]) == 2
    stored = call_api("GET", f"/executions/{execution['executionId']}")[1]
    assert stored["forced"] is True
    start = orchestration.wait_for_event("start")
    assert "FORCED past failing readiness checks" in start["body"]
    assert all(f"  - {failure}" in start["body"] for failure in stored["readinessFailures"])
    assert stalled[0] in start["body"]


def test_a_healthy_start_is_not_forced_even_when_force_is_asked(orchestration):
    plan = _plan([_group()["groupId"]])
    status, execution = call_api("POST", "/executions", {"planId": plan["planId"], "force": True})
    assert status == 201 and execution["forced"] is False and execution["readinessFailures"] == []


def test_a_start_from_a_point_in_time_recovers_each_server_from_its_latest_snapshot_before_it(orchestration):
    aws = orchestration.aws
    servers = [server_id(), server_id()]
    plan = _plan([_group("Database tier", servers)["groupId"]])
    moment = datetime.now(UTC) - timedelta(hours=2, minutes=30)
    status, execution = call_api(
        "POST", "/executions", {"planId": plan["planId"], "pointInTime": _iso(moment)}
    )
    assert status == 201, execution
    # Then each server got the hourly snapshot at or before the time, recorded and passed to DRS
    taken = moment.replace(minute=0, second=0, microsecond=0)
    expected = {s: drs_snapshots.snapshot_id(s, taken) for s in servers}
    assert execution["pointInTime"] == moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    recorded = {s["sourceServerId"]: s for s in execution["waves"][0]["servers"]}
    assert {s: r["recoverySnapshotId"] for s, r in recorded.items()} == expected
    assert all(r["snapshotTime"].startswith(taken.strftime("%Y-%m-%dT%H:%M:%S")) for r in recorded.values())
    assert wait_until(lambda: aws.drs.started)
    [request] = aws.drs.started
    assert {s["sourceServerID"]: s["recoverySnapshotID"] for s in request["sourceServers"]} == expected
    done = wait_until(
        lambda: (
            call_api("GET", f"/executions/{execution['executionId']}")[1]["waves"][0]["status"]
            in ("COMPLETED", "FAILED")
        )
    )
    assert done
    final = call_api("GET", f"/executions/{execution['executionId']}")[1]["waves"][0]["servers"]
    assert {s["sourceServerId"]: s["recoverySnapshotId"] for s in final} == expected


def test_drs_failing_to_describe_the_servers_fails_the_check_instead_of_a_500(aws):
    # Given a plan, and DRS answering DescribeSourceServers with an error (after botocore's retries)
    from sandbox.data.drs_calls import DrsError

    plan = _plan([_group()["groupId"]])

    def refuse(call, body):
        if call.operation == "DescribeSourceServers":
            raise DrsError(500, "InternalServerException", "simulated: DRS is down")

    aws.drs.before = refuse
    # When readiness is asked, then it answers: not ready, server_exists FAIL naming DRS's error
    readiness = _readiness(plan)
    assert readiness["ready"] is False
    (problem,) = _problems(readiness, "server_exists")
    assert problem["status"] == "FAIL" and "InternalServerException" in problem["message"]
    # and a start is refused as NOT_READY (nothing started), never an internal error
    status, body = call_api("POST", "/executions", {"planId": plan["planId"]})
    assert status == 409 and body["error"] == "NOT_READY", body
