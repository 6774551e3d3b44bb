"""Approvals: a pause (before a run starts, before a wave, after a failed wave) and the one decision
that ends it.

drs-chatops keeps the Step Functions task token in the approvals table and never hands it out (Step
Functions' own execution history also holds it, as the pause task's input: no role of the stack may
read that, and a decision made with it is recorded as outside drs-chatops by
handlers/runs/decision_record.py). People hold a random ``approvalId``
(256 bits, URL-safe). Each vote is one conditional write; the write that reaches the quorum (or
any allowed approver's cancel) decides: PENDING -> RESUMED/CANCELLED (a failed wave's pause:
RETRIED/SKIPPED/CANCELLED; an action the pause does not offer is refused). Only the writer that
wins calls ``SendTaskSuccess``/``SendTaskFailure``, so a pause is decided exactly once
whichever channels race (email, Slack, API, direct invocation)."""

from __future__ import annotations

import secrets

from botocore.exceptions import ClientError

from handlers import aws
from handlers.core import timestamps
from handlers.core.errors import ConflictError, NotFoundError, ValidationError
from handlers.core.observability import count, logger
from handlers.core.settings import get_settings
from handlers.core.timestamps import now_iso
from handlers.models.approval import (
    LINK_HOLDER,
    OFFERS,
    PROCEED_ACTIONS,
    STATUS_OF,
    STOP_ACTIONS,
    Approval,
    Channel,
    DecideApprovalRequest,
    DecisionResult,
)
from handlers.models.execution import DecisionOutput, Execution, PauseKind, PendingApproval, Vote
from handlers.models.recovery_plan import RecoveryPlan
from handlers.pauses.approval_policy import GroupMembers, Voter, check_vote, email_voter
from handlers.repositories.approvals import ApprovalRepository, token_hash
from handlers.repositories.executions import ExecutionRepository

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
    plan: RecoveryPlan | None = None,
    kind: PauseKind = "before_wave",
    failed_hook: str | None = None,
) -> Approval:
    """Store the token under a new approval id, with the plan's approval policy as it is now (the
    quorum for the execution's mode), and mark the execution paused."""
    expires = timestamps.after(get_settings().approval_timeout_seconds)
    notification_email = plan.notificationEmail if plan else ""
    quorum = plan.approvalQuorum.for_mode(execution.isDrill) if plan else 1
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
        startedByKeys=execution.startedByKeys,
        startTime=execution.startTime,
        quorum=quorum,
        approvers=plan.approvers if plan else [],
        approverPrincipals=plan.approverPrincipals if plan else [],
        requireReason=plan.requireReason if plan else "never",
        tally=dict.fromkeys(PROCEED_ACTIONS[kind], 0),
    )
    ApprovalRepository().insert(approval)
    pending = PendingApproval(
        kind=kind,
        waveNumber=wave_number,
        requestedAt=approval.createdAt,
        expiresAt=approval.expiresAt,
        quorum=quorum,
        failedHook=failed_hook,
    )
    ExecutionRepository().mark_paused(execution.executionId, pending, approval.approvalId)
    from handlers.pauses.pause_reminders import schedule_reminders  # only where pauses open

    schedule_reminders(approval)
    return approval


def pending_approval(execution: Execution) -> Approval | None:
    """The open pause of ``execution`` (as the caller has just read it in its account) with the policy
    it opened with, or None when no pause waits for a decision."""
    approval_id = ExecutionRepository().pending_approval_id(execution.executionId)
    approval = ApprovalRepository().get(approval_id) if approval_id else None
    if approval is None or approval.accountId != execution.accountId or approval.status != "PENDING":
        return None
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
    request: DecideApprovalRequest,
    *,
    by: str | None,
    via: Channel,
    account_id: str | None = None,
    voter: Voter | None = None,
    group_members: GroupMembers | None = None,
    found: Approval | None = None,
) -> DecisionResult:
    """Cast one vote on a pause, whichever channels race. A cancel decides at once; a proceed vote
    counts once per voter and the vote that reaches the quorum decides. Only the deciding write
    calls Step Functions. ``by=None`` (with ``via="email"``) is the holder of the email link;
    ``voter`` names a Slack user (handlers.pauses.approval_policy.voter_of); ``found`` is the
    approval when the caller has just read it (in ``account_id``)."""
    approval = found or find_approval(request, account_id)
    who = voter or _voter(approval, by, via)
    for _ in range(approval.quorum + _ATTEMPTS):
        if approval.status != "PENDING" or _has_expired(approval):
            return _not_decided(approval)
        if request.action not in OFFERS[approval.kind]:
            raise ActionNotOffered(not_offered_message(approval.kind, approval.waveNumber, request.action))
        check_vote(approval, who, request.action, request.reason, group_members)
        written = _write(approval, who, request)
        if written is not None and written.status == "PENDING":
            return _result(written, "voted", _progress(written, request.action))
        if written is not None:
            return _deliver(written, who)
        # Someone else's write came first: read what it did, and vote again if still open.
        approval = find_approval(
            DecideApprovalRequest(action=request.action, approvalId=approval.approvalId), None
        )
    raise ConflictError("this pause is being decided by someone else right now; try again in a moment")


