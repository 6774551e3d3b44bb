"""A wave whose critical server failed to launch, when its plan says ``onWaveFailure: "pause"``: the
pause that offers Retry / Skip / Cancel, and what Retry and Skip do (Step Functions tasks
``wave_failed_pause``, ``retry_wave``, ``skip_wave``; cfn/statemachine/recovery-plan.asl.json).

A retry launches the wave's failed servers (critical and optional) again as the wave's next attempt.
The attempt, and which servers it launches, is recorded before anything is launched, and each
server is marked once its job started; a re-run of the task (Step Functions retries it while DRS
throttles or fails) launches only the servers of that attempt that have not started, so no server
is launched twice in one attempt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers import aws
from handlers.aws import drs
from handlers.core.errors import NotFoundError
from handlers.core.settings import get_settings
from handlers.core.timestamps import now_iso
from handlers.events.execution_events import announce
from handlers.events.notifications import callback_urls
from handlers.models.execution import (
    Decision,
    DecisionAction,
    Execution,
    RetryWaveTask,
    SkipWaveTask,
    WaveAttempt,
    WaveFailedPauseTask,
    WaveProgress,
)
from handlers.pauses import approvals
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.protection_groups import ProtectionGroupRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository
from handlers.runs import wave_launch
from handlers.runs.decision_record import believe
from handlers.runs.orchestration import stored_execution


def wave_failed_pause(task: WaveFailedPauseTask) -> dict[str, Any]:
    """Open the failed wave's pause and announce it with its Retry / Skip / Cancel links."""
    execution = stored_execution(task.executionId)
    wave = execution.waves[task.waveNumber - 1]
    if not get_settings().enable_pause_resume:  # nobody may decide: the wave fails the run as before
        announce(execution, "wave_fail", waveNumber=task.waveNumber, message=wave.message)
        aws.client("stepfunctions").send_task_failure(
            taskToken=task.taskToken, error="WaveFailed", cause=wave.message[:256]
        )
        return {"paused": False}
    plan = RecoveryPlanRepository().get(execution.planId)
    approval = approvals.open_approval(
        execution,
        task.waveNumber,
        task.taskToken,
        plan=plan,
        kind="wave_failed",
    )
    announce(
        stored_execution(task.executionId),
        "wave_failed_pause",
        waveNumber=task.waveNumber,
        message=wave.message,
        requestedAt=approval.createdAt,
        expiresAt=approval.expiresAt,
        quorum=approval.quorum,
        **callback_urls(approval.kind, approval.approvalId),
    )
    return {"paused": True}


# How a retry launches the attempt's servers: :func:`launch_attempt` (StartRecovery), unless the run
# launches its waves another way (a FAILBACK's on-premises wave: handlers/failback/launch.py).
Launcher = Callable[[Execution, WaveProgress], None]


def retry_wave(task: RetryWaveTask, launch: Launcher | None = None) -> dict[str, Any]:
    """Launch the failed servers of the wave again (this decision's attempt) with ``launch``
    (default :func:`launch_attempt`); the poll loop follows."""
    decision = _record(task.executionId, task.waveNumber, "retry")
    if decision is None:  # the execution ended meanwhile: nothing launches
        return {"attempt": 0}
    execution = stored_execution(task.executionId)
    wave, attempt = _attempt_for(execution.executionId, execution.waves[task.waveNumber - 1], decision)
    pending = [
        s.sourceServerId
        for s in wave.servers
        if s.attempt == attempt.attempt and s.launchStatus == "NOT_STARTED"
    ]
    if pending:
        (launch or launch_attempt)(execution, wave)
    return {"attempt": attempt.attempt}


def _attempt_for(
    execution_id: str, wave: WaveProgress, decision: Decision
) -> tuple[WaveProgress, WaveAttempt]:
    """The attempt ``decision`` started: recorded already (a re-run of the task), else recorded now,
    before anything launches, with the failed servers marked NOT_STARTED in it."""
    last = wave.attempts[-1] if wave.attempts else None
    if last is not None and (last.requestedAt, last.requestedBy) == (decision.decidedAt, decision.decidedBy):
        return wave, last
    number = (last.attempt if last else 1) + 1
    failed = [s.sourceServerId for s in wave.servers if s.launchStatus in {"FAILED", "NOT_STARTED"}]
    attempt = WaveAttempt(
        attempt=number,
        requestedBy=decision.decidedBy,
        requestedAt=decision.decidedAt,
        startTime=now_iso(),
        sourceServerIds=failed,
    )
    servers = [
        s.model_copy(update={"launchStatus": "NOT_STARTED", "attempt": number})
        if s.sourceServerId in failed
        else s
        for s in wave.servers
    ]
    retried = wave.model_copy(
        update={
            "status": "RUNNING",
            "retries": wave.retries + 1,
            "attempts": [*wave.attempts, attempt],
            "servers": servers,
            "endTime": "",
            "message": f"attempt {number}: launching again {', '.join(failed)}",
        }
    )
    ExecutionRepository().update_wave(execution_id, retried)
    return retried, attempt


def launch_attempt(execution: Execution, wave: WaveProgress) -> None:
    """Launch the attempt's servers within the DRS quotas (handlers/runs/wave_launch.py): what
    does not fit, or meets a DRS blip, waits for the poll loop that follows."""
    group = ProtectionGroupRepository().get(wave.protectionGroupId)
    plan = RecoveryPlanRepository().get(execution.planId)
    if group is None:
        raise NotFoundError(f"wave {wave.waveNumber}: its protection group no longer exists")
    client = drs.client_for(drs.target_for(group, plan, region=wave.region), execution.executionId)
    launched, error = wave_launch.launch_queued(client, execution, wave)
    if error is not None:
        wave_launch.ride_out(execution.executionId, launched, error)


def skip_wave(task: SkipWaveTask) -> dict[str, Any]:
    """Leave the failed wave as it is (SKIPPED, its failure kept in the message); the next wave runs."""
    decision = _record(task.executionId, task.waveNumber, "skip")
    wave = stored_execution(task.executionId).waves[task.waveNumber - 1]
    if decision is not None and wave.status != "SKIPPED":
        message = f"skipped by {decision.decidedBy} after it failed: {wave.message}"[:1000]
        skipped = wave.model_copy(update={"status": "SKIPPED", "message": message})
        ExecutionRepository().update_wave(task.executionId, skipped)
    return {"skipped": True}


def _record(execution_id: str, wave_number: int, action: DecisionAction) -> Decision | None:
    """The decision as the pause's approval knows it (handlers/runs/decision_record.py), recorded
    (and announced) unless its decider already did."""
    believed = believe(execution_id, action, wave_number)
    return believed.decision if believed is not None else None
