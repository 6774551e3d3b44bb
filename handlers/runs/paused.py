"""An execution and its pause's approval, read once for a request that decides the pause by
execution id (a Slack button, the API's resume/cancel, a direct operation): one read of the
execution's item (the model and the approval id it keeps outside the model), one of the approval.
The request passes what it read along (handlers/runs/decisions.py ``open_pause``), so nothing on
its path reads either again."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.accounts.account_context import Caller
from handlers.core.errors import NotFoundError
from handlers.models.approval import Approval
from handlers.models.execution import Execution
from handlers.repositories.approvals import ApprovalRepository
from handlers.repositories.executions import ExecutionRepository


@dataclass(frozen=True)
class Paused:
    """The execution as read in the caller's account, and the approval of the pause its record
    names (whatever its status: a decided one says who decided; None when no pause is named)."""

    execution: Execution
    approval: Approval | None

    @property
    def open(self) -> Approval | None:
        """The approval while it still waits for a decision (None: decided, expired, or none)."""
        approval = self.approval
        return approval if approval is not None and approval.status == "PENDING" else None


def read_paused(caller: Caller, execution_id: str) -> Paused:
    """The execution of the caller's account (another account's is not found) and its pause's
    approval, each read once."""
    stored = ExecutionRepository().get_stored(execution_id)
    if stored is None or stored.execution.accountId != caller.account_id:
        raise NotFoundError(f"execution {execution_id} not found")
    approval_id = stored.pending_approval_id
    approval = ApprovalRepository().get(approval_id) if approval_id else None
    if approval is not None and approval.accountId != stored.execution.accountId:
        approval = None
    return Paused(stored.execution, approval)
