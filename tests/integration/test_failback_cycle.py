"""The whole way home on moto's Step Functions and the DRS emulator: a RECOVERY reversed, READY,
failed back by a FAILBACK execution (StartRecovery in the origin region; on premises
StartFailbackLaunch), FAILED_BACK, re-protected, and only then cleaned up. Racing starts make one
FAILBACK execution and the loser is told which; a start before every server is ready is 409
NOT_READY naming them."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from handlers.models.execution import TERMINAL_STATUSES, Execution
from handlers.repositories.executions import ExecutionRepository
from sandbox.data.drs_data import ORIGIN_REGION, REGION, SourceServer
from tests.conftest import ACCOUNT_A
from tests.support.data import group_body, plan_body
from tests.support.drills import finished_execution, plan_with_groups
from tests.support.drs import log_failback_calls
from tests.support.events import call_api, invoke_direct
from tests.support.orchestration import wait_until
from tests.support.schedules import settle_cleanup, use_scheduler
from tests.support.state_machine import answer_state_machine_starts


@pytest.fixture
def drs_log(aws: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(operation, recovery instance) of every DRS call that moves failback; it advances by reads."""
    use_scheduler(aws, monkeypatch)
    return log_failback_calls(aws.drs)


def ended(execution_id: str, timeout: float = 60) -> Execution:
    def done() -> Execution | None:
        execution = ExecutionRepository().get(execution_id)
        return execution if execution is not None and execution.status in TERMINAL_STATUSES else None

    found = wait_until(done, timeout, interval=0.3)
    assert found is not None, f"execution {execution_id} did not end"
    return found  # type: ignore[no-any-return]


def failed_back(execution_id: str) -> dict[str, Any]:
    """The original's view once the FAILBACK run's finish task moved it (just after the run's end)."""
    view = wait_until(
        lambda: (
            (v := call_api("GET", f"/executions/{execution_id}/failback")[1])["status"] != "FAILING_BACK"
            and v
        ),
        10,
    )
    assert view, "still FAILING_BACK"
    return view  # type: ignore[no-any-return]


def ready(execution_id: str) -> dict[str, Any]:
    invoke_direct("reverse_replication", {"accountId": ACCOUNT_A, "executionId": execution_id})
    view = wait_until(
        lambda: (v := call_api("GET", f"/executions/{execution_id}/failback")[1])["ready"] and v, 10
    )
    assert view, "never ready"
    return view  # type: ignore[no-any-return]


