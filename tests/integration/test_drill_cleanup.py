"""Drill cleanup (handlers/cleanup/cleanup.py) on moto and the DRS emulator: it terminates exactly
the drill's recovery instances, stays IN_PROGRESS while DRS terminates them (asynchronously) and a
scheduled check finishes it (moto's Scheduler, fired by the sandbox's runner in process), records it
once, and refuses what it must."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.repositories.executions import ExecutionRepository
from sandbox.emulators.drs import Call, DrsError
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.support.drills import finished_execution, live_instances, plan_with_groups
from tests.support.events import call_api, invoke_direct
from tests.support.schedules import fire_due, schedules, settle_cleanup, use_scheduler


@pytest.fixture(autouse=True)
def scheduler(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    return use_scheduler(aws, monkeypatch)


def _terminations(aws: Any, *, fail_first: int = 0, code: str = "ThrottlingException") -> list[list[str]]:
    """Record every TerminateRecoveryInstances request's ids; the first ``fail_first`` are refused."""
    requests: list[list[str]] = []
    refused = [0]

    def before(call: Call, body: dict[str, Any]) -> None:
        if call.operation != "TerminateRecoveryInstances":
            return
        if refused[0] < fail_first:
            refused[0] += 1
            raise DrsError(429 if code == "ThrottlingException" else 500, code, "simulated: DRS says no")
        requests.append(list(body["recoveryInstanceIDs"]))

    aws.drs.before = before
    return requests


def test_cleanup_terminates_exactly_the_drills_instances_and_completes_once_they_are_gone(aws: Any) -> None:
    # Given two finished drills of one plan, each with three recovery instances running
    plan = plan_with_groups()
    drill = finished_execution(plan)
    other = finished_execution(plan)
    requests = _terminations(aws)
    before = live_instances(aws.drs, ACCOUNT_A, drill)
    assert len(before) == 3
    # When the first drill is cleaned up through the API
    status, body = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A)
    # Then its instances, and only those, were requested in one request, and the record says so
    assert status == 200, body
    assert body["cleanup"]["status"] == "IN_PROGRESS", body["cleanup"]
    assert sorted(body["cleanup"]["terminatedInstanceIds"]) == before
    assert [sorted(r) for r in requests] == [before]
    # When DRS has terminated them and the scheduled checks ran
    cleanup = settle_cleanup(aws, drill.executionId).model_dump()
    # Then the cleanup COMPLETED
    assert cleanup["status"] == "COMPLETED", cleanup
    assert sorted(cleanup["terminatedInstanceIds"]) == before
    assert cleanup["requestedBy"] == "oncall@example.com" and cleanup["requestedVia"] == "api"
    assert cleanup["requestedAt"] <= cleanup["completedAt"]
    assert "none is left" in cleanup["message"]
    assert live_instances(aws.drs, ACCOUNT_A, drill) == []
    assert len(live_instances(aws.drs, ACCOUNT_A, other)) == 3
    # And a repeat returns the record and calls nothing
    status, again = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A)
    assert status == 200 and again["cleanup"] == cleanup
    assert len(requests) == 1


def test_cleanup_uses_a_session_limited_to_the_cleanup_calls(aws: Any) -> None:
    # Given a finished drill in another account than the deployment's own
    drill = finished_execution(plan_with_groups())
    # When it is cleaned up
    invoke_direct("cleanup_execution", {"accountId": ACCOUNT_A, "executionId": drill.executionId})
    # Then every cleanup call went through the account's DRS role with the cleanup session policy
    calls = [
        c for c in aws.drs.calls if c.operation in {"DescribeRecoveryInstances", "TerminateRecoveryInstances"}
    ]
    assert calls and all(
        c.account == ACCOUNT_A and "TerminateRecoveryInstances" in c.session_policy for c in calls
    )
    assert all("StartRecovery" not in c.session_policy for c in calls)


def test_a_recovery_is_refused_409_its_instances_are_production(aws: Any) -> None:
    recovery = finished_execution(plan_with_groups(), is_drill=False)
    requests = _terminations(aws)
    status, body = call_api("POST", f"/executions/{recovery.executionId}/cleanup", account=ACCOUNT_A)
    assert status == 409 and body["error"] == "CONFLICT"
    assert "RECOVERY" in body["message"] and "production" in body["message"]
    assert requests == [] and len(live_instances(aws.drs, ACCOUNT_A, recovery)) == 3


def test_a_running_execution_is_refused_409(aws: Any) -> None:
    running = finished_execution(plan_with_groups(), status="RUNNING")
    requests = _terminations(aws)
    status, body = call_api("POST", f"/executions/{running.executionId}/cleanup", account=ACCOUNT_A)
    assert status == 409 and "still RUNNING" in body["message"]
    assert requests == []


