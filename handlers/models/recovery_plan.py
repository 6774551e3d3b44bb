"""Recovery Plans: ordered waves of Protection Groups, all in the plan's account."""

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from handlers.core import run_limits
from handlers.models.base import Model
from handlers.models.fields import (
    Description,
    Email,
    ExternalId,
    Name,
    RoleName,
    SlackApproverId,
    SlackChannelId,
    Version,
    actor_problem,
)
from handlers.models.hooks import WaveHooks

SubscriptionStatus = Literal["pending_confirmation", "confirmed", "none", "failed"]
# What a wave whose critical server failed to launch does: pause for Retry / Skip / Cancel, or fail.
OnWaveFailure = Literal["pause", "fail"]


# A wave's wait before it launches: a native plan's wait step holds 1-120 minutes (0: none).
WaitMinutes = Annotated[int, Field(ge=0, le=120, strict=True)]


class NativeOrigin(Model):
    """The DRS native recovery plan a plan was imported from (handlers/native_plans/importing.py)."""

    arn: str
    importedAt: str


class NativeCopy(Model):
    """The DRS native recovery plan a plan was last exported to (handlers/native_plans/exporting.py):
    its ARN, when, and the plan's version it holds (older than the plan's: the copy is stale)."""

    arn: str
    exportedAt: str
    planVersion: int
    notExported: list[str] = Field(default_factory=list)


class WaveInput(Model):
    model_config = ConfigDict(extra="forbid")

    waveNumber: int = Field(ge=1)
    protectionGroupId: Annotated[str, Field(min_length=1, max_length=128)]
    pauseBeforeExecution: bool = False
    protectionGroupName: str | None = None  # accepted for round-trips; the stored name wins
    waitBeforeMinutes: WaitMinutes = 0
    hooks: WaveHooks | None = None  # checks that gate the wave (handlers/models/hooks.py)


class Wave(Model):
    waveNumber: int
    protectionGroupId: str
    protectionGroupName: str
    pauseBeforeExecution: bool = False
    # The run waits this long before launching the wave, after any approval (0: no wait); a DRS
    # native plan's wait step (handlers/native_plans/).
    waitBeforeMinutes: int = 0
    hooks: WaveHooks | None = None


def _ordered_waves(waves: list[WaveInput]) -> list[WaveInput]:
    numbers = sorted(w.waveNumber for w in waves)
    if numbers != list(range(1, len(waves) + 1)):
        raise ValueError(f"wave numbers must be 1..{len(waves)} without gaps or repeats, got {numbers}")
    groups = [w.protectionGroupId for w in waves]
    repeated = sorted({g for g in groups if groups.count(g) > 1})
    if repeated:
        raise ValueError(f"a protection group may appear in one wave only: {', '.join(repeated)}")
    return sorted(waves, key=lambda w: w.waveNumber)


def _history_budget(waves: list[WaveInput]) -> list[WaveInput]:
    """The waves' hooks count in the run's history (handlers/core/run_limits.py)."""
    run_limits.check_history_budget([w.hooks.history_costs() if w.hooks else ((), ()) for w in waves])
    return waves


# At most run_limits.MAX_WAVES: the longest run must fit one Step Functions execution.
Waves = Annotated[
    list[WaveInput],
    Field(min_length=1),
    AfterValidator(run_limits.check_wave_count),
    AfterValidator(_ordered_waves),
    AfterValidator(_history_budget),
]
Approvers = Annotated[list[SlackApproverId], Field(max_length=50)]
ReasonRule = Literal["never", "cancel", "always"]


def _principal(value: str) -> str:
    problem = actor_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# API identities (Cognito username or email, a direct invocation's decidedBy): 1-128 printable
# characters, no markup or links, the rules of every recorded actor.
Principal = Annotated[str, AfterValidator(_principal)]
Principals = Annotated[list[Principal], Field(max_length=50)]


