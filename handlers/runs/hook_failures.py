"""A wave whose hook (not optional) failed, when its plan says ``onWaveFailure: "pause"``: the pause
that offers Retry / Skip / Cancel, and what Retry and Skip do (Step Functions tasks
``hook_failed_pause``, ``retry_hook``, ``skip_hook``; cfn/statemachine/recovery-plan.asl.json). The
failed wave's pause (handlers/runs/wave_failures.py) is the model: the same approvals, quorum,
reasons and exactly-once rules, one decision recorded by its one writer (handlers/runs/decision_record.py).

Retry runs the failed hook again as its next attempt (never the wave's servers); Skip records the
hook SKIPPED and the wave goes on with its next hook. Both are recorded on the hook's run before the
state machine goes on, and a re-run of either task (Step Functions retries a task whose Lambda
failed) changes nothing more: the retry's attempt carries the decision's time."""

from __future__ import annotations

from typing import Any

from handlers import aws
from handlers.core.settings import get_settings
from handlers.events.execution_events import announce
from handlers.events.notifications import callback_urls
from handlers.hooks import runner
from handlers.models.execution import (
    Decision,
    DecisionAction,
    HookFailedPauseTask,
    RetryHookTask,
    SkipHookTask,
)
from handlers.models.hooks import HookRun, Phase
from handlers.pauses import approvals
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository
from handlers.runs.decision_record import believe


def failed_run(execution_id: str, wave_number: int, phase: Phase) -> tuple[Any, HookRun | None]:
    """The wave as stored, and the failed attempt of the first hook of ``phase`` not settled."""
    wave = runner.stored(execution_id).waves[wave_number - 1]
    found = runner.unsettled(wave, phase)
    run = found[1] if found is not None else None
    return wave, (run if run is not None and run.failed() else None)


def hook_failed_pause(task: HookFailedPauseTask) -> dict[str, Any]:
    """Open the failed hook's pause and announce it with its message and Retry / Skip / Cancel links."""
    execution = runner.stored(task.executionId)
    wave, run = failed_run(task.executionId, task.waveNumber, task.phase)
    message = wave.message if run is None else runner.result_line(run)
    if not get_settings().enable_pause_resume or run is None:  # nobody may decide: the run fails
        aws.client("stepfunctions").send_task_failure(
            taskToken=task.taskToken, error="HookFailed", cause=message[:256]
        )
        return {"paused": False}
    plan = RecoveryPlanRepository().get(execution.planId)
    approval = approvals.open_approval(
        execution, task.waveNumber, task.taskToken, plan=plan, kind="hook_failed", failed_hook=run.name
    )
    announce(
        runner.stored(task.executionId),
        "hook_failed_pause",
        waveNumber=task.waveNumber,
        message=message,
        requestedAt=approval.createdAt,
        expiresAt=approval.expiresAt,
        quorum=approval.quorum,
        **callback_urls(approval.kind, approval.approvalId),
    )
    return {"paused": True}


def retry_hook(task: RetryHookTask) -> dict[str, Any]:
    """Record the failed hook's next attempt (PENDING, carrying who asked and when); ``run_hook``
    runs it next."""
    decision = _record(task.executionId, task.waveNumber, "retry")
    wave, run = failed_run(task.executionId, task.waveNumber, task.phase)
    if decision is None or run is None:  # the run ended meanwhile, or a re-run found it recorded
        return {"attempt": 0}
    again = HookRun(
        name=run.name,
        type=run.type,
        phase=run.phase,
        attempt=run.attempt + 1,
        optional=run.optional,
        requestedBy=decision.decidedBy,
        requestedAt=decision.decidedAt,
    )
    restored = wave.model_copy(update={"message": f"retrying hook {run.name} (attempt {again.attempt})"})
    ExecutionRepository().update_wave(task.executionId, runner.with_run(restored, again))
    return {"attempt": again.attempt}


def skip_hook(task: SkipHookTask) -> dict[str, Any]:
    """Record the failed hook SKIPPED (its failure kept in its message); the wave goes on."""
    decision = _record(task.executionId, task.waveNumber, "skip")
    wave, run = failed_run(task.executionId, task.waveNumber, task.phase)
    if decision is None or run is None:
        return {"skipped": False}
    skipped = run.model_copy(
        update={
            "status": "SKIPPED",
            "message": f"skipped by {decision.decidedBy} after: {run.message}"[:1000],
        }
    )
    wave = runner.with_run(
        wave.model_copy(update={"message": f"hook {run.name} skipped by {decision.decidedBy}"}), skipped
    )
    ExecutionRepository().update_wave(task.executionId, wave)
    return {"skipped": True}


def _record(execution_id: str, wave_number: int, action: DecisionAction) -> Decision | None:
    believed = believe(execution_id, action, wave_number)
    return believed.decision if believed is not None else None