def test_another_accounts_execution_is_404_and_untouched(aws: Any) -> None:
    drill = finished_execution(plan_with_groups())
    requests = _terminations(aws)
    status, body = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_B)
    assert status == 404 and body["error"] == "NOT_FOUND"
    direct = invoke_direct("cleanup_execution", {"accountId": ACCOUNT_B, "executionId": drill.executionId})
    assert direct["error"] == "NOT_FOUND"
    assert requests == [] and len(live_instances(aws.drs, ACCOUNT_A, drill)) == 3


def test_direct_invocation_needs_requested_by(aws: Any) -> None:
    drill = finished_execution(plan_with_groups())
    body = {"accountId": ACCOUNT_A, "executionId": drill.executionId}
    refused = invoke_direct("cleanup_execution", body, requested_by=None)
    assert refused["error"] == "VALIDATION_ERROR" and "requestedBy" in refused["message"]
    done = invoke_direct("cleanup_execution", body, requested_by="runbook-42")
    assert done["cleanup"]["requestedBy"] == "runbook-42" and done["cleanup"]["requestedVia"] == "direct"


def test_two_concurrent_cleanups_terminate_each_instance_once(aws: Any) -> None:
    # Given a finished drill and a DRS that takes its time to terminate (a wide race window)
    drill = finished_execution(plan_with_groups(servers=(3, 2)))
    requests = _terminations(aws)
    slow = aws.drs.before

    def slowly(call: Call, body: dict[str, Any]) -> None:
        if call.operation == "TerminateRecoveryInstances":  # the other caller reads DRS meanwhile
            threading.Event().wait(0.3)
        slow(call, body)

    aws.drs.before = slowly
    results: list[Any] = []
    barrier = threading.Barrier(2)

    def clean(via: str) -> None:
        barrier.wait()
        if via == "api":
            results.append(call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A))
        else:
            body = {"accountId": ACCOUNT_A, "executionId": drill.executionId}
            results.append((200, invoke_direct("cleanup_execution", body)))

    # When two callers clean it up at once (real threads)
    threads = [threading.Thread(target=clean, args=(via,)) for via in ("api", "direct")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # Then both get 200 with a record, and each instance got exactly one termination request
    assert [status for status, _ in results] == [200, 200], results
    per_instance = Counter(i for request in requests for i in request)
    assert sorted(per_instance) == sorted(drill_instances(aws, drill)) and set(per_instance.values()) == {1}
    assert settle_cleanup(aws, drill.executionId).status == "COMPLETED"
    assert live_instances(aws.drs, ACCOUNT_A, drill) == []


def drill_instances(aws: Any, drill: Any) -> list[str]:
    job_ids = {j for w in drill.waves for j in w.jobIds}
    return [
        i["recoveryInstanceID"]
        for i in aws.drs.state()[ACCOUNT_A]["recoveryInstances"]
        if i["jobID"] in job_ids
    ]


def test_failed_after_retries_records_why_and_a_retry_terminates_only_what_is_left(
    aws: Any, no_backoff: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a drill of three instances, termination requests of at most two ids, and a DRS that
    # accepts the first request and then throttles every try (botocore retries each 8 times)
    monkeypatch.setattr("handlers.aws.recovery_instances.CHUNK", 2)
    drill = finished_execution(plan_with_groups(servers=(2, 1)))
    everything = live_instances(aws.drs, ACCOUNT_A, drill)
    requests: list[list[str]] = []
    throttling = {"on": True, "accepted": 0}

    def before(call: Call, body: dict[str, Any]) -> None:
        if call.operation != "TerminateRecoveryInstances":
            return
        if throttling["on"] and throttling["accepted"] >= 1:
            raise DrsError(429, "ThrottlingException", "Rate exceeded (simulated)")
        throttling["accepted"] += 1
        requests.append(list(body["recoveryInstanceIDs"]))

    aws.drs.before = before
    # When it is cleaned up
    status, body = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A)
    # Then the record is FAILED, names DRS's reason, and keeps what was terminated
    assert status == 200
    failed = body["cleanup"]
    assert failed["status"] == "FAILED", failed
    assert "TerminateRecoveryInstances" in failed["message"] and "ThrottlingException" in failed["message"]
    assert "attempts)" in failed["message"]  # botocore retried, with backoff
    assert failed["terminatedInstanceIds"] == requests[0] and len(requests[0]) == 2
    left = sorted(set(everything) - set(requests[0]))
    assert len(live_instances(aws.drs, ACCOUNT_A, drill)) == 3  # DRS is still terminating two
    # When DRS recovers and someone cleans up again
    throttling["on"] = False
    status, body = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A)
    # Then only what was left is requested, and the record completes with every id
    assert status == 200 and body["cleanup"]["status"] == "IN_PROGRESS", body
    assert requests[1:] == [left]
    done = settle_cleanup(aws, drill.executionId)
    assert done.status == "COMPLETED" and sorted(done.terminatedInstanceIds) == everything
    assert live_instances(aws.drs, ACCOUNT_A, drill) == []