class ApprovalQuorum(Model):
    """How many distinct approvers must vote to resume a pause, per execution mode."""

    model_config = ConfigDict(extra="forbid")

    drill: int = Field(default=1, ge=1, le=10)
    recovery: int = Field(default=2, ge=1, le=10)

    def for_mode(self, is_drill: bool) -> int:
        return self.drill if is_drill else self.recovery


def quorum_problem(approvers: list[str], principals: list[str], quorum: ApprovalQuorum) -> str | None:
    """Why no set of named approvers could ever reach ``quorum``, or None. Applies only when the
    plan names approvers (users or principals): with none named, the operators (Slack) and the
    account's signed-in callers (API) decide, whose number the plan does not know. A user group
    (``S…``) has a size known only when a vote arrives, so a plan naming one passes too."""
    if not approvers and not principals:
        return None
    if any(a.startswith("S") for a in approvers):
        return None
    reachable = len(set(approvers)) + len(set(principals))
    needed = max(quorum.drill, quorum.recovery)
    if needed <= reachable:
        return None
    which = "recovery" if quorum.recovery >= quorum.drill else "drill"
    return (
        f"approvalQuorum.{which} is {needed} but the plan names only {reachable} distinct approver(s) "
        "(approvers + approverPrincipals) who could vote: name more approvers, a user group, or lower "
        "the quorum"
    )


class PolicySnapshot(Model):
    """A plan's approval policy, the fields whose change is guarded (handlers/plans/policy_guard.py):
    who decides, how many must, whether a reason is needed, whether a recovery waits to start, and
    which waves pause before they run."""

    approvers: list[str] = Field(default_factory=list)
    approverPrincipals: list[str] = Field(default_factory=list)
    approvalQuorum: ApprovalQuorum = Field(default_factory=ApprovalQuorum)
    requireReason: ReasonRule = "cancel"
    approveRecoveryStart: bool = True
    pausedWaves: list[int] = Field(default_factory=list)


def _shown(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value).lower() if isinstance(value, bool) else str(value)


def policy_differences(before: PolicySnapshot, after: PolicySnapshot) -> list[str]:
    """What a policy change changed, one ``field: before -> after`` line per field."""
    old, new = before.model_dump(), after.model_dump()
    changed = [field for field in old if old[field] != new[field]]
    return [f"{field}: {_shown(old[field])} -> {_shown(new[field])}" for field in changed]


class PolicyChange(Model):
    """One change of a plan's policy: who made it, through which channel, and the policy before and after."""

    changedBy: str
    via: str
    changedAt: str
    before: PolicySnapshot
    after: PolicySnapshot


# The plan keeps its latest policy changes (each is also logged and announced); older ones drop off
# so the item stays far below DynamoDB's 400 KB.
POLICY_HISTORY_LIMIT = 20

# How long after a drill ends its recovery instances are terminated (0: never; at most 30 days).
DEFAULT_DRILL_CLEANUP_MINUTES = 1440
CleanupMinutes = Annotated[int, Field(ge=0, le=43200, strict=True)]
TargetRtoMinutes = Annotated[int, Field(ge=1, le=10080)]
# Readiness WARNs for a server whose replication lags more than this (1 minute to 7 days).
LagMinutes = Annotated[int, Field(ge=1, le=10080, strict=True)]


