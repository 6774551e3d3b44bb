"""Executions: start a plan, read progress (deciding and cancelling: handlers.runs.decisions)."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

from handlers import aws
from handlers.accounts.account_context import Caller, identity_keys
from handlers.aws.snapshots import Snapshot, parse_point_in_time
from handlers.core.errors import ConflictError, NotFoundError, NotReadyError, ValidationError
from handlers.core.observability import logger
from handlers.core.settings import get_settings
from handlers.models.execution import Execution, ServerLaunch, WaveProgress
from handlers.models.readiness import Check
from handlers.models.recovery_plan import RecoveryPlan
from handlers.plans.recovery_plans import get_recovery_plan
from handlers.repositories.dynamo import Page
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository
from handlers.runs.lifecycle import finish_execution, release_if_ended

if TYPE_CHECKING:
    from handlers.readiness.readiness import Assessment
from handlers.core.timestamps import format_iso, now, now_iso

MAX_RECORDED_FAILURES = 20  # failing checks a forced execution keeps (and its announcement shows)


def get_execution(caller: Caller, execution_id: str) -> Execution:
    execution = ExecutionRepository().get(execution_id)
    if execution is None or execution.accountId != caller.account_id:
        raise NotFoundError(f"execution {execution_id} not found")
    return execution


def list_executions(caller: Caller, *, limit: int = 50, next_token: str | None = None) -> Page[Execution]:
    return ExecutionRepository().page(caller.account_id, limit=limit, token=next_token)


def start_execution(
    caller: Caller,
    plan_id: str,
    *,
    is_drill: bool = True,
    force: bool = False,
    point_in_time: str | None = None,
) -> Execution:
    """Start the plan if its readiness checks pass (409 ``NOT_READY`` with the failing checks, and
    nothing started or locked, if not); ``force`` starts anyway and records that it did.
    ``point_in_time``: every server recovers from its latest snapshot at or before it."""
    plan = get_recovery_plan(caller, plan_id)
    if plan.status != "valid":
        raise ValidationError(
            f"recovery plan {plan.planName} cannot run: {plan.statusReason or 'it is invalid'}"
        )
    moment = parse_point_in_time(point_in_time, now()) if point_in_time else None
    _refuse_if_running(plan)
    from handlers.readiness import readiness  # DRS reads: not for functions that only read executions

    assessment = readiness.assess(plan, moment)
    failures = assessment.readiness.failures
    if failures and not force:
        raise NotReadyError(not_ready_message(plan.planName, failures), [_dump(c) for c in failures])
    execution = Execution(
        executionId=str(uuid.uuid4()),
        planId=plan.planId,
        planName=plan.planName,
        accountId=plan.accountId,
        isDrill=is_drill,
        startedBy=caller.principal,
        startedByKeys=list(identity_keys(caller)),
        startedVia=caller.source,
        startTime=now_iso(),
        waves=progress_waves(plan, assessment if moment else None),
        forced=bool(failures),
        readinessFailures=[c.message for c in failures[:MAX_RECORDED_FAILURES]],
        pointInTime=format_iso(moment) if moment else None,
        startApproval=plan.needs_start_approval(is_drill),
    )
    return begin(plan, execution)


def begin(plan: RecoveryPlan, execution: Execution) -> Execution:
    """The one way a run begins (a drill or recovery here, a failback in handlers/failback/cycle.py):
    lock the plan for it (409 naming the run that holds it; a lock whose run has ended is released),
    store it, and start the state machine. A failed start is recorded FAILED, frees the plan and is
    raised. The execution with its state machine execution's ARN."""
    execution_id = execution.executionId
    running = RecoveryPlanRepository().lock_for_execution(plan.planId, execution_id)
    if running is not None and release_if_ended(plan.planId, running):
        running = RecoveryPlanRepository().lock_for_execution(plan.planId, execution_id)
    if running is not None:
        raise ConflictError(f"recovery plan {plan.planName} already has a running execution: {running}")
    try:
        ExecutionRepository().insert(execution)
    except Exception:
        RecoveryPlanRepository().unlock_execution(plan.planId, execution_id)  # else locked forever
        raise
    settings = get_settings()
    state_input = {
        "executionId": execution_id,
        "pollSeconds": settings.drs_poll_seconds,
        "approvalTimeoutSeconds": settings.approval_timeout_seconds,
        "waves": state_machine_waves(plan, execution.startApproval),
    }
    try:
        arn = aws.client("stepfunctions").start_execution(
            stateMachineArn=settings.require("state_machine_arn"),
            name=execution_id,
            input=json.dumps(state_input),
        )["executionArn"]
    except Exception as exc:  # any failure (AWS, network, configuration): nothing runs, so record it
        logger.error(
            "state machine start failed", extra={"executionId": execution_id, "error": type(exc).__name__}
        )
        finish_execution(execution_id, "FAILED", reason="the state machine could not be started")
        raise
    ExecutionRepository().update(execution_id, stateMachineExecutionArn=arn)
    logger.info(
        "execution started",
        extra={"executionId": execution_id, "planId": plan.planId, "mode": execution.mode},
    )
    return execution.model_copy(update={"stateMachineExecutionArn": arn})