def test_recovery_fails_back_is_reprotected_and_only_then_cleaned_up(
    aws: Any, orchestration: Any, drs_log: list[tuple[str, str]]
) -> None:
    # Given a RECOVERY of two waves, reversed and READY
    recovery = finished_execution(plan_with_groups(ACCOUNT_A, servers=(2, 1)), is_drill=False)
    view = ready(recovery.executionId)
    reversed_ids = {s["reversedSourceServerId"] for s in view["servers"]}
    # and its cleanup is still refused (its instances are production)
    status, body = call_api("POST", f"/executions/{recovery.executionId}/cleanup")
    assert status == 409 and "re-protected" in body["message"]
    # When failback starts with a reason
    status, started = call_api(
        "POST", f"/executions/{recovery.executionId}/failback", {"reason": "origin is back"}
    )
    # Then a FAILBACK execution runs the plan's waves over the reversed servers in the origin region
    assert status == 201, started
    assert started["mode"] == "FAILBACK" and started["failbackOf"] == recovery.executionId
    assert {s["sourceServerId"] for w in started["waves"] for s in w["servers"]} == reversed_ids
    assert {w["region"] for w in started["waves"]} == {ORIGIN_REGION}
    assert call_api("GET", f"/executions/{recovery.executionId}/failback")[1]["status"] == "FAILING_BACK"
    failback = ended(started["executionId"])
    assert failback.status == "SUCCEEDED", failback.statusReason
    assert all(s.launchStatus == "LAUNCHED" for w in failback.waves for s in w.servers)
    # and the original is FAILED_BACK, announced once, started announced once
    original = failed_back(recovery.executionId)
    assert original["status"] == "FAILED_BACK" and original["failbackExecutionId"] == failback.executionId
    events = orchestration.event_types()
    assert events.count("failback_started") == 1 and events.count("failback_completed") == 1
    # and the original's report links its FAILBACK, whose report says what it failed back
    status, report = call_api("GET", f"/executions/{recovery.executionId}/report")
    assert status == 200 and report["mode"] == "RECOVERY", report
    assert report["failback"] == {
        "status": "FAILED_BACK",
        "failbackExecutionId": failback.executionId,
        "failbackOf": "",
    }
    report = call_api("GET", f"/executions/{failback.executionId}/report")[1]
    assert report["mode"] == "FAILBACK" and report["failback"]["failbackOf"] == recovery.executionId
    # When the FAILBACK is re-protected (twice: each instance reversed once)
    reversals_before = sum(1 for op, _ in drs_log if op == "ReverseReplication")
    first = invoke_direct(
        "reverse_replication", {"accountId": ACCOUNT_A, "executionId": failback.executionId}
    )
    invoke_direct("reverse_replication", {"accountId": ACCOUNT_A, "executionId": failback.executionId})
    reprotects = [i for op, i in drs_log if op == "ReverseReplication"][reversals_before:]
    assert len(reprotects) == len(set(reprotects)) == 3
    # Then both records say REPROTECTED
    assert first["status"] == "REPROTECTED"
    assert call_api("GET", f"/executions/{recovery.executionId}")[1]["failback"]["status"] == "REPROTECTED"
    # and the recovery region may now be cleaned up: its instances terminated
    status, body = call_api("POST", f"/executions/{recovery.executionId}/cleanup")
    assert status == 200, body
    cleanup = settle_cleanup(aws, recovery.executionId)
    assert cleanup.status == "COMPLETED" and len(cleanup.terminatedInstanceIds) == 3


def test_a_start_before_every_server_is_ready_is_not_ready_naming_them(aws: Any, drs_log: Any) -> None:
    # Given a RECOVERY not reversed yet
    recovery = finished_execution(plan_with_groups(ACCOUNT_A, servers=(2,)), is_drill=False)
    calls_before = len(drs_log)
    # When failback is asked
    status, body = call_api("POST", f"/executions/{recovery.executionId}/failback")
    # Then it is 409 NOT_READY listing each server, and nothing was launched
    assert status == 409 and body["error"] == "NOT_READY", body
    assert len(body["servers"]) == 2 and all(not s["ready"] for s in body["servers"])
    assert not [op for op, _ in drs_log[calls_before:] if op in ("StartRecovery", "StartFailbackLaunch")]


def test_racing_starts_make_one_failback_and_the_loser_is_told_which(
    aws: Any, orchestration: Any, drs_log: Any
) -> None:
    # Given a READY recovery
    recovery = finished_execution(plan_with_groups(ACCOUNT_A, servers=(1,)), is_drill=False)
    ready(recovery.executionId)
    results: list[tuple[int, Any]] = []
    gate = threading.Barrier(4)

    def start() -> None:
        gate.wait()
        results.append(call_api("POST", f"/executions/{recovery.executionId}/failback"))

    # When four callers start failback at once
    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then one FAILBACK execution was made, and every loser is told which
    winners = [body for status, body in results if status == 201]
    losers = [body for status, body in results if status != 201]
    assert len(winners) == 1 and len(losers) == 3, results
    assert all(b["error"] == "CONFLICT" and winners[0]["executionId"] in b["message"] for b in losers)
    runs = [e for e in ExecutionRepository().page(ACCOUNT_A, limit=50).items if e.mode == "FAILBACK"]
    assert [e.executionId for e in runs] == [winners[0]["executionId"]]
    assert ended(winners[0]["executionId"]).status == "SUCCEEDED"


