"""Approvals: the pause before a wave and the one decision that ends it.

The Step Functions task token stays in the approvals table. People hold a random ``approvalId``
(256 bits, URL-safe). A decision is one conditional write PENDING -> RESUMED/CANCELLED; only the
writer that wins calls ``SendTaskSuccess``/``SendTaskFailure``, so a pause is decided exactly once
whichever channels race (email, Slack, API, direct invocation)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from handlers import aws
from handlers.errors import NotFoundError
from handlers.models.approval import Approval, Channel, DecideApprovalRequest, DecisionResult
from handlers.models.execution import Decision, Execution, PendingApproval
from handlers.observability import count, logger, now_iso
from handlers.repositories.approvals import ApprovalRepository, token_hash
from handlers.repositories.executions import ExecutionRepository
from handlers.services.execution_events import announce
from handlers.settings import get_settings

EXPIRED_TOKEN_ERRORS = frozenset({"InvalidToken", "TaskTimedOut", "TaskDoesNotExist"})
_PAST = {"resume": "resumed", "cancel": "cancelled"}


def open_approval(execution: Execution, wave_number: int, task_token: str) -> Approval:
    """Store the token under a new approval id and mark the execution paused."""
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=get_settings().approval_timeout_seconds)
    approval = Approval(
        approvalId=secrets.token_urlsafe(32),
        taskToken=task_token,
        tokenHash=token_hash(task_token),
        executionId=execution.executionId,
        planId=execution.planId,
        accountId=execution.accountId,
        waveNumber=wave_number,
        createdAt=now_iso(),
        expiresAt=expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ttl=int(expires.timestamp()) + 7 * 86400,  # keep decided records a week for audit
    )
    ApprovalRepository().insert(approval)
    executions = ExecutionRepository()
    executions.update(
        execution.executionId,
        status="PAUSED",
        pendingApproval=PendingApproval(
            waveNumber=wave_number, requestedAt=approval.createdAt, expiresAt=approval.expiresAt
        ),
    )
    executions.set_pending_approval_id(execution.executionId, approval.approvalId)
    return approval


def find_approval(request: DecideApprovalRequest, account_id: str | None) -> Approval:
    repository = ApprovalRepository()
    approval = (
        repository.get(request.approvalId)
        if request.approvalId
        else repository.find_by_token(request.taskToken or "")
    )
    if approval is None or (account_id is not None and approval.accountId != account_id):
        raise NotFoundError("this approval does not exist; it may have expired and been removed")
    return approval


def decide_approval(
    request: DecideApprovalRequest, *, by: str, via: Channel, account_id: str | None = None
) -> DecisionResult:
    approval = find_approval(request, account_id)
    repository = ApprovalRepository()
    if approval.status != "PENDING":
        return _already(approval)
    if _expired(approval):
        repository.expire(approval.approvalId, reason="the pause expired before anyone decided")
        count("CallbackFailureCount")
        return _result(approval, "expired", "this approval has expired or was already handled")
    status = "RESUMED" if request.action == "resume" else "CANCELLED"
    at = now_iso()
    if not repository.decide(
        approval.approvalId, status=status, action=request.action, by=by, via=via, at=at
    ):
        return _already(repository.get(approval.approvalId) or approval)
    decided = approval.model_copy(
        update={
            "status": status,
            "action": request.action,
            "decidedBy": by,
            "decidedVia": via,
            "decidedAt": at,
        }
    )
    # Recorded before Step Functions hears of it: the execution may finish (and announce who
    # cancelled) the moment the token is used.
    _record_on_execution(decided)
    if not _send_to_step_functions(decided, request.reason):
        repository.expire(approval.approvalId, reason="Step Functions no longer waits for it", only_if=status)
        count("CallbackFailureCount")
        return _result(
            approval, "expired", "this approval has expired or was already handled; nothing changed"
        )
    if decided.action == "resume":
        _announce_resume(decided)
    count("CallbackSuccessCount")
    logger.info(
        "approval decided", extra={"executionId": approval.executionId, "action": request.action, "via": via}
    )
    return _result(decided, "decided", f"{_PAST[request.action].capitalize()} by {by} via {via} at {at}")


def _send_to_step_functions(approval: Approval, reason: str) -> bool:
    client = aws.client("stepfunctions")
    try:
        if approval.action == "resume":
            output = {k: getattr(approval, k) for k in ("action", "decidedBy", "decidedVia", "decidedAt")}
            client.send_task_success(taskToken=approval.taskToken, output=json.dumps(output))
        else:
            cause = reason or f"cancelled by {approval.decidedBy} via {approval.decidedVia}"
            client.send_task_failure(
                taskToken=approval.taskToken, error="ExecutionCancelled", cause=cause[:256]
            )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in EXPIRED_TOKEN_ERRORS:
            return False
        raise
    return True


def _record_on_execution(approval: Approval) -> None:
    executions = ExecutionRepository()
    execution = executions.get(approval.executionId)
    if execution is None:
        return
    decision = Decision(
        action=approval.action,
        decidedBy=approval.decidedBy,
        channel=approval.decidedVia,
        decidedAt=approval.decidedAt,
        waveNumber=approval.waveNumber,
    )
    fields: dict[str, object] = {"decisions": [*execution.decisions, decision], "pendingApproval": None}
    if approval.action == "resume":
        fields["status"] = "RUNNING"
    executions.update(approval.executionId, **fields)
    executions.set_pending_approval_id(approval.executionId, None)


def _announce_resume(approval: Approval) -> None:
    execution = ExecutionRepository().get(approval.executionId)
    if execution is not None:
        announce(
            execution,
            "resume",
            waveNumber=approval.waveNumber,
            decidedBy=approval.decidedBy,
            decidedVia=approval.decidedVia,
            decidedAt=approval.decidedAt,
        )


def expire_open_approval(execution_id: str, reason: str) -> None:
    """When an execution ends, its open pause (if any) can no longer be decided."""
    executions = ExecutionRepository()
    approval_id = executions.pending_approval_id(execution_id)
    if approval_id:
        ApprovalRepository().expire(approval_id, reason=reason)
        executions.set_pending_approval_id(execution_id, None)


def _expired(approval: Approval) -> bool:
    return datetime.now(UTC) >= datetime.strptime(approval.expiresAt, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=UTC
    )


def _already(approval: Approval) -> DecisionResult:
    if approval.status == "EXPIRED":
        return _result(approval, "expired", "this approval has expired or was already handled")
    word = _PAST.get(approval.action, approval.status.lower())
    message = f"Already {word} by {approval.decidedBy} via {approval.decidedVia} at {approval.decidedAt}"
    return _result(approval, "already_decided", message)


def _result(approval: Approval, outcome: str, message: str) -> DecisionResult:
    return DecisionResult(
        outcome=outcome,
        action=approval.action,
        status=approval.status,
        decidedBy=approval.decidedBy,
        decidedVia=approval.decidedVia,
        decidedAt=approval.decidedAt,
        executionId=approval.executionId,
        planId=approval.planId,
        waveNumber=approval.waveNumber,
        message=message,
    )
