"""Retrying a failed on-premises FAILBACK wave (its pause's Retry): the attempt is the recovery's
bookkeeping (handlers/runs/wave_failures.py), but the servers launch with ``StartFailbackLaunch``
again, never ``StartRecovery``, and a re-run of the task launches none twice."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from handlers.core.timestamps import now_iso
from handlers.models.execution import Decision, Execution, ServerLaunch, WaveProgress
from handlers.repositories.executions import ExecutionRepository
from sandbox.data.drs_data import REGION, SourceServer
from sandbox.emulators.drs import Call
from tests.conftest import ACCOUNT_A
from tests.support.data import group_body, plan_body
from tests.support.drills import finished_execution
from tests.support.events import LambdaContext, call_api, invoke_direct
from tests.support.orchestration import wait_until


@pytest.fixture
def launches(aws: Any) -> list[tuple[str, list[str]]]:
    """(operation, recovery instances or source servers) of every DRS launch."""
    aws.drs.failback_after_polls = 1
    log: list[tuple[str, list[str]]] = []

    def before(call: Call, body: dict[str, Any]) -> None:
        if call.operation == "StartFailbackLaunch":
            log.append((call.operation, list(body.get("recoveryInstanceIDs") or [])))
        elif call.operation == "StartRecovery":
            log.append((call.operation, [s["sourceServerID"] for s in body.get("sourceServers") or []]))

    aws.drs.before = before
    return log


def _failed_on_premises_failback(aws: Any) -> tuple[Execution, list[dict[str, Any]]]:
    """A FAILBACK whose one on-premises wave launched its first instance and failed its second,
    retried by an approver (the decision on the record, as the pause's Retry leaves it)."""
    servers = [f"s-{0xFB0C0 + n:017x}" for n in range(2)]
    for sid in servers:
        aws.drs.estate.add(SourceServer(ACCOUNT_A, sid, f"{sid}.onprem.example", on_premises=True))
    group = call_api(
        "POST", "/protection-groups", {**group_body("On premises", 0), "sourceServerIds": servers}
    )[1]
    body = plan_body([group["groupId"]], name="On-prem failover")
    body["waves"][0]["pauseBeforeExecution"] = False
    plan = call_api("POST", "/recovery-plans", body)[1]
    recovery = finished_execution(plan, is_drill=False)
    ref = {"accountId": ACCOUNT_A, "executionId": recovery.executionId}
    invoke_direct("reverse_replication", ref)
    view = wait_until(lambda: (v := invoke_direct("get_failback", ref))["ready"] and v, 10)
    assert view, "on-premises instances never ready"
    first, second = view["servers"]
    failback = Execution(
        executionId=str(uuid.uuid4()),
        planId=plan["planId"],
        planName=plan["planName"],
        accountId=ACCOUNT_A,
        isDrill=False,
        mode="FAILBACK",
        failbackOf=recovery.executionId,
        startedBy="@oncall",
        startedVia="slack",
        startTime=now_iso(),
        waves=[
            WaveProgress(
                waveNumber=1,
                protectionGroupId=group["groupId"],
                protectionGroupName=group["groupName"],
                status="FAILED",
                region=REGION,
                jobIds=["drsjob-00000000000000001"],
                servers=[
                    ServerLaunch(
                        sourceServerId=first["sourceServerId"],
                        recoveryInstanceId=first["recoveryInstanceId"],
                        launchStatus="LAUNCHED",
                    ),
                    ServerLaunch(
                        sourceServerId=second["sourceServerId"],
                        recoveryInstanceId=second["recoveryInstanceId"],
                        launchStatus="FAILED",
                    ),
                ],
            )
        ],
        decisions=[
            Decision(
                action="retry", decidedBy="@approver", channel="slack", decidedAt=now_iso(), waveNumber=1
            )
        ],
    )
    ExecutionRepository().insert(failback)
    return failback, view["servers"]


def test_retrying_an_on_premises_failback_wave_launches_with_start_failback_launch_once(
    aws: Any, launches: list[tuple[str, list[str]]]
) -> None:
    from handlers.orchestrator import lambda_handler as orchestrator

    # Given a FAILBACK whose on-premises wave failed one of its two instances, and the Retry decided
    failback, servers = _failed_on_premises_failback(aws)
    launches.clear()
    task = {"task": "retry_wave", "executionId": failback.executionId, "waveNumber": 1}
    # When Step Functions runs the retry task (and runs it again, as its Retry does after a blip)
    assert orchestrator(task, LambdaContext())["attempt"] == 2
    orchestrator(task, LambdaContext())
    # Then only the failed instance was failed back again, with StartFailbackLaunch, once
    assert launches == [("StartFailbackLaunch", [servers[1]["recoveryInstanceId"]])]
    # and the wave records attempt 2 with its job, the retried server PENDING, the other as it was
    wave = ExecutionRepository().get(failback.executionId).waves[0]  # type: ignore[union-attr]
    assert [a.attempt for a in wave.attempts] == [2] and len(wave.attempts[0].jobIds) == 1
    assert wave.attempts[0].jobIds[0] in wave.jobIds and len(wave.jobIds) == 2
    by_id = {s.sourceServerId: s for s in wave.servers}
    assert (
        by_id[servers[1]["sourceServerId"]].launchStatus,
        by_id[servers[1]["sourceServerId"]].attempt,
    ) == (
        "PENDING",
        2,
    )
    assert by_id[servers[0]["sourceServerId"]].launchStatus == "LAUNCHED"