def test_an_on_premises_recovery_fails_back_with_start_failback_launch(
    aws: Any, orchestration: Any, drs_log: list[tuple[str, str]]
) -> None:
    # Given a RECOVERY of two on-premises servers (their Failback Clients report ready)
    servers = [f"s-{0xF00D0 + n:017x}" for n in range(2)]
    for sid in servers:
        aws.drs.estate.add(SourceServer(ACCOUNT_A, sid, f"{sid}.onprem.example", on_premises=True))
    group = call_api(
        "POST", "/protection-groups", {**group_body("On premises", 0), "sourceServerIds": servers}
    )[1]
    body = plan_body([group["groupId"]], name="On-prem failover")
    body["waves"][0]["pauseBeforeExecution"] = False
    plan = call_api("POST", "/recovery-plans", body)[1]
    recovery = finished_execution(plan, is_drill=False)
    calls_before = len(drs_log)
    # When reverse replication is asked: nothing of theirs is reversed (their clients drive it)
    first = invoke_direct(
        "reverse_replication", {"accountId": ACCOUNT_A, "executionId": recovery.executionId}
    )
    assert {s["origin"] for s in first["servers"]} == {"ON_PREMISES"}
    assert not [op for op, _ in drs_log if op == "ReverseReplication"]
    view = wait_until(
        lambda: (
            (
                v := invoke_direct(
                    "get_failback", {"accountId": ACCOUNT_A, "executionId": recovery.executionId}
                )
            )["ready"]
            and v
        ),
        10,
    )
    assert view and {s["state"] for s in view["servers"]} == {"FAILBACK_READY_FOR_LAUNCH"}
    # and failback starts
    started = invoke_direct("start_failback", {"accountId": ACCOUNT_A, "executionId": recovery.executionId})
    # Then the FAILBACK wave launches the recovery instances with StartFailbackLaunch in the recovery region
    assert [w["region"] for w in started["waves"]] == [REGION]
    failback = ended(started["executionId"])
    assert failback.status == "SUCCEEDED", failback.statusReason
    launches = [op for op, _ in drs_log[calls_before:] if op in ("StartRecovery", "StartFailbackLaunch")]
    assert launches == ["StartFailbackLaunch"]
    assert failed_back(recovery.executionId)["status"] == "FAILED_BACK"


def test_a_failback_stopped_while_it_ran_frees_its_recovery_to_fail_back_again(
    aws: Any, drs_log: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a READY recovery whose failback was started, the FAILBACK run claiming it
    from handlers.runs.lifecycle import finish_execution

    recovery = finished_execution(plan_with_groups(ACCOUNT_A, servers=(1,)), is_drill=False)
    ready(recovery.executionId)
    from tests.conftest import reset_caches

    answer_state_machine_starts(monkeypatch, ACCOUNT_A)  # the run is stopped, never finished
    reset_caches()
    status, started = call_api("POST", f"/executions/{recovery.executionId}/failback")
    assert status == 201, started
    # When the FAILBACK ends without its state machine's finish (cancelled while it ran: StopExecution)
    assert finish_execution(started["executionId"], "CANCELLED", reason="stopped while it ran")
    # Then the recovery's view no longer says FAILING_BACK: it may fail back again
    view = invoke_direct("get_failback", {"accountId": ACCOUNT_A, "executionId": recovery.executionId})
    assert view["status"] == "READY" and view["ready"], view


def test_stop_failback_of_an_ec2_origin_recovery_is_refused_and_calls_nothing(
    aws: Any, drs_log: list[tuple[str, str]]
) -> None:
    # Given a READY recovery whose servers ran on EC2 (their way home is reversed replication)
    recovery = finished_execution(plan_with_groups(ACCOUNT_A, servers=(1,)), is_drill=False)
    ready(recovery.executionId)
    calls_before = len(drs_log)
    # When StopFailback is asked for it
    status, body = call_api("POST", f"/executions/{recovery.executionId}/failback/stop")
    # Then 409 says it applies on premises only, DRS is not called and the recovery is still READY
    assert status == 409 and "on-premises failback only" in body["message"], body
    assert drs_log[calls_before:] == []
    assert call_api("GET", f"/executions/{recovery.executionId}/failback")[1]["status"] == "READY"