def _voter(approval: Approval, by: str | None, via: Channel) -> Voter:
    """A voter known only by name and channel (callers that know the person pass ``voter``)."""
    if via == "email" or by is None:
        return email_voter(approval)
    return Voter(via, by, f"{via}:{by}")


def _write(approval: Approval, who: Voter, request: DecideApprovalRequest) -> Approval | None:
    """One conditional write: a cancel (or a vote on an approval stored before votes) decides; any
    other vote is counted."""
    action = request.action
    vote = Vote(
        action=action, by=who.by, via=who.via, at=now_iso(), reason=request.reason, userId=who.slack_user_id
    )
    repository = ApprovalRepository()
    if action in STOP_ACTIONS or not approval.tally:
        return repository.decide(
            approval.approvalId,
            status=STATUS_OF[action],
            action=action,
            by=who.by,
            via=who.via,
            at=vote.at,
            account_id=approval.accountId,
            vote=vote,
        )
    if action not in approval.tally:
        raise ValidationError(f"this pause cannot be decided with {action}")
    counted = [*approval.counted(action), vote]
    return repository.vote(
        approval.approvalId,
        vote,
        key=who.key,
        also=who.aliases,
        quorum=approval.quorum,
        seen=approval.tally[action],
        account_id=approval.accountId,
        decided_by=names(counted),
        decided_via=" and ".join(dict.fromkeys(v.via for v in counted)),
    )


def _progress(approval: Approval, action: str) -> str:
    counted = approval.counted(action)
    return f"{len(counted)} of {approval.quorum} votes to {action}: {names(counted)}"


def _deliver(decided: Approval, who: Voter | None = None) -> DecisionResult:
    """The winner hands its decision to Step Functions. The execution record and the resume/cancel
    announcement follow (handlers.runs.decisions, or the orchestrator when the state machine
    receives the decision, whichever is first)."""
    repository = ApprovalRepository()
    try:
        delivered = _send_to_step_functions(decided)
    except Exception:
        # not taken by Step Functions: it may be decided again
        repository.reopen(decided, who.key if who else "", who.aliases if who else ())
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
    what = {
        "wave_failed": f"wave {wave_number} failed",
        "start": "the start of this recovery",
        "hook_failed": f"a hook of wave {wave_number} failed",
    }.get(kind, f"the pause before wave {wave_number}")
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


def _send_to_step_functions(approval: Approval) -> bool:
    client = aws.client("stepfunctions")
    votes = deciding_votes(approval)
    decision = DecisionOutput(
        action=approval.action,
        decidedBy=approval.decidedBy,
        decidedVia=approval.decidedVia,
        decidedAt=approval.decidedAt,
        reason=joined_reason(votes),
        votes=votes,
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


def _already(approval: Approval) -> DecisionResult:
    if approval.status == "EXPIRED":
        return _result(approval, "expired", "this approval has expired or was already handled")
    word = _PAST.get(approval.action, approval.status.lower())
    message = f"Already {word} by {approval.decidedBy} via {approval.decidedVia} at {approval.decidedAt}"
    return _result(approval, "already_decided", message)


def _result(approval: Approval, outcome: str, message: str) -> DecisionResult:
    return DecisionResult.model_validate(
        {
            **approval.model_dump(exclude={"approvalId", "taskToken", "tokenHash", "voters"}),
            "outcome": outcome,
            "message": message,
        }
    )


# --- what a pause's votes say: who voted, which votes made the decision, their reasons as one line ---


def names(votes: list[Vote]) -> str:
    """``@a``, ``@a and @b``, ``@a, @b and @c``."""
    people = [v.by for v in votes]
    return people[0] if len(people) == 1 else f"{', '.join(people[:-1])} and {people[-1]}"


def deciding_votes(approval: Approval) -> list[Vote]:
    """The votes that made a decision: the counted ones for a proceed action, the cancel itself."""
    if approval.action in STOP_ACTIONS or not approval.tally:
        return approval.votes[-1:]
    return approval.counted(approval.action)


def joined_reason(votes: list[Vote]) -> str:
    if len(votes) <= 1:
        return votes[0].reason if votes else ""
    return "; ".join(f"{v.by}: {v.reason}" for v in votes if v.reason)


# --- an execution's open pause as the execution ends: who it asked, and closed for good ---


def expire_open_approval(execution_id: str, reason: str) -> None:
    """When an execution ends, its open pause (if any) can no longer be decided."""
    executions = ExecutionRepository()
    approval_id = executions.pending_approval_id(execution_id)
    if approval_id:
        ApprovalRepository().expire(approval_id, reason=reason)
        executions.set_pending_approval_id(execution_id, None)


def asked_of_open_pause(execution_id: str) -> dict[str, list[str]]:
    """Who the open pause asked, as its plan named them when it opened: ``askedApprovers`` (Slack
    ids) and ``askedPrincipals``. Empty with no open pause."""
    approval_id = ExecutionRepository().pending_approval_id(execution_id)
    approval = ApprovalRepository().get(approval_id) if approval_id else None
    if approval is None:
        return {}
    return {"askedApprovers": approval.approvers, "askedPrincipals": approval.approverPrincipals}
