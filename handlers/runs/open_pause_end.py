"""An execution's open pause as the execution ends: who it asked (for the end's announcement), and
closing it so that it can no longer be decided."""

from __future__ import annotations

from handlers.repositories.approvals import ApprovalRepository
from handlers.repositories.executions import ExecutionRepository


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
