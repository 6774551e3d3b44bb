"""The end of an execution: one function records the final status exactly once, releases the plan,
closes an open pause and announces the outcome, whoever ends it (state machine or a cancel)."""

from __future__ import annotations

from typing import Any

from handlers.account_context import Caller
from handlers.models.execution import Execution, Outcome, WaveProgress
from handlers.notifications import EventType
from handlers.observability import logger, now_iso
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository
from handlers.services.approvals import expire_open_approval
from handlers.services.execution_events import announce

EVENT_FOR_OUTCOME: dict[str, EventType] = {
    "SUCCEEDED": "complete",
    "FAILED": "fail",
    "CANCELLED": "cancel",
    "TIMED_OUT": "timeout",
}
_UNFINISHED = {"PENDING", "WAITING_APPROVAL", "RUNNING"}


def finish_execution(
    execution_id: str, outcome: Outcome, *, reason: str = "", cancelled_by: Caller | None = None
) -> bool:
    """Record ``outcome``; False (and nothing announced) if the execution had already finished."""
    executions = ExecutionRepository()
    execution = executions.get(execution_id)
    if execution is None:
        logger.warning("finish for unknown execution", extra={"executionId": execution_id})
        return False
    reason = reason or failure_reason(execution)
    closed = [_close(w, outcome, reason) for w in execution.waves]
    recorded = executions.update(
        execution_id,
        status=outcome,
        endTime=now_iso(),
        waves=closed,
        pendingApproval=None,
        statusReason=reason,
    )
    if not recorded:
        return False
    expire_open_approval(execution_id, f"the execution ended: {outcome}")
    RecoveryPlanRepository().unlock_execution(execution.planId, execution_id)
    final = executions.get(execution_id) or execution
    announce(final, EVENT_FOR_OUTCOME[outcome], **_event_extra(execution, outcome, reason, cancelled_by))
    logger.info("execution finished", extra={"executionId": execution_id, "outcome": outcome})
    return True


def failure_reason(execution: Execution) -> str:
    failed = [w for w in execution.waves if w.status == "FAILED" and w.message]
    return f"wave {failed[0].waveNumber}: {failed[0].message}" if failed else ""


def _close(wave: WaveProgress, outcome: Outcome, reason: str) -> WaveProgress:
    if wave.status not in _UNFINISHED:
        return wave
    if outcome == "FAILED" and wave.status == "RUNNING":
        return wave.model_copy(
            update={"status": "FAILED", "endTime": now_iso(), "message": wave.message or reason}
        )
    return wave.model_copy(update={"status": "CANCELLED" if outcome == "CANCELLED" else "SKIPPED"})


def _event_extra(execution: Execution, outcome: Outcome, reason: str, by: Caller | None) -> dict[str, Any]:
    extra: dict[str, Any] = {"reason": reason}
    if execution.pendingApproval:
        extra["waveNumber"] = execution.pendingApproval.waveNumber
    if outcome == "CANCELLED":
        cancels = [d for d in execution.decisions if d.action == "cancel"]
        if cancels:
            d = cancels[-1]
            extra.update(
                decidedBy=d.decidedBy, decidedVia=d.channel, decidedAt=d.decidedAt, waveNumber=d.waveNumber
            )
        elif by is not None:
            extra.update(decidedBy=by.principal, decidedVia=by.source, decidedAt=now_iso())
    return extra
