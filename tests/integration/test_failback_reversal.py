"""Reverse replication and the failback view (handlers/failback/) on moto and the DRS emulator:
each EC2-origin recovery instance reversed exactly once however often it is asked, DRS refusals
recorded per server and retried alone, the origin region from the source's properties, the move to
READY announced once, and every refusal (drill, unfinished run, another account) calling nothing."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from sandbox.data.drs_data import ORIGIN_REGION
from sandbox.emulators.drs import Call, DrsError
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.support.drills import finished_execution, plan_with_groups
from tests.support.events import call_api, invoke_direct


def reversals(aws: Any) -> list[str]:
    """Every recovery instance ReverseReplication was asked for, in order (``drs_by_reads``)."""
    return list(aws.drs.reversal_log)


@pytest.fixture
def drs_by_reads(aws: Any) -> Any:
    """Reversed replications and Failback Clients advance by reads (not the clock); every
    ReverseReplication request is logged (``reversal_log``) before any ``before`` a test sets."""
    aws.drs.failback_after_polls = 1
    aws.drs.reversal_log = []
    aws.drs.test_before = None

    def before(call: Call, body: dict[str, Any]) -> None:
        if call.operation == "ReverseReplication":
            aws.drs.reversal_log.append(body["recoveryInstanceID"])
        if aws.drs.test_before is not None:
            aws.drs.test_before(call, body)

    aws.drs.before = before
    return aws.drs


def recovery(account: str = ACCOUNT_A, servers: tuple[int, ...] = (2, 1)) -> Any:
    plan = plan_with_groups(account, servers=servers)
    return finished_execution(plan, is_drill=False)


def test_reverse_replication_reverses_each_instance_once_however_often_called(
    aws: Any, drs_by_reads: Any
) -> None:
    # Given a RECOVERY that launched three servers of EC2 origin
    execution = recovery()
    # When reverse replication is asked three times, by REST and direct invocation
    status, first = call_api("POST", f"/executions/{execution.executionId}/reverse-replication")
    second = invoke_direct(
        "reverse_replication", {"accountId": ACCOUNT_A, "executionId": execution.executionId}
    )
    status_again, third = call_api("POST", f"/executions/{execution.executionId}/reverse-replication")
    # Then DRS reversed each of the three recovery instances exactly once
    assert status == status_again == 200, first
    counts = Counter(reversals(aws))
    assert len(counts) == 3 and set(counts.values()) == {1}
    # and each server records its reversed source server in the origin region
    for view in (first, second, third):
        assert {s["origin"] for s in view["servers"]} == {"AWS"}
        assert all(s["reversal"] == "REVERSED" and s["reversedSourceServerId"] for s in view["servers"])
        assert {s["originRegion"] for s in view["servers"]} == {ORIGIN_REGION}
        assert {s["recoveryInstanceId"] for s in view["servers"]} == set(counts)


def test_the_view_turns_ready_once_reversed_servers_replicate_and_says_so_once(
    aws: Any, drs_by_reads: Any, orchestration: Any
) -> None:
    # Given a RECOVERY whose instances were reversed (replication not continuous yet)
    execution = recovery()
    first = invoke_direct(
        "reverse_replication", {"accountId": ACCOUNT_A, "executionId": execution.executionId}
    )
    assert first["status"] == "REVERSING" and not first["ready"]
    # When the view is read until DRS says every reversed server is in continuous replication
    views = [call_api("GET", f"/executions/{execution.executionId}/failback")[1] for _ in range(4)]
    # Then it says READY, every server ready, with its replication state
    assert views[-1]["status"] == "READY" and views[-1]["ready"] and views[-1]["notReady"] == []
    assert {s["state"] for s in views[-1]["servers"]} == {"CONTINUOUS"}
    # and failback_ready was announced once
    assert orchestration.event_types().count("failback_ready") == 1


def test_a_refused_reversal_is_recorded_per_server_and_only_it_is_retried(
    aws: Any, drs_by_reads: Any
) -> None:
    # Given DRS throttles the reversal of one instance, once
    execution = recovery(servers=(3,))
    refused: list[str] = []

    def refuse_once(call: Call, body: dict[str, Any]) -> None:
        if call.operation == "ReverseReplication" and not refused:
            refused.append(body["recoveryInstanceID"])
            raise DrsError(409, "ConflictException", "simulated: the instance is busy")

    aws.drs.test_before = refuse_once
    # When reverse replication is asked
    view = invoke_direct(
        "reverse_replication", {"accountId": ACCOUNT_A, "executionId": execution.executionId}
    )
    # Then that server is FAILED with DRS's message and the others are reversed
    failed = [s for s in view["servers"] if s["reversal"] == "FAILED"]
    assert [s["recoveryInstanceId"] for s in failed] == refused
    assert "ConflictException" in failed[0]["message"] and "busy" in failed[0]["message"]
    assert sum(1 for s in view["servers"] if s["reversal"] == "REVERSED") == 2
    # When it is asked again: only the refused one is asked of DRS again
    before_retry = len(reversals(aws))
    again = invoke_direct(
        "reverse_replication", {"accountId": ACCOUNT_A, "executionId": execution.executionId}
    )
    assert reversals(aws)[before_retry:] == refused
    assert {s["reversal"] for s in again["servers"]} == {"REVERSED"}


@pytest.mark.parametrize(
    ("is_drill", "status"),
    [(True, "SUCCEEDED"), (False, "RUNNING"), (False, "FAILED")],
)
def test_drills_and_unfinished_recoveries_are_refused_and_nothing_is_called(
    aws: Any, is_drill: bool, status: str
) -> None:
    # Given a drill, or a recovery still running or failed
    plan = plan_with_groups(ACCOUNT_A)
    execution = finished_execution(plan, is_drill=is_drill, status=status)
    calls_before = len(aws.drs.calls)
    # When any failback operation is asked
    for method, path in (
        ("POST", "reverse-replication"),
        ("GET", "failback"),
        ("POST", "failback"),
        ("POST", "failback/stop"),
    ):
        code, body = call_api(method, f"/executions/{execution.executionId}/{path}")
        # Then it is a 409 that says why
        assert code == 409, (path, body)
        assert ("drill" in body["message"]) if is_drill else (status in body["message"])
    # and DRS was not called at all
    assert aws.drs.calls[calls_before:] == []


def test_another_accounts_execution_is_not_found_and_nothing_is_called(aws: Any) -> None:
    # Given a RECOVERY of account A
    execution = recovery()
    calls_before = len(aws.drs.calls)
    # When account B asks for any failback operation on it
    for method, path in (("POST", "reverse-replication"), ("GET", "failback"), ("POST", "failback")):
        code, body = call_api(method, f"/executions/{execution.executionId}/{path}", account=ACCOUNT_B)
        # Then it is not found, worded like a missing one
        assert code == 404 and body["message"] == f"execution {execution.executionId} not found"
    assert aws.drs.calls[calls_before:] == []


def test_bad_input_names_the_field(aws: Any) -> None:
    code, body = call_api("POST", "/executions/x/failback", {"reason": "a\nb"})
    assert code == 400 and "reason" in body["message"]
    code, body = call_api("POST", "/executions/x/failback", {"surprise": 1})
    assert code == 400 and "surprise" in body["message"]


def test_racing_reverse_replication_calls_reverse_each_instance_exactly_once(
    aws: Any, drs_by_reads: Any
) -> None:
    # Given a RECOVERY that launched twelve servers of EC2 origin
    execution = recovery(servers=(6, 6))
    # When six callers ask for reverse replication at the same moment (two channels, double clicks)
    from concurrent.futures import ThreadPoolExecutor

    body = {"accountId": ACCOUNT_A, "executionId": execution.executionId}
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: invoke_direct("reverse_replication", body), range(6)))
    # Then DRS reversed each recovery instance exactly once, and every caller got the view
    counts = Counter(reversals(aws))
    assert len(counts) == 12 and set(counts.values()) == {1}, counts
    assert all(answer.get("servers") for answer in answers), answers
    # and the record holds each instance's one reversed source server
    final = invoke_direct("get_failback", body)
    assert {s["recoveryInstanceId"] for s in final["servers"]} == set(counts)
    assert all(s["reversal"] == "REVERSED" and s["reversedSourceServerId"] for s in final["servers"])
