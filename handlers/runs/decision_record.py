"""The one writer of a decision on an execution (:func:`record`), and what the record believes about
a decision Step Functions received: only the approvals table (:func:`believe`).

Whoever learns of a winning decision first records it through :func:`record`: a channel that just won
the pause's conditional write (handlers/runs/decisions.py ``settle``), or the orchestrator when the
state machine goes on (``resumed``, the cancel's ``finish``, a failed wave's retry/skip). The write is
conditional, so the decision is on the execution once, and only the call that wrote it announces it.

Step Functions goes on (or stops) at a pause whenever it is handed the pause's task token, and the
token is in the execution's Step Functions history (it is the waiting task's input). So a decision
the state machine received is never recorded from what it was handed (who, via, votes, reason are
whatever the sender wrote): the orchestrator (``resumed``, the cancel's ``finish``, a failed wave's
``retry_wave``/``skip_wave``) records it as the pause's approval knows it, decided by its
conditional write (handlers/pauses/approvals.py). A decision the approval does not know of (it is
still PENDING, or decided otherwise) was made outside drs-chatops: it is recorded as such
(:data:`OUTSIDE_BY` via :data:`handlers.models.execution.OUTSIDE_VIA`, crediting nobody who voted),
the approval is closed (EXPIRED, with that reason) so it cannot be decided again, the metric
``DecisionOutsideCount`` is counted (cfn/monitoring.yaml alarms on it) and the report names it.

Every vote a pause received, counted or not, stays with its decision (``Decision.votes``): a
quorum-2 pause that one approver voted to resume and another cancelled keeps both votes; the
decision's reason is the reasons of the votes that made it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.core.observability import count, logger
from handlers.core.settings import get_settings
from handlers.core.timestamps import now_iso
from handlers.events.execution_events import announce
from handlers.models.approval import STATUS_OF, STOP_ACTIONS, Approval
from handlers.models.events import EventType
from handlers.models.execution import (
    OUTSIDE_VIA,
    TERMINAL_STATUSES,
    Decision,
    DecisionAction,
    Execution,
    PauseKind,
    Vote,
)
from handlers.pauses.approvals import joined_reason
from handlers.repositories.approvals import ApprovalRepository
from handlers.repositories.executions import ExecutionRepository

OUTSIDE_BY = "outside drs-chatops (task token used directly)"
OUTSIDE_METRIC = "DecisionOutsideCount"
# What a recorded decision that goes on announces (a cancel announces the execution's end).
ANNOUNCED: dict[str, EventType] = {"resume": "resume", "retry": "wave_retry", "skip": "wave_skip"}


@dataclass(frozen=True)
class Believed:
    """A decision as the record holds it, and the execution as this call left it when this call
    recorded it (None when it was on the record already)."""

    decision: Decision
    recorded: Execution | None = None


def decision_of(
    action: DecisionAction,
    *,
    by: str,
    via: str,
    at: str,
    wave_number: int,
    votes: list[Vote],
    reason: str = "",
    pause: tuple[PauseKind, str] | None = None,
) -> Decision:
    """The decision ``votes`` made: all of them kept, its reason theirs (the cancel's own for a
    cancel, the counted votes' for a proceed action), else ``reason``."""
    deciding = votes[-1:] if action in STOP_ACTIONS else [v for v in votes if v.action == action]
    return Decision(
        action=action,
        decidedBy=by,
        channel=via,
        decidedAt=at,
        waveNumber=wave_number,
        reason=joined_reason(deciding) or reason,
        votes=list(votes),
        pauseKind=pause[0] if pause else None,
        openedAt=pause[1] if pause else "",
    )


def record(execution_id: str, decision: Decision, *, at_open_pause: bool = True) -> Execution | None:
    """Record ``decision`` on the execution unless it is there already (one conditional write), and
    announce it when this call wrote it. The execution as this call left it, or None."""
    recorded = ExecutionRepository().record_decision(execution_id, decision, at_open_pause=at_open_pause)
    if recorded is not None and decision.action in ANNOUNCED:
        announce(recorded, ANNOUNCED[decision.action], **announced(decision))
    return recorded


def announced(decision: Decision) -> dict[str, Any]:
    """What a decision's announcement says of it."""
    return {
        "waveNumber": decision.waveNumber,
        "decidedBy": decision.decidedBy,
        "decidedVia": decision.channel,
        "decidedAt": decision.decidedAt,
        "reason": decision.reason,
        "votes": decision.votes,
    }


def believe(execution_id: str, action: DecisionAction, wave_number: int | None = None) -> Believed | None:
    """The decision ``action`` Step Functions received at the pause before ``wave_number`` (None: the
    open pause, whichever wave), recorded once on the execution. None when the execution has ended
    without it (or pauses are off, and Step Functions is resumed by the pause itself)."""
    executions = ExecutionRepository()
    execution = executions.get(execution_id)
    if execution is None:
        return None
    pending = execution.pendingApproval
    wave_number = wave_number if wave_number is not None else (pending.waveNumber if pending else None)
    approval_id = executions.pending_approval_id(execution_id) if pending else None
    approval = ApprovalRepository().get(approval_id) if approval_id else None
    if pending is not None and approval_id is None:
        # the pause closed between the two reads: its decider's write (one write that records the
        # decision and closes the pause) is on the record now
        execution = executions.get(execution_id) or execution
    if approval is not None and pending is not None and pending.waveNumber == wave_number:
        decided = _decided(approval, action)
        decision = decided if decided is not None else _outside(action, pending.waveNumber, approval)
        recorded = record(execution_id, decision)
        if recorded is not None:
            if decided is None:
                _alarm(execution_id, decision, approval)
            return Believed(decision, recorded)
        execution = executions.get(execution_id) or execution  # its decider recorded it first
    # on the record already (its decider's one write also closed the pause): a cancel names no wave
    on_record = next(
        (
            d
            for d in reversed(execution.decisions)
            if d.action == action and wave_number in (None, d.waveNumber)
        ),
        None,
    )
    if on_record is not None:
        return Believed(on_record)
    if wave_number is None:
        return None
    if execution.status in TERMINAL_STATUSES or not get_settings().enable_pause_resume:
        return None
    # Step Functions went on at a pause the record never saw open: its token was used before the
    # pause's approval was stored
    decision = _outside(action, wave_number, None)
    recorded = record(execution_id, decision, at_open_pause=False)
    if recorded is None:
        return None
    _alarm(execution_id, decision, None)
    return Believed(decision, recorded)


def _decided(approval: Approval, action: DecisionAction) -> Decision | None:
    """The approval's decision, if its conditional write decided ``action``."""
    if approval.status != STATUS_OF[action] or approval.action != action:
        return None
    return decision_of(
        action,
        by=approval.decidedBy,
        via=approval.decidedVia,
        at=approval.decidedAt,
        wave_number=approval.waveNumber,
        votes=approval.votes,
        pause=(approval.kind, approval.createdAt),
    )


def _outside(action: DecisionAction, wave_number: int, approval: Approval | None) -> Decision:
    if approval is None:
        state = "no pause was open on the record"
    else:
        counted = [v for v in approval.votes if v.action == action]
        tally = (
            f", {len(counted)} of {approval.quorum} votes to {action}" if action not in STOP_ACTIONS else ""
        )
        state = f"the pause's approval was {approval.status}{tally}"
    reason = (
        f"Step Functions was sent {action} with the pause's task token, not through drs-chatops ({state})"
    )
    return Decision(
        action=action,
        decidedBy=OUTSIDE_BY,
        channel=OUTSIDE_VIA,
        decidedAt=now_iso(),
        waveNumber=wave_number,
        reason=reason,
        pauseKind=approval.kind if approval is not None else None,
        openedAt=approval.createdAt if approval is not None else "",
    )


def _alarm(execution_id: str, decision: Decision, approval: Approval | None) -> None:
    """Close the pause's approval (nobody may decide it any more) and count the decision."""
    if approval is not None and approval.status != "EXPIRED":
        ApprovalRepository().expire(approval.approvalId, reason=OUTSIDE_BY, only_if=approval.status)
    count(OUTSIDE_METRIC)
    logger.warning(
        "decision made outside drs-chatops",
        extra={"executionId": execution_id, "action": decision.action, "waveNumber": decision.waveNumber},
    )
