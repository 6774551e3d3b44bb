"""Deciding an execution's pause, and what follows a winning decision.

Every channel votes through the ballot, ``handlers.pauses.approvals`` (one conditional write, and one
Step Functions call by the vote that decides). A winning decision is recorded on the execution by
its one writer, ``handlers.runs.decision_record.record``: at once by the channels that answer with
the execution (the API and direct operations by execution id), so they show the outcome that took
effect instead of a stale PAUSED, and otherwise by the orchestrator when the state machine receives
it. The record's write is conditional: whichever comes first records and announces it. The email
link, ``decide_approval`` and a Slack vote answer with the decision itself (the Slack pause message
follows the announcement, bot/notifier.py), so their vote stays one read of the pause, one write and
one Step Functions call.

People and automation that know only the execution (the API's ``resume``/``cancel``, the direct
operations, the Slack buttons, whose value is the execution id and wave number and never the email
approval id) decide its open pause here, in the caller's account only. A pause before a wave offers
resume or cancel; a failed wave's pause retry, skip or cancel (``handlers.models.approval.OFFERS``).
Resume, retry and skip go on (Step Functions reads which from the decision); cancel stops."""

from __future__ import annotations

from handlers import aws
from handlers.accounts.account_context import Caller, channel_of
from handlers.core.errors import ConflictError
from handlers.events.execution_events import announce
from handlers.models.approval import STATUS_OF, Action, Channel, DecideApprovalRequest, DecisionResult
from handlers.models.execution import TERMINAL_STATUSES, DecisionAction, Execution
from handlers.pauses import approvals
from handlers.pauses.approval_policy import GroupMembers, Voter, voter_of
from handlers.repositories.executions import ExecutionRepository
from handlers.runs.decision_record import decision_of, record
from handlers.runs.executions import get_execution
from handlers.runs.lifecycle import finish_execution
from handlers.runs.paused import Paused, read_paused

_PAST = {"resume": "resumed", "cancel": "cancelled", "retry": "retried", "skip": "skipped"}
_ACTIONS: dict[str, DecisionAction] = {
    "resume": "resume",
    "cancel": "cancel",
    "retry": "retry",
    "skip": "skip",
}


def decide(
    request: DecideApprovalRequest,
    *,
    by: str | None,
    via: Channel,
    account_id: str | None = None,
    voter: Voter | None = None,
    group_members: GroupMembers | None = None,
) -> DecisionResult:
    """Vote by approval id or task token (the email link, ``decide_approval``): a counted vote is
    shown on the pause at once; a winning decision is recorded and announced by the orchestrator."""
    result = approvals.decide_approval(
        request, by=by, via=via, account_id=account_id, voter=voter, group_members=group_members
    )
    if result.outcome == "voted":
        _show_votes(result)
    return result


def settle(result: DecisionResult, reason: str = "") -> Execution | None:
    """After a counted vote: show it on the execution's pause and announce it (Slack updates the
    pause message). After a winning decision: record it on the execution (once, whoever is first),
    end a cancelled execution, announce a resume, retry or skip this call recorded. The execution
    as this call left it (None when another writer recorded the decision first)."""
    if result.outcome == "voted":
        return _show_votes(result)
    if result.outcome != "decided":
        return None
    decision = decision_of(
        _ACTIONS[result.action],
        by=result.decidedBy,
        via=result.decidedVia,
        at=result.decidedAt,
        wave_number=result.waveNumber,
        votes=result.votes,
        reason=reason,
        pause=(result.kind, result.createdAt),
    )
    recorded = record(result.executionId, decision)
    if decision.action == "cancel":
        finish_execution(result.executionId, "CANCELLED", reason=decision.reason)  # records the end once
        return None
    return recorded


def _show_votes(result: DecisionResult) -> Execution | None:
    """The execution's pause shows the votes so far (never fewer than it shows already: votes race),
    and a ``vote`` event lets Slack update the pause message in place (no email: see
    handlers/events/notifications.py)."""
    execution = ExecutionRepository().show_votes(result.executionId, result.waveNumber, result.votes)
    if execution is not None:
        latest = result.votes[-1]
        announce(
            execution,
            "vote",
            waveNumber=result.waveNumber,
            quorum=result.quorum,
            votes=result.votes,
            decidedBy=latest.by,
            decidedVia=latest.via,
            decidedAt=latest.at,
            reason=latest.reason,
            message=result.message,
        )
    return execution


def open_pause(
    caller: Caller,
    execution_id: str,
    action: Action,
    *,
    via: Channel,
    wave_number: int | None = None,
    reason: str = "",
    group_members: GroupMembers | None = None,
    paused: Paused | None = None,
    record_now: bool = True,
) -> tuple[Execution, DecisionResult | None]:
    """Decide the open pause of an execution of the caller's account (another account's is not
    found), and only the pause before ``wave_number`` when one is named (a Slack button). The
    execution as read first (``paused``: the execution and its pause's approval as the caller has
    just read them in its account, handlers/runs/paused.py), and the decision's result, or None
    when no such pause is open. ``record_now=False``: a winning decision is left to the
    orchestrator to record (a counted vote is shown at once either way)."""
    paused = paused or read_paused(caller, execution_id)
    execution, approval = paused.execution, paused.approval
    if approval is None or (wave_number is not None and approval.waveNumber != wave_number):
        # read again: a decision that closed the pause since the first read is on the record now
        return get_execution(caller, execution_id), None
    request = DecideApprovalRequest(action=action, approvalId=approval.approvalId, reason=reason)
    result = approvals.decide_approval(
        request,
        by=caller.principal,
        via=via,
        account_id=caller.account_id,
        voter=voter_of(caller),
        group_members=group_members,
        found=approval,
    )
    if record_now or result.outcome == "voted":
        settle(result)
    return execution, result