class RecoveryPlan(Model):
    """A stored Recovery Plan, as returned to callers."""

    model_config = ConfigDict(extra="ignore")

    planId: str
    planName: str
    description: str = ""
    accountId: str
    assumeRoleName: str = ""
    externalId: str = ""
    notificationEmail: str = ""
    # The address's SNS subscription, shared by every plan naming the address (so plans on one
    # mailbox show one ARN); "failed" comes with the reason, and the plan's next update retries.
    snsSubscriptionArn: str = ""
    subscriptionStatus: SubscriptionStatus = "none"
    subscriptionStatusReason: str = ""
    waves: list[Wave]
    slackChannelId: str = ""
    approvers: list[str] = Field(default_factory=list)
    drillCleanupAfterMinutes: int = DEFAULT_DRILL_CLEANUP_MINUTES
    targetRtoMinutes: int | None = None
    maxReplicationLagMinutes: int = 60
    onWaveFailure: OnWaveFailure = "pause"
    approverPrincipals: list[str] = Field(default_factory=list)
    approvalQuorum: ApprovalQuorum = Field(default_factory=ApprovalQuorum)
    requireReason: ReasonRule = "cancel"
    # A RECOVERY of a plan that names approvers waits for its recovery quorum before wave 1.
    approveRecoveryStart: bool = True
    policyHistory: list[PolicyChange] = Field(default_factory=list)
    importedFrom: NativeOrigin | None = None  # a DRS native plan it was imported from
    exportNative: bool = False  # exported to a DRS native plan on every save (handlers/native_plans/)
    nativeCopy: NativeCopy | None = None  # the DRS native plan it was last exported to
    status: Literal["valid", "invalid"] = "valid"
    statusReason: str = ""
    createdAt: str
    updatedAt: str
    createdBy: str
    version: int = 1

    def policy(self) -> PolicySnapshot:
        return PolicySnapshot(
            approvers=self.approvers,
            approverPrincipals=self.approverPrincipals,
            approvalQuorum=self.approvalQuorum,
            requireReason=self.requireReason,
            approveRecoveryStart=self.approveRecoveryStart,
            pausedWaves=[w.waveNumber for w in self.waves if w.pauseBeforeExecution],
        )

    def names_approvers(self) -> bool:
        return bool(self.approvers or self.approverPrincipals)

    def needs_start_approval(self, is_drill: bool) -> bool:
        """A RECOVERY of a plan naming approvers waits for its quorum before wave 1 (unless the
        plan's ``approveRecoveryStart`` is off); a drill never does."""
        return not is_drill and self.approveRecoveryStart and self.names_approvers()


class RecoveryPlanCreate(Model):
    model_config = ConfigDict(extra="forbid")

    planName: Name
    description: Description = ""
    waves: Waves
    assumeRoleName: RoleName = ""
    externalId: ExternalId = ""
    notificationEmail: Email | Literal[""] = ""
    slackChannelId: SlackChannelId | Literal[""] = ""
    approvers: Approvers = Field(default_factory=list)
    drillCleanupAfterMinutes: CleanupMinutes = DEFAULT_DRILL_CLEANUP_MINUTES
    targetRtoMinutes: TargetRtoMinutes | None = None
    maxReplicationLagMinutes: LagMinutes = 60
    onWaveFailure: OnWaveFailure = "pause"
    approverPrincipals: Principals = Field(default_factory=list)
    approvalQuorum: ApprovalQuorum = Field(default_factory=ApprovalQuorum)
    requireReason: ReasonRule = "cancel"
    approveRecoveryStart: bool = True
    exportNative: bool = False

    @model_validator(mode="after")
    def _reachable_quorum(self) -> Self:
        problem = quorum_problem(self.approvers, self.approverPrincipals, self.approvalQuorum)
        if problem:
            raise ValueError(problem)
        return self


class RecoveryPlanUpdate(Model):
    """The fields a caller may change; ``planId``/``accountId``/``createdBy`` are not among them."""

    model_config = ConfigDict(extra="forbid")

    planId: str
    version: Version | None = None
    planName: Name | None = None
    description: Description | None = None
    waves: Waves | None = None
    assumeRoleName: RoleName | None = None
    externalId: ExternalId | None = None
    notificationEmail: Email | Literal[""] | None = None
    slackChannelId: SlackChannelId | Literal[""] | None = None
    approvers: Approvers | None = None
    drillCleanupAfterMinutes: CleanupMinutes | None = None
    targetRtoMinutes: TargetRtoMinutes | None = None
    maxReplicationLagMinutes: LagMinutes | None = None
    onWaveFailure: OnWaveFailure | None = None
    approverPrincipals: Principals | None = None
    approvalQuorum: ApprovalQuorum | None = None
    requireReason: ReasonRule | None = None
    approveRecoveryStart: bool | None = None
    exportNative: bool | None = None
