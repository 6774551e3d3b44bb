"""Executions: start a plan, read progress (deciding and cancelling: handlers.services.decisions)."""

from __future__ import annotations

import json
import uuid

from handlers import aws
from handlers.account_context import Caller
from handlers.errors import ConflictError, NotFoundError, ValidationError
from handlers.models.execution import Execution, WaveProgress
from handlers.observability import logger
from handlers.repositories.dynamo import Page
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository
from handlers.services.lifecycle import finish_execution, release_if_ended
from handlers.services.recovery_plans import get_recovery_plan
from handlers.settings import get_settings
from handlers.timestamps import now_iso


def get_execution(caller: Caller, execution_id: str) -> Execution:
    execution = ExecutionRepository().get(execution_id)
    if execution is None or execution.accountId != caller.account_id:
        raise NotFoundError(f"execution {execution_id} not found")
    return execution


def list_executions(caller: Caller, *, limit: int = 50, next_token: str | None = None) -> Page[Execution]:
    return ExecutionRepository().page(caller.account_id, limit=limit, token=next_token)


def start_execution(caller: Caller, plan_id: str, *, is_drill: bool = True) -> Execution:
    plan = get_recovery_plan(caller, plan_id)
    if plan.status != "valid":
        raise ValidationError(
            f"recovery plan {plan.planName} cannot run: {plan.statusReason or 'it is invalid'}"
        )
    execution_id = str(uuid.uuid4())
    running = RecoveryPlanRepository().lock_for_execution(plan.planId, execution_id)
    if running is not None and release_if_ended(plan.planId, running):
        running = RecoveryPlanRepository().lock_for_execution(plan.planId, execution_id)
    if running is not None:
        raise ConflictError(f"recovery plan {plan.planName} already has a running execution: {running}")
    execution = Execution(
        executionId=execution_id,
        planId=plan.planId,
        planName=plan.planName,
        accountId=plan.accountId,
        isDrill=is_drill,
        startedBy=caller.principal,
        startedVia=caller.source,
        startTime=now_iso(),
        waves=[WaveProgress(**w.model_dump()) for w in plan.waves],
    )
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
        "waves": [
            {"waveNumber": w.waveNumber, "pauseBeforeExecution": w.pauseBeforeExecution} for w in plan.waves
        ],
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
        "execution started", extra={"executionId": execution_id, "planId": plan.planId, "drill": is_drill}
    )
    return execution.model_copy(update={"stateMachineExecutionArn": arn})