def decide_pause(
    caller: Caller,
    execution_id: str,
    wave_number: int,
    action: Action,
    *,
    reason: str = "",
    group_members: GroupMembers | None = None,
    paused: Paused | None = None,
) -> DecisionResult:
    """A Slack vote (``caller.user_id`` is the Slack user): the pause before ``wave_number``, or
    who decided it when it is over. ``group_members`` lists a user group's members (the bot's
    ``usergroups.users.list``); without it a plan's user groups admit nobody. ``paused``: the
    execution and its approval as the bot has just read them in the channel's account. Like the
    email link, a winning vote is recorded by the orchestrator when Step Functions receives it."""
    execution, result = open_pause(
        caller,
        execution_id,
        action,
        via="slack",
        wave_number=wave_number,
        reason=reason,
        group_members=group_members,
        paused=paused,
        record_now=False,
    )
    return result or _closed(execution, action, wave_number)


def resume_execution(caller: Caller, execution_id: str, *, reason: str = "") -> Execution:
    """Resume the open pause: the execution with the resume recorded, or 409 naming who won."""
    return proceed(caller, execution_id, "resume", reason=reason)


def retry_wave(caller: Caller, execution_id: str, *, reason: str = "") -> Execution:
    """Launch a failed wave's failed servers again (its pause's Retry)."""
    return proceed(caller, execution_id, "retry", reason=reason)


def skip_wave(caller: Caller, execution_id: str, *, reason: str = "") -> Execution:
    """Go on without a failed wave (its pause's Skip): the wave is SKIPPED, the next one runs."""
    return proceed(caller, execution_id, "skip", reason=reason)


def proceed(caller: Caller, execution_id: str, action: Action, *, reason: str = "") -> Execution:
    """Decide the open pause with ``action``: the execution with it recorded, or 409 naming who won
    (or which actions the pause offers)."""
    execution, result = open_pause(caller, execution_id, action, via=channel_of(caller), reason=reason)
    if result is None:
        raise ConflictError(_not_paused(execution))
    return _taken(caller, result, action)


def cancel_execution(caller: Caller, execution_id: str, *, reason: str = "") -> Execution:
    """Cancel a running or paused execution: CANCELLED when this call's cancel took effect, 409
    naming who decided when another decision won. A paused one is cancelled through its approval;
    a running one (or one whose pause Step Functions no longer waits for) is stopped here."""
    execution, result = open_pause(caller, execution_id, "cancel", via=channel_of(caller), reason=reason)
    if execution.status in TERMINAL_STATUSES:
        raise ConflictError(finished_message(execution))
    if result is not None and result.outcome != "expired":
        return _taken(caller, result, "cancel")
    if execution.stateMachineExecutionArn:
        aws.client("stepfunctions").stop_execution(
            executionArn=execution.stateMachineExecutionArn,
            error="ExecutionCancelled",
            cause=f"cancelled by {caller.principal}"[:256],
        )
    why = f"cancelled by {caller.principal}" + (f": {reason}" if reason else "")
    if not finish_execution(execution_id, "CANCELLED", reason=why, cancelled_by=caller):
        raise ConflictError(finished_message(get_execution(caller, execution_id)))
    return get_execution(caller, execution_id)


def conflict_message(result: DecisionResult, attempted: str) -> str:
    """The 409 of a decision another one beat: who decided what, via which channel and when."""
    past = _PAST.get(result.action, result.action)
    return (
        f"execution {result.executionId}: wave {result.waveNumber} was already {past} by "
        f"{result.decidedBy} via {result.decidedVia} at {result.decidedAt}; this {attempted} changed nothing"
    )


def finished_message(execution: Execution) -> str:
    return f"execution {execution.executionId} has already finished: {execution.status}{_last(execution)}"


def _not_paused(execution: Execution) -> str:
    if execution.status in TERMINAL_STATUSES:
        return finished_message(execution)
    return f"execution {execution.executionId} is not paused ({execution.status}){_last(execution)}"


def _last(execution: Execution) -> str:
    if not execution.decisions:
        return ""
    last = execution.decisions[-1]
    past = _PAST[last.action]
    return f"; wave {last.waveNumber} was {past} by {last.decidedBy} via {last.channel} at {last.decidedAt}"


def _taken(caller: Caller, result: DecisionResult, attempted: str) -> Execution:
    if result.outcome in ("decided", "voted"):
        return get_execution(caller, result.executionId)
    if result.outcome == "already_decided":
        raise ConflictError(conflict_message(result, attempted))
    raise ConflictError(
        f"execution {result.executionId}: the pause before wave {result.waveNumber} can no longer be "
        f"decided ({result.message})"
    )


def _closed(execution: Execution, action: Action, wave_number: int) -> DecisionResult:
    """No open pause before ``wave_number``: who decided it, if anyone did."""
    decided = [d for d in execution.decisions if d.waveNumber == wave_number]
    last = decided[-1] if decided else None
    failed_wave = (last.action if last else action) in ("retry", "skip")
    return DecisionResult(
        outcome="already_decided" if last else "expired",
        kind=execution.pause_kind(wave_number, failed=failed_wave),
        action=last.action if last else action,
        status="EXPIRED" if last is None else STATUS_OF[last.action],
        decidedBy=last.decidedBy if last else "",
        decidedVia=last.channel if last else "",
        decidedAt=last.decidedAt if last else "",
        executionId=execution.executionId,
        planId=execution.planId,
        waveNumber=wave_number,
        message="this pause is over; nothing changed",
        planName=execution.planName,
        isDrill=execution.isDrill,
        startedBy=execution.startedBy,
        startTime=execution.startTime,
    )
