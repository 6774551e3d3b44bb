"""Finished executions with real DRS jobs behind them, without running the state machine: a plan
(through the API), its waves' jobs started in the DRS emulator (tests/support/drs.py) through the
product's own DRS client, and the execution record as the orchestrator would have left it."""

from __future__ import annotations

import uuid
from typing import Any

from handlers.aws import drs
from handlers.models.execution import Execution, ServerLaunch, WaveProgress
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.protection_groups import ProtectionGroupRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository
from tests.conftest import ACCOUNT_A
from tests.support.data import group_body, plan_body
from tests.support.events import call_api


def plan_with_groups(
    account: str = ACCOUNT_A, servers: tuple[int, ...] = (2, 1), **extra: Any
) -> dict[str, Any]:
    groups = []
    for number, count in enumerate(servers, start=1):
        status, group = call_api(
            "POST", "/protection-groups", group_body(f"Tier {number}", count), account=account
        )
        assert status == 201, group
        groups.append(group)
    body = plan_body([g["groupId"] for g in groups], **extra)
    for wave in body["waves"]:
        wave["pauseBeforeExecution"] = False
    status, plan = call_api("POST", "/recovery-plans", body, account=account)
    assert status == 201, plan
    return dict(plan)


def finished_execution(
    plan: dict[str, Any], *, is_drill: bool = True, status: str = "SUCCEEDED", launched: bool = True
) -> Execution:
    """An execution of ``plan`` whose waves each started one DRS job (completed when ``launched``)."""
    execution_id = str(uuid.uuid4())
    stored_plan = RecoveryPlanRepository().get(plan["planId"])
    assert stored_plan is not None
    waves = []
    for wave in stored_plan.waves:
        group = ProtectionGroupRepository().get(wave.protectionGroupId)
        assert group is not None
        client = drs.client_for(drs.target_for(group, stored_plan), execution_id)
        tags = {"drs-chatops:execution": execution_id}
        job_ids = [drs.start_job(client, group.sourceServerIds, is_drill=is_drill, tags=tags, snapshots={})]
        if launched:
            while any(j["status"] != "COMPLETED" for j in drs.describe_jobs(client, job_ids)):
                pass
        waves.append(
            WaveProgress(
                waveNumber=wave.waveNumber,
                protectionGroupId=group.groupId,
                protectionGroupName=group.groupName,
                status="COMPLETED",
                region=group.region,
                jobIds=job_ids,
                servers=[
                    ServerLaunch(sourceServerId=s, launchStatus="LAUNCHED") for s in group.sourceServerIds
                ],
            )
        )
    execution = Execution(
        executionId=execution_id,
        planId=stored_plan.planId,
        planName=stored_plan.planName,
        accountId=stored_plan.accountId,
        status=status,  # type: ignore[arg-type]
        isDrill=is_drill,
        startedBy="test",
        startedVia="api",
        startTime="2026-12-01T10:00:00.000000Z",
        endTime="" if status == "RUNNING" else "2026-12-01T10:20:00.000000Z",
        waves=waves,
    )
    ExecutionRepository().insert(execution)
    return execution


def live_instances(drs_emulator: Any, account: str, execution: Execution) -> list[str]:
    """The recovery instances of ``execution``'s jobs that the emulator still runs."""
    job_ids = {j for w in execution.waves for j in w.jobIds}
    instances = drs_emulator.state()[account]["recoveryInstances"]
    return sorted(
        i["recoveryInstanceID"] for i in instances if i["jobID"] in job_ids and i["state"] != "TERMINATED"
    )
