"""The end of an execution: one function records the final status exactly once, releases the plan,
closes an open pause and announces the outcome, whoever ends it (state machine or a cancel).
A run that ended without its record saying so (the orchestrator could not write it) is found by
the next start of its plan (:func:`release_if_ended`), which records it FAILED and frees the plan."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from handlers import aws
from handlers.accounts.account_context import Caller, channel_of
from handlers.core.observability import logger
from handlers.core.timestamps import now_iso
from handlers.events.execution_events import announce
from handlers.models.events import EventType
from handlers.models.execution import TERMINAL_STATUSES, Execution, Outcome, Rto, WaveProgress
from handlers.pauses.approvals import asked_of_open_pause, expire_open_approval
from handlers.reports import rto
from handlers.reports.report_store import store_report
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository

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
    unanswered = _unanswered_pause(execution, outcome)  # read before the pause is closed below
    closed = [_close(w, outcome, reason) for w in execution.waves]
    ended = now_iso()
    recorded = executions.update(
        execution_id,
        status=outcome,
        endTime=ended,
        waves=closed,
        pendingApproval=None,
        statusReason=reason,
        rto=_measured_rto(execution.model_copy(update={"waves": closed, "status": outcome}), ended),
    )
    _release(execution, outcome)  # also when another writer ended it first: a retry finishes its job
    if not recorded:
        return False
    final = executions.get(execution_id) or execution
    extra = {**_event_extra(execution, outcome, reason, cancelled_by), **unanswered}
    announce(final, EVENT_FOR_OUTCOME[outcome], **extra)
    after_the_end(final)
    logger.info("execution finished", extra={"executionId": execution_id, "outcome": outcome})
    return True


def after_the_end(final: Execution) -> None:
    """Everything that follows a run's end, in this one place: a drill's cleanup is scheduled (with
    its reminder), and every run's evidence report is stored."""
    if final.isDrill:
        # loaded on a drill's end only: the orchestrator's cold start does not pay for it
        # (docs/benchmarks.md)
        from handlers.cleanup.cleanup_schedule import plan_cleanup

        plan_cleanup(final)
    store_report(final)


def _unanswered_pause(execution: Execution, outcome: Outcome) -> dict[str, object]:
    """An execution that ends timed out (or failed) at an open pause names who was asked to decide
    and the votes they cast; nothing for any other ending."""
    pending = execution.pendingApproval
    if pending is None or outcome not in ("TIMED_OUT", "FAILED"):
        return {}
    return {**asked_of_open_pause(execution.executionId), "quorum": pending.quorum, "votes": pending.votes}


def _measured_rto(execution: Execution, ended: str) -> Rto:
    plan = RecoveryPlanRepository().get(execution.planId)
    return rto.compute(execution, plan.targetRtoMinutes if plan else None, end_time=ended)


def _release(execution: Execution, outcome: Outcome) -> None:
    """Close the open pause and free the plan; both are idempotent."""
    expire_open_approval(execution.executionId, f"the execution ended: {outcome}")
    RecoveryPlanRepository().unlock_execution(execution.planId, execution.executionId)


def release_if_ended(plan_id: str, holder_id: str) -> bool:
    """Free the plan's lock held by execution ``holder_id`` if that execution is over: True if it
    was. Over means its record is final, or its state machine run ended without the record saying
    so (the orchestrator could not write it): that record is then ended FAILED here, with why."""
    execution = ExecutionRepository().get(holder_id)
    if execution is None:
        return False  # a start between taking the lock and storing its record
    if execution.status not in TERMINAL_STATUSES:
        ended = _state_machine_end(execution)
        if ended is None:
            return False
        reason = f"the state machine run ended ({ended}) without recording the outcome"
        logger.warning("unrecorded end found", extra={"executionId": holder_id, "status": ended})
        finish_execution(holder_id, "FAILED", reason=reason)
    RecoveryPlanRepository().unlock_execution(plan_id, holder_id)
    return True


def _state_machine_end(execution: Execution) -> str | None:
    """How the execution's state machine run ended; None while it runs (or cannot be told)."""
    if not execution.stateMachineExecutionArn:
        return None  # still starting, or its start failed and was recorded
    try:
        described = aws.client("stepfunctions").describe_execution(
            executionArn=execution.stateMachineExecutionArn
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ExecutionDoesNotExist":
            return "no longer known to Step Functions"
        logger.warning(
            "state machine run not described", extra={"executionId": execution.executionId, "error": code}
        )
        return None  # keep the lock: a run that cannot be seen is not known to be over
    status = str(described["status"])
    return None if status in {"RUNNING", "PENDING_REDRIVE"} else status


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
            extra.update(decidedBy=by.principal, decidedVia=channel_of(by), decidedAt=now_iso())
    return extra