def test_an_instance_terminated_outside_is_not_requested_again(aws: Any) -> None:
    # Given a drill one of whose instances someone already terminated in the DRS console
    drill = finished_execution(plan_with_groups(servers=(2,)))
    first, second = live_instances(aws.drs, ACCOUNT_A, drill)
    aws.drs.terminate_recovery_instances(ACCOUNT_A, {"recoveryInstanceIDs": [first]})
    requests = _terminations(aws)
    # When it is cleaned up
    status, body = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A)
    # Then only the other one is requested, and the cleanup completes once both are gone
    assert status == 200 and body["cleanup"]["status"] == "IN_PROGRESS"
    assert requests == [[second]] and body["cleanup"]["terminatedInstanceIds"] == [second]
    assert settle_cleanup(aws, drill.executionId).status == "COMPLETED"
    assert requests == [[second]] and live_instances(aws.drs, ACCOUNT_A, drill) == []


def _checks(aws: Any, execution_id: str) -> list[dict[str, Any]]:
    found = schedules(aws)
    return [
        {"at": s["ScheduleExpression"], **json.loads(s["Target"]["Input"])}
        for name, s in found.items()
        if name == f"cleanup-check-{execution_id}"
    ]


def test_cleanup_is_in_progress_until_a_scheduled_check_sees_every_instance_gone(aws: Any) -> None:
    # Given a finished drill of three instances, and a DRS that terminates them asynchronously
    drill = finished_execution(plan_with_groups())
    requests = _terminations(aws)
    # When it is cleaned up
    called = datetime.now(UTC)
    status, body = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A)
    # Then right after the call it is IN_PROGRESS, with the instances requested, and still running
    assert status == 200
    first = body["cleanup"]
    assert first["status"] == "IN_PROGRESS" and first["completedAt"] == ""
    assert len(first["terminatedInstanceIds"]) == 3 and "DRS is terminating 3" in first["message"]
    assert len(live_instances(aws.drs, ACCOUNT_A, drill)) == 3
    # And a check is scheduled (a one-time schedule running the orchestrator's cleanup_check), 30 s on
    [check] = _checks(aws, drill.executionId)
    assert check["task"] == "cleanup_check" and check["requestedAt"] == first["requestedAt"]
    assert check["attempt"] == 1
    at = datetime.fromisoformat(check["at"][3:-1]).replace(tzinfo=UTC)
    assert called + timedelta(seconds=29) <= at <= datetime.now(UTC) + timedelta(seconds=31)
    # When it fires while DRS is still terminating them
    fired = datetime.now(UTC)
    assert fire_due(aws, at) == [f"cleanup-check-{drill.executionId}"]
    # Then it is still IN_PROGRESS and the next check comes later (backing off: 60 s)
    record = call_api("GET", f"/executions/{drill.executionId}", account=ACCOUNT_A)[1]["cleanup"]
    assert record["status"] == "IN_PROGRESS"
    [again] = _checks(aws, drill.executionId)
    assert again["attempt"] == 2
    assert datetime.fromisoformat(again["at"][3:-1]).replace(tzinfo=UTC) >= fired + timedelta(seconds=59)
    # When it fires once DRS has terminated them
    assert fire_due(aws, datetime.now(UTC) + timedelta(minutes=2)) == [f"cleanup-check-{drill.executionId}"]
    # Then the cleanup COMPLETED, nothing else is scheduled, and nothing was requested twice
    status, shown = call_api("GET", f"/executions/{drill.executionId}", account=ACCOUNT_A)
    done = shown["cleanup"]
    assert done["status"] == "COMPLETED" and done["completedAt"] >= done["requestedAt"], done
    assert done["message"] == "terminated 3 recovery instance(s); none is left"
    assert live_instances(aws.drs, ACCOUNT_A, drill) == [] and _checks(aws, drill.executionId) == []
    assert len(requests) == 1


