"""Approvals: the pause before a wave and the one decision that ends it.

The Step Functions task token stays in the approvals table. People hold a random ``approvalId``
(256 bits, URL-safe). A decision is one conditional write PENDING -> RESUMED/CANCELLED (a failed
wave's pause: RETRIED/SKIPPED/CANCELLED; the write itself refuses an action the pause does not
offer); only the
writer that wins calls ``SendTaskSuccess``/``SendTaskFailure``, so a pause is decided exactly once
whichever channels race (email, Slack, API, direct invocation)."""

from __future__ import annotations

import secrets

from botocore.exceptions import ClientError

from handlers import aws, timestamps
from handlers.errors import ConflictError, NotFoundError
from handlers.models.approval import (
    LINK_HOLDER,
    OFFERS,
    STATUS_OF,
    Approval,
    Channel,
    DecideApprovalRequest,
    DecisionResult,
    PauseKind,
)
from handlers.models.execution import DecisionOutput, Execution, PendingApproval
from handlers.observability import count, logger
from handlers.repositories.approvals import ApprovalRepository, token_hash
from handlers.repositories.executions import ExecutionRepository
from handlers.settings import get_settings
from handlers.timestamps import now_iso

EXPIRED_TOKEN_ERRORS = frozenset({"InvalidToken", "TaskTimedOut", "TaskDoesNotExist"})
_PAST = {"resume": "resumed", "cancel": "cancelled", "retry": "retried", "skip": "skipped"}
# A decision whose write failed while the pause is still open retries this many times in all (the
# other decision that held it was undone because Step Functions did not take it).
_ATTEMPTS = 3


class ActionNotOffered(ConflictError):
    """A decision this kind of pause does not offer (resume after a failed wave, retry before one)."""


def open_approval(
    execution: Execution,
    wave_number: int,
    task_token: str,
    *,
    notification_email: str = "",
    kind: PauseKind = "before_wave",
) -> Approval:
    """Store the token under a new approval id and mark the execution paused."""
    expires = timestamps.after(get_settings().approval_timeout_seconds)
    approval = Approval(
        approvalId=secrets.token_urlsafe(32),
        taskToken=task_token,
        tokenHash=token_hash(task_token),
        executionId=execution.executionId,
        planId=execution.planId,
        accountId=execution.accountId,
        waveNumber=wave_number,
        kind=kind,
        createdAt=now_iso(),
        expiresAt=timestamps.format_iso(expires),
        ttl=int(expires.timestamp()) + 7 * 86400,  # keep decided records a week for audit
        planName=execution.planName,
        protectionGroupName=execution.waves[wave_number - 1].protectionGroupName,
        notificationEmail=notification_email,
        linkHolder=notification_email or LINK_HOLDER,
        isDrill=execution.isDrill,
        startedBy=execution.startedBy,
        startTime=execution.startTime,
    )
    ApprovalRepository().insert(approval)
    pending = PendingApproval(
        kind=kind, waveNumber=wave_number, requestedAt=approval.createdAt, expiresAt=approval.expiresAt
    )
    ExecutionRepository().mark_paused(execution.executionId, pending, approval.approvalId)
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
    request: DecideApprovalRequest, *, by: str | None, via: Channel, account_id: str | None = None
) -> DecisionResult:
    """Decide a pause once, whichever channels race. ``by=None`` means the holder of the email
    link (recorded as the approval's ``linkHolder``). The winning click costs a conditional write
    and a Step Functions call; only losers read the approval to learn who won."""
    approval_id = request.approvalId or find_approval(request, account_id).approvalId
    status = STATUS_OF[request.action]
    kinds = tuple(kind for kind, actions in OFFERS.items() if request.action in actions)
    repository = ApprovalRepository()
    for _ in range(_ATTEMPTS):
        decided = repository.decide(
            approval_id,
            status=status,
            action=request.action,
            by=by,
            via=via,
            at=now_iso(),
            account_id=account_id,
            kinds=kinds,
        )
        if decided is not None:
            return _deliver(decided, request.reason)
        current = find_approval(
            DecideApprovalRequest(action=request.action, approvalId=approval_id), account_id
        )
        if current.status != "PENDING" or _has_expired(current):
            return _not_decided(current)
        if request.action not in OFFERS[current.kind]:
            raise ActionNotOffered(not_offered_message(current.kind, current.waveNumber, request.action))
        # Still open: another decision held it and was undone (Step Functions did not take it, see
        # _deliver), so this one may still be made.
    raise ConflictError("this pause is being decided by someone else right now; try again in a moment")