def state_machine_waves(plan: RecoveryPlan, start_approval: bool) -> list[dict[str, object]]:
    """The waves as the state machine runs them (a FAILBACK run's too: handlers/failback/cycle.py).
    A recovery that needs approval to start pauses before wave 1 (the orchestrator opens that pause
    as kind "start": handlers/runs/orchestration.py)."""
    settings = get_settings()
    return [
        {
            "waveNumber": w.waveNumber,
            "pauseBeforeExecution": w.pauseBeforeExecution or (start_approval and w.waveNumber == 1),
            # the wait before the wave launches, after any approval (a native plan's wait step)
            "waitBeforeSeconds": w.waitBeforeMinutes * settings.wave_wait_seconds_per_minute,
            # how many hooks each phase runs (the state machine skips a phase with none)
            "hooks": {"before": len(w.hooks.before), "after": len(w.hooks.after)}
            if w.hooks
            else {"before": 0, "after": 0},
        }
        for w in plan.waves
    ]


def _refuse_if_running(plan: RecoveryPlan) -> None:
    """A plan already running is a 409 ``CONFLICT`` before any readiness check (its own servers
    would otherwise read as busy). The lock taken afterwards stays the authority."""
    running = RecoveryPlanRepository().active_execution(plan.planId)
    if running is not None and not release_if_ended(plan.planId, running):
        raise ConflictError(f"recovery plan {plan.planName} already has a running execution: {running}")


def not_ready_message(plan_name: str, failures: list[Check]) -> str:
    first = failures[0].message
    more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
    return (
        f"recovery plan {plan_name} is not ready: {len(failures)} readiness checks fail: {first}{more}. "
        'Fix them, or start anyway with "force": true'
    )


def progress_waves(plan: RecoveryPlan, assessment: Assessment | None) -> list[WaveProgress]:
    """The waves to run (a FAILBACK run puts its own servers in them: handlers/failback/cycle.py);
    from a point in time, each wave lists its servers with their snapshots."""
    waves = [WaveProgress(**w.model_dump(exclude={"hooks"}), hookSpecs=w.hooks) for w in plan.waves]
    if assessment is None:
        return waves
    chosen, members = assessment.snapshots, assessment.servers
    return [
        wave.model_copy(update={"servers": [_launch(s, chosen) for s in members.get(wave.waveNumber, [])]})
        for wave in waves
    ]


def _launch(server_id: str, snapshots: dict[str, Snapshot]) -> ServerLaunch:
    snapshot = snapshots.get(server_id)
    if snapshot is None:  # forced past a missing snapshot: it recovers from its latest data
        return ServerLaunch(sourceServerId=server_id)
    return ServerLaunch(
        sourceServerId=server_id, recoverySnapshotId=snapshot.snapshot_id, snapshotTime=snapshot.taken_iso
    )


def _dump(check: Check) -> dict[str, object]:
    return check.model_dump(mode="json", exclude_none=True)