def test_a_second_call_while_in_progress_returns_the_record_and_terminates_nothing(aws: Any) -> None:
    # Given a drill whose cleanup waits for DRS to terminate its instances
    drill = finished_execution(plan_with_groups())
    requests = _terminations(aws)
    _, first = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A)
    assert first["cleanup"]["status"] == "IN_PROGRESS"
    # When someone cleans up again, through the API and by direct invocation
    status, again = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A)
    direct = invoke_direct("cleanup_execution", {"accountId": ACCOUNT_A, "executionId": drill.executionId})
    # Then both get the record as it is, and nothing was requested again
    assert status == 200 and again["cleanup"] == first["cleanup"] and direct["cleanup"] == first["cleanup"]
    assert len(requests) == 1
    assert len(_checks(aws, drill.executionId)) == 1


def test_instances_that_never_go_fail_the_cleanup_at_the_limit_naming_them(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a DRS that accepts the termination but never ends it
    aws.drs.terminate_after_polls = 10**9
    drill = finished_execution(plan_with_groups())
    everything = live_instances(aws.drs, ACCOUNT_A, drill)
    _, body = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A)
    requested_at = datetime.fromisoformat(body["cleanup"]["requestedAt"].replace("Z", "+00:00"))
    # When the checks run within the limit (30 min): still IN_PROGRESS, checked again later
    for _ in range(3):
        fire_due(aws, datetime.now(UTC) + timedelta(minutes=10))
    assert ExecutionRepository().get(drill.executionId).cleanup.status == "IN_PROGRESS"  # type: ignore[union-attr]
    [check] = _checks(aws, drill.executionId)
    assert check["attempt"] == 4
    # When the check at the limit runs (the product's clock 30 min after the request)
    limit = requested_at + timedelta(minutes=30)
    monkeypatch.setattr("handlers.cleanup.cleanup.now", lambda: limit)
    fire_due(aws, datetime.now(UTC) + timedelta(minutes=10))
    # Then the cleanup FAILED, naming every instance left, and nothing more is scheduled
    failed = ExecutionRepository().get(drill.executionId).cleanup  # type: ignore[union-attr]
    assert failed is not None and failed.status == "FAILED" and failed.completedAt
    assert "3 recovery instance(s) still there 30 min after" in failed.message
    assert all(i in failed.message for i in everything)
    assert _checks(aws, drill.executionId) == []


def test_the_checks_back_off_and_the_last_comes_at_the_limit(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a cleanup whose instances never go, checked with the production settings
    aws.drs.terminate_after_polls = 10**9
    drill = finished_execution(plan_with_groups(servers=(1,)))
    _, body = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A)
    requested_at = datetime.fromisoformat(body["cleanup"]["requestedAt"].replace("Z", "+00:00"))
    # When each check runs at its time (the product's clock following)
    gaps = []
    for _ in range(12):
        checks = _checks(aws, drill.executionId)
        if not checks:
            break
        at = datetime.fromisoformat(checks[0]["at"][3:-1]).replace(tzinfo=UTC)
        gaps.append(round((at - requested_at).total_seconds()))
        monkeypatch.setattr("handlers.cleanup.cleanup.now", lambda at=at: at)
        fire_due(aws, at)
    # Then they came 30 s, 60 s, ... apart, at most 5 min, the last one at the limit, which failed it
    offsets = [b - a for a, b in zip([0, *gaps], gaps, strict=False)]
    assert offsets[0] in (30, 31) and offsets[1:5] == [60, 120, 240, 300], offsets  # at() rounds up
    assert max(offsets) <= 301 and gaps[-1] in (1800, 1801)
    assert ExecutionRepository().get(drill.executionId).cleanup.status == "FAILED"  # type: ignore[union-attr]


def test_a_check_that_cannot_be_scheduled_fails_the_cleanup_saying_so(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a deployment whose schedule group is not configured
    from tests.conftest import reset_caches

    monkeypatch.delenv("SCHEDULE_GROUP_NAME")
    reset_caches()
    drill = finished_execution(plan_with_groups())
    requests = _terminations(aws)
    # When the drill is cleaned up
    _, body = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A)
    # Then termination was requested, and the record is FAILED saying the check is not scheduled
    failed = body["cleanup"]
    assert failed["status"] == "FAILED" and len(requests) == 1
    assert "could not be scheduled" in failed["message"] and "SCHEDULE_GROUP_NAME" in failed["message"]
    # And cleaning up again (the schedule fixed) requests nothing twice and completes
    monkeypatch.setenv("SCHEDULE_GROUP_NAME", "drs-chatops-test")
    reset_caches()
    _, again = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A)
    assert len(requests) == 1
    assert settle_cleanup(aws, drill.executionId).status == "COMPLETED"
    assert sorted(again["cleanup"]["terminatedInstanceIds"]) == sorted(failed["terminatedInstanceIds"])
