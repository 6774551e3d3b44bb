"""Drill cleanup (handlers/services/cleanup.py) on moto and the DRS emulator: it terminates exactly
the drill's recovery instances, verifies none is left, records it once, and refuses what it must."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest

from sandbox.drs import Call, DrsError
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.support.drills import finished_execution, live_instances, plan_with_groups
from tests.support.events import call_api, invoke_direct


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


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore still retries (8 attempts), without waiting between them."""
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, ctx: 0)
    monkeypatch.setattr("handlers.services.cleanup.VERIFY_DELAYS", (0.0,))


def test_cleanup_terminates_exactly_the_drills_instances_and_verifies(aws: Any) -> None:
    # Given two finished drills of one plan, each with three recovery instances running
    plan = plan_with_groups()
    drill = finished_execution(plan)
    other = finished_execution(plan)
    requests = _terminations(aws)
    before = live_instances(aws.drs, ACCOUNT_A, drill)
    assert len(before) == 3
    # When the first drill is cleaned up through the API
    status, body = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A)
    # Then its instances, and only those, were terminated in one request, and the record says so
    assert status == 200, body
    cleanup = body["cleanup"]
    assert cleanup["status"] == "COMPLETED", cleanup
    assert sorted(cleanup["terminatedInstanceIds"]) == before
    assert cleanup["requestedBy"] == "oncall@example.com" and cleanup["requestedVia"] == "api"
    assert cleanup["requestedAt"] <= cleanup["completedAt"]
    assert "none is left" in cleanup["message"]
    assert [sorted(r) for r in requests] == [before]
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
    monkeypatch.setattr("handlers.recovery_instances.CHUNK", 2)
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
    assert live_instances(aws.drs, ACCOUNT_A, drill) == left
    # When DRS recovers and someone cleans up again
    throttling["on"] = False
    status, body = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A)
    # Then only what was left is requested, and the record completes with every id
    assert status == 200 and body["cleanup"]["status"] == "COMPLETED", body
    assert requests[1:] == [left]
    assert sorted(body["cleanup"]["terminatedInstanceIds"]) == everything
    assert live_instances(aws.drs, ACCOUNT_A, drill) == []


def test_an_instance_terminated_outside_is_not_requested_again(aws: Any) -> None:
    # Given a drill one of whose instances someone already terminated in the DRS console
    drill = finished_execution(plan_with_groups(servers=(2,)))
    first, second = live_instances(aws.drs, ACCOUNT_A, drill)
    aws.drs.terminate_recovery_instances(ACCOUNT_A, {"recoveryInstanceIDs": [first]})
    requests = _terminations(aws)
    # When it is cleaned up
    status, body = call_api("POST", f"/executions/{drill.executionId}/cleanup", account=ACCOUNT_A)
    # Then only the other one is requested
    assert status == 200 and body["cleanup"]["status"] == "COMPLETED"
    assert requests == [[second]] and body["cleanup"]["terminatedInstanceIds"] == [second]
