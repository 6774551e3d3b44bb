"""Approvals: custody of a paused execution's Step Functions task token."""

from typing import Literal, Self

from pydantic import ConfigDict, Field, model_validator

from handlers.models.base import Model
from handlers.models.execution import PauseKind, Vote
from handlers.models.fields import Reason

ApprovalStatus = Literal["PENDING", "RESUMED", "CANCELLED", "RETRIED", "SKIPPED", "EXPIRED"]
Action = Literal["resume", "cancel", "retry", "skip"]
# What each kind of pause offers: before a wave, go on or stop; after a wave failed, launch its
# failed servers again, go on without it, or stop; before a RECOVERY's first wave ("start": the
# decision to fail over at all), go or stop.
OFFERS: dict[str, tuple[Action, ...]] = {
    "before_wave": ("resume", "cancel"),
    "start": ("resume", "cancel"),
    "wave_failed": ("retry", "skip", "cancel"),
    "hook_failed": ("retry", "skip", "cancel"),  # the failed hook again, without it, or stop
}
STATUS_OF: dict[str, ApprovalStatus] = {
    "resume": "RESUMED",
    "cancel": "CANCELLED",
    "retry": "RETRIED",
    "skip": "SKIPPED",
}
Channel = Literal["email", "slack", "api", "direct"]
ReasonRule = Literal["never", "cancel", "always"]
# A stop action decides at once, whoever of the allowed approvers takes it; every other action is
# a vote that takes effect when ``quorum`` distinct approvers have voted for that same action.
STOP_ACTIONS = frozenset({"cancel"})
PROCEED_ACTIONS: dict[str, tuple[str, ...]] = {
    "before_wave": ("resume",),
    "wave_failed": ("retry", "skip"),
    "start": ("resume",),
    "hook_failed": ("retry", "skip"),
}
# Who an email-link decision is recorded as when the plan has no notification address: the link
# identifies nobody, so the record says so instead of staying empty.
LINK_HOLDER = "holder of the email link"


class Approval(Model):
    model_config = ConfigDict(extra="ignore")

    approvalId: str = Field(repr=False)
    taskToken: str = Field(repr=False)
    tokenHash: str
    executionId: str
    planId: str
    accountId: str
    waveNumber: int
    kind: PauseKind = "before_wave"
    status: ApprovalStatus = "PENDING"
    createdAt: str
    expiresAt: str
    ttl: int
    decidedBy: str = ""
    decidedVia: str = ""
    decidedAt: str = ""
    action: str = ""
    statusReason: str = ""
    # Who a decision through the email link is recorded as: the plan's notification address when it
    # had one as the pause opened, else LINK_HOLDER.
    linkHolder: str = ""
    # A snapshot of what the confirmation and result pages show, taken when the pause opens, so a
    # click costs one read instead of three.
    planName: str = ""
    protectionGroupName: str = ""
    notificationEmail: str = ""
    isDrill: bool = True
    startedBy: str = ""
    startedByKeys: list[str] = Field(default_factory=list)  # the starter's (Execution.startedByKeys)
    startTime: str = ""
    # The approval policy in force when the pause opened (the plan's, see
    # handlers/pauses/approval_policy.py): who may vote, how many must, whether a reason is needed.
    quorum: int = 1
    approvers: list[str] = Field(default_factory=list)
    approverPrincipals: list[str] = Field(default_factory=list)
    requireReason: ReasonRule = "never"
    # Votes so far: every vote in order, the count per proceed action, and when each voter voted
    # (one vote per person per pause; keys are handlers.pauses.approval_policy.Voter.key). An
    # approval stored before votes existed has no tally and is decided by one write as before.
    votes: list[Vote] = Field(default_factory=list)
    tally: dict[str, int] = Field(default_factory=dict)
    voters: dict[str, str] = Field(default_factory=dict, repr=False)

    def counted(self, action: str) -> list[Vote]:
        return [v for v in self.votes if v.action == action]


class DecideApprovalRequest(Model):
    """``decide_approval``: by approval id (people) or by task token (automation)."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # ids and tokens are secrets

    action: Action
    approvalId: str | None = Field(default=None, min_length=16, max_length=128, repr=False)
    taskToken: str | None = Field(default=None, min_length=1, max_length=4096, repr=False)
    reason: Reason = ""

    @model_validator(mode="after")
    def _one_key(self) -> Self:
        if (self.approvalId is None) == (self.taskToken is None):
            raise ValueError("give exactly one of approvalId or taskToken")
        return self


class DecisionResult(Model):
    """What every channel shows after a decision attempt. Never carries the token or approval id."""

    model_config = ConfigDict(extra="ignore")

    outcome: Literal["decided", "voted", "already_decided", "expired"]
    action: str
    status: ApprovalStatus
    kind: PauseKind = "before_wave"
    decidedBy: str = ""
    decidedVia: str = ""
    decidedAt: str = ""
    executionId: str
    planId: str
    waveNumber: int
    message: str
    # What pages and messages show about the pause (the approval's snapshot).
    planName: str = ""
    protectionGroupName: str = ""
    isDrill: bool = True
    startedBy: str = ""
    startTime: str = ""
    createdAt: str = ""  # when the pause opened
    expiresAt: str = ""
    quorum: int = 1
    votes: list[Vote] = Field(default_factory=list)
    requireReason: ReasonRule = "never"