def _deliver(decided: Approval, reason: str) -> DecisionResult:
    """The winner hands its decision to Step Functions. The execution record and the resume/cancel
    announcement follow (handlers.services.decisions, or the orchestrator when the state machine
    receives the decision, whichever is first)."""
    repository = ApprovalRepository()
    try:
        delivered = _send_to_step_functions(decided, reason)
    except Exception:
        repository.reopen(decided)  # not taken by Step Functions: it may be decided again
        count("CallbackFailureCount")
        raise
    if not delivered:
        repository.expire(
            decided.approvalId, reason="Step Functions no longer waits for it", only_if=decided.status
        )
        count("CallbackFailureCount")
        return _result(
            decided, "expired", "this approval has expired or was already handled; nothing changed"
        )
    count("CallbackSuccessCount")
    logger.info(
        "approval decided",
        extra={"executionId": decided.executionId, "action": decided.action, "via": decided.decidedVia},
    )
    word = _PAST[decided.action].capitalize()
    return _result(
        decided, "decided", f"{word} by {decided.decidedBy} via {decided.decidedVia} at {decided.decidedAt}"
    )


def not_offered_message(kind: str, wave_number: int, action: str) -> str:
    what = f"wave {wave_number} failed" if kind == "wave_failed" else f"the pause before wave {wave_number}"
    offers = " or ".join(OFFERS[kind])
    return f"{what}: this pause offers {offers}; {action} is not one of them, so nothing changed"


def _has_expired(approval: Approval) -> bool:
    return timestamps.has_passed(approval.expiresAt)


def _not_decided(approval: Approval) -> DecisionResult:
    """Someone else decided first, or the pause expired. Only a pause whose expiry time has passed
    is marked EXPIRED here (one Step Functions said is gone is marked so by _deliver)."""
    if approval.status == "PENDING" and _has_expired(approval):
        ApprovalRepository().expire(approval.approvalId, reason="the pause expired before anyone decided")
        count("CallbackFailureCount")
        return _result(approval, "expired", "this approval has expired or was already handled")
    return _already(approval)


def _send_to_step_functions(approval: Approval, reason: str) -> bool:
    client = aws.client("stepfunctions")
    decision = DecisionOutput(
        action=approval.action,
        decidedBy=approval.decidedBy,
        decidedVia=approval.decidedVia,
        decidedAt=approval.decidedAt,
        reason=reason,
    ).model_dump_json()
    try:
        if approval.action == "cancel":
            client.send_task_failure(taskToken=approval.taskToken, error="ExecutionCancelled", cause=decision)
        else:  # resume, retry, skip: the state machine goes on and reads the action in the output
            client.send_task_success(taskToken=approval.taskToken, output=decision)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in EXPIRED_TOKEN_ERRORS:
            return False
        raise
    return True


def expire_open_approval(execution_id: str, reason: str) -> None:
    """When an execution ends, its open pause (if any) can no longer be decided."""
    executions = ExecutionRepository()
    approval_id = executions.pending_approval_id(execution_id)
    if approval_id:
        ApprovalRepository().expire(approval_id, reason=reason)
        executions.set_pending_approval_id(execution_id, None)


def _already(approval: Approval) -> DecisionResult:
    if approval.status == "EXPIRED":
        return _result(approval, "expired", "this approval has expired or was already handled")
    word = _PAST.get(approval.action, approval.status.lower())
    message = f"Already {word} by {approval.decidedBy} via {approval.decidedVia} at {approval.decidedAt}"
    return _result(approval, "already_decided", message)


def _result(approval: Approval, outcome: str, message: str) -> DecisionResult:
    return DecisionResult.model_validate(
        {
            **approval.model_dump(exclude={"approvalId", "taskToken", "tokenHash"}),
            "outcome": outcome,
            "message": message,
        }
    )
