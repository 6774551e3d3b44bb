"""Executions of a Recovery Plan and the payloads Step Functions sends the orchestrator."""

from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from handlers.models.base import STORED, Model
from handlers.models.fields import Reason
from handlers.models.hooks import HookRun, Phase, WaveHooks

ExecutionStatus = Literal["RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"})
WaveStatus = Literal["PENDING", "WAITING_APPROVAL", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "SKIPPED"]
Outcome = Literal["SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"]


# What a pause waits for: a wave to run, a recovery to start, or a decision on a failed wave or hook.
PauseKind = Literal["before_wave", "wave_failed", "start", "hook_failed"]


class ServerLaunch(Model):
    sourceServerId: str
    launchStatus: str = "PENDING"
    recoveryInstanceId: str = ""
    launchedAt: str = ""  # when a poll first saw it LAUNCHED
    recoverySnapshotId: str = ""  # the point-in-time snapshot it recovers from ("" = latest data)
    snapshotTime: str = ""
    optional: bool = False  # its failure does not fail the wave (the group's optionalSourceServerIds)
    attempt: int = 1  # which launch of its wave this status is from (retries launch failed ones again)

    @model_serializer(mode="wrap")
    def _stored(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> dict[str, Any]:
        """Stored, a server leaves out the fields still at their defaults (read back, they are the
        defaults again): a 1,000-server wave's record, and every read and write of it, is half the size."""
        shown: dict[str, Any] = handler(self)
        if not (info.context or {}).get(STORED):
            return shown
        fields = type(self).model_fields
        return {k: v for k, v in shown.items() if fields[k].is_required() or v != fields[k].default}


class WaveAttempt(Model):
    """One retry of a failed wave: who asked, which servers it launched again, its DRS jobs."""

    attempt: int
    requestedBy: str = ""
    requestedAt: str = ""
    startTime: str = ""
    sourceServerIds: list[str] = Field(default_factory=list)
    jobIds: list[str] = Field(default_factory=list)


class LaunchQuotas(Model):
    """The DRS quotas a wave launches within (handlers/aws/quotas.py, read when the wave starts)."""

    serversPerJob: int
    concurrentJobs: int
    serversInAllJobs: int
    source: str = ""


class WaveProgress(Model):
    waveNumber: int
    protectionGroupId: str
    protectionGroupName: str
    pauseBeforeExecution: bool = False
    status: WaveStatus = "PENDING"
    region: str = ""
    jobIds: list[str] = Field(default_factory=list)
    servers: list[ServerLaunch] = Field(default_factory=list)
    startTime: str = ""
    endTime: str = ""
    message: str = ""
    # A tag group's tags, as the wave resolved them at its start (``servers``: what they selected).
    resolvedFromTags: dict[str, str] | None = None
    pausedAt: str = ""  # when the pause before this wave (if any) opened
    retries: int = 0
    attempts: list[WaveAttempt] = Field(default_factory=list)  # the retries, in order (attempt 2, 3, ...)
    # The wave starts as DRS jobs within these quotas (handlers/runs/wave_launch.py); servers
    # waiting for capacity are QUEUED, ``jobIds`` lists the batches in start order.
    quotas: LaunchQuotas | None = None
    drsFailingSince: str = ""  # when DRS began failing this wave's calls ("" while it answers)
    # The wave's hooks as the plan declared them when the run started, and every run of each
    # (handlers/hooks/: one record per attempt, in the order they ran).
    hookSpecs: WaveHooks | None = None
    hooks: list[HookRun] = Field(default_factory=list)


class Rto(Model):
    """Measured recovery time (handlers/reports/rto.py): start to the last server launched."""

    measuredSeconds: int | None = None  # whole seconds (DynamoDB stores no floats)
    excludingApprovalSeconds: int | None = None
    targetSeconds: int | None = None
    met: bool | None = None

    def line(self) -> str:
        """The line completion messages lead with: ``RTO 14 min (target 30) ✓``."""
        if self.measuredSeconds is None:
            measured = "RTO not measured (no server launched)"
        else:
            measured = f"RTO {_minutes(self.measuredSeconds)}"
        if self.targetSeconds is None:
            return f"{measured} (no target)"
        mark = "✓" if self.met else "✗"
        return f"{measured} (target {self.targetSeconds // 60}) {mark}"


def _minutes(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 1 else "<1 s"
    return f"{round(seconds / 60):.0f} min"


class Vote(Model):
    action: Literal["resume", "cancel", "retry", "skip"]
    by: str
    via: str
    at: str
    reason: str = ""
    userId: str = ""  # a Slack vote's user id: the pause message stops waiting for them


class PendingApproval(Model):
    """What an execution shows of its pause; the approval id (a credential) is not part of it."""

    kind: Literal["before_wave", "wave_failed", "start", "hook_failed"] = "before_wave"
    waveNumber: int
    requestedAt: str
    expiresAt: str
    quorum: int = 1
    votes: list[Vote] = Field(default_factory=list)
    failedHook: str | None = None  # a hook_failed pause: the hook that failed (handlers/hooks/)


DecisionAction = Literal["resume", "cancel", "retry", "skip"]
# The channel of a decision Step Functions received without the pause's approval deciding it (its
# task token used directly; handlers/runs/decision_record.py).
OUTSIDE_VIA = "outside"


class Cleanup(Model):
    """Terminating a finished drill's recovery instances (handlers/cleanup/cleanup.py)."""

    status: Literal["IN_PROGRESS", "COMPLETED", "FAILED"]
    requestedBy: str
    requestedVia: str
    requestedAt: str
    completedAt: str = ""
    terminatedInstanceIds: list[str] = Field(default_factory=list)
    message: str = ""


FailbackOrigin = Literal["AWS", "ON_PREMISES"]
FailbackStatus = Literal["REVERSING", "READY", "FAILING_BACK", "FAILED_BACK", "REPROTECTED"]
# One server's reversal (handlers/failback/records.py): not asked yet, claimed by one caller (who
# then calls DRS), reversed by DRS, refused by DRS (retried by the next call), nothing to reverse.
ReversalState = Literal["", "CLAIMED", "REVERSED", "FAILED", "NOT_APPLICABLE"]


class FailbackServer(Model):
    """One recovered server on its way home (handlers/failback/): the recovery instance it runs
    as, where it came from, and how far failback has come for it."""

    sourceServerId: str
    recoveryInstanceId: str
    origin: FailbackOrigin
    reversedSourceServerId: str = ""  # EC2 origin: the source server ReverseReplication created
    state: str = ""  # the reversed server's replication state, or the instance's failback.state
    waveNumber: int = 1
    region: str = ""  # where the recovery instance runs (its DRS calls go there)
    originRegion: str = ""  # EC2 origin: where the reversed server is (StartRecovery goes there)
    reversal: ReversalState = ""
    claimedAt: str = ""  # when a caller claimed its ReverseReplication
    message: str = ""  # DRS's answer when it refused (or what is left to do)


class FailbackRecord(Model):
    """An execution's way home (docs/failback.md)."""

    status: FailbackStatus = "REVERSING"
    servers: list[FailbackServer] = Field(default_factory=list)
    failbackExecutionId: str = ""  # the FAILBACK execution that claimed it (the latest)
    readyAnnounced: bool = False  # failback_ready was sent (once)
    updatedAt: str = ""


class Decision(Model):
    action: DecisionAction
    decidedBy: str
    channel: str
    decidedAt: str
    waveNumber: int
    reason: str = ""
    votes: list[Vote] = Field(default_factory=list)  # every vote the pause received, counted or not
    # The pause it decided: its kind and when it opened (its approval's createdAt). A failed wave's or
    # hook's pause opens long after the wave began, so the report's pauses and the RTO need it
    # (None and "" on records from before decisions kept them).
    pauseKind: PauseKind | None = None
    openedAt: str = ""


class Execution(Model):
    model_config = ConfigDict(extra="ignore")

    executionId: str
    planId: str
    planName: str
    accountId: str
    status: ExecutionStatus = "RUNNING"
    isDrill: bool = True
    startedBy: str
    startedVia: str
    # Who started it as a person, the same on every channel (handlers.accounts.account_context.identity_keys):
    # the starter's vote never counts toward a quorum above 1, whatever channel or name it comes by.
    startedByKeys: list[str] = Field(default_factory=list)
    startTime: str
    endTime: str = ""
    stateMachineExecutionArn: str = ""
    waves: list[WaveProgress]
    pendingApproval: PendingApproval | None = None
    decisions: list[Decision] = Field(default_factory=list)
    statusReason: str = ""
    cleanup: Cleanup | None = None
    cleanupDueAt: str = ""  # when a finished drill's instances are cleaned up automatically
    rto: Rto | None = None
    forced: bool = False  # started with ``force`` although readiness checks failed
    readinessFailures: list[str] = Field(default_factory=list)  # what failed when it was forced
    pointInTime: str | None = None
    # A RECOVERY of a plan naming approvers: wave 1's pause is the decision to start at all
    # (``pendingApproval.kind: "start"``, handlers/runs/executions.py).
    startApproval: bool = False
    # DRILL, RECOVERY, or FAILBACK (handlers/failback/: a run home of the RECOVERY ``failbackOf``);
    # executions stored before the field are DRILL or RECOVERY by ``isDrill``.
    mode: Literal["DRILL", "RECOVERY", "FAILBACK"] = "RECOVERY"
    failbackOf: str = ""
    failback: FailbackRecord | None = None  # a RECOVERY's (or a FAILBACK's re-protect) way home

    @model_validator(mode="before")
    @classmethod
    def _mode_of_older_records(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("mode"):
            return {**data, "mode": "DRILL" if data.get("isDrill", True) else "RECOVERY"}
        return data

    def pause_kind(self, wave_number: int, *, failed: bool) -> Literal["before_wave", "wave_failed", "start"]:
        """The kind of pause this execution held at ``wave_number``: after the wave failed, or before
        it, which for wave 1 of a recovery that waited to start is the start itself."""
        if failed:
            return "wave_failed"
        return "start" if self.startApproval and wave_number == 1 else "before_wave"


class StartExecutionRequest(Model):
    model_config = ConfigDict(extra="forbid")

    planId: str = Field(min_length=1, max_length=128)
    isDrill: bool = True
    force: bool = False
    pointInTime: str | None = Field(default=None, max_length=64)


class FailbackRequest(Model):
    """``start_failback`` (and the failback view's other operations): an execution and a reason."""

    model_config = ConfigDict(extra="forbid")

    executionId: str = Field(min_length=1, max_length=128)
    reason: Reason = ""


class ExecutionRef(Model):
    model_config = ConfigDict(extra="forbid")

    executionId: str = Field(min_length=1, max_length=128)


class DecideExecutionRequest(Model):
    """``resume_execution`` / ``cancel_execution``: the open pause of an execution, by its id. Who
    decides is the caller (handlers/accounts/account_context.py: the signed-in identity through API Gateway,
    ``decidedBy``/``requestedBy`` on a direct invocation)."""

    model_config = ConfigDict(extra="forbid")

    executionId: str = Field(min_length=1, max_length=128)
    reason: Reason = ""


# --- Step Functions -> orchestrator payloads (one model per task, discriminated on "task") ---


class StartTask(Model):
    task: Literal["start"]
    executionId: str


class PauseTask(Model):
    model_config = ConfigDict(hide_input_in_errors=True)  # never echo a task token into an error

    task: Literal["pause"]
    executionId: str
    waveNumber: int
    taskToken: str = Field(min_length=1, max_length=4096, repr=False)


class DecisionOutput(Model):
    """What a decision hands Step Functions (SendTaskSuccess output / SendTaskFailure cause)."""

    action: DecisionAction
    decidedBy: str
    decidedVia: str
    decidedAt: str
    reason: str = ""
    votes: list[Vote] = Field(default_factory=list)


class ResumedTask(Model):
    task: Literal["resumed"]
    executionId: str
    waveNumber: int
    # What Step Functions was handed (anyone holding the task token can write it): never believed;
    # the decision is recorded as the pause's approval knows it (handlers/runs/decision_record.py).
    decision: Any = None


class WaveFailedPauseTask(Model):
    """A wave whose critical server failed waits for Retry / Skip / Cancel."""

    model_config = ConfigDict(hide_input_in_errors=True)  # never echo a task token into an error

    task: Literal["wave_failed_pause"]
    executionId: str
    waveNumber: int
    taskToken: str = Field(min_length=1, max_length=4096, repr=False)


class RetryWaveTask(Model):
    task: Literal["retry_wave"]
    executionId: str
    waveNumber: int
    decision: Any = None  # never believed, as ResumedTask.decision


class SkipWaveTask(Model):
    task: Literal["skip_wave"]
    executionId: str
    waveNumber: int
    decision: Any = None  # never believed, as ResumedTask.decision


class StartWaveTask(Model):
    task: Literal["start_wave"]
    executionId: str
    waveNumber: int


class PollWaveTask(Model):
    task: Literal["poll_wave"]
    executionId: str
    waveNumber: int


class StepError(Model):
    Error: str = ""
    Cause: str = ""


class FinishTask(Model):
    task: Literal["finish"]
    executionId: str
    outcome: Outcome
    error: StepError | None = None
    recordError: StepError | None = None  # set when recording ``outcome`` failed (outcome is then FAILED)


class CleanupReminderTask(Model):
    """A one-time schedule (handlers/aws/schedules.py): remind that a drill's cleanup is due soon."""

    task: Literal["cleanup_reminder"]
    executionId: str
    dueAt: str


class PauseReminderTask(Model):
    """A one-time schedule (handlers/pauses/pause_reminders.py): remind the approvers of a pause."""

    task: Literal["pause_reminder"]
    executionId: str
    waveNumber: int
    requestedAt: str  # which pause: a later pause of the same wave is another one


class ScheduledCleanupTask(Model):
    """A one-time schedule: clean a drill up if its ``cleanupDueAt`` has passed (a keep moved it)."""

    task: Literal["scheduled_cleanup"]
    executionId: str
    dueAt: str


class CleanupCheckTask(Model):
    """A one-time schedule (handlers/cleanup/cleanup.py): see whether DRS has terminated the
    instances of the cleanup claimed at ``requestedAt``; ``attempt`` counts the looks."""

    task: Literal["cleanup_check"]
    executionId: str
    requestedAt: str
    attempt: int = Field(default=1, ge=1)


class RunHookTask(Model):
    """Run (or look again at) the wave's next hook of ``phase`` (handlers/hooks/runner.py)."""

    task: Literal["run_hook"]
    executionId: str
    waveNumber: int
    phase: Phase


class HookFailedPauseTask(Model):
    """A wave whose hook failed waits for Retry (the hook) / Skip (the hook) / Cancel."""

    model_config = ConfigDict(hide_input_in_errors=True)  # never echo a task token into an error

    task: Literal["hook_failed_pause"]
    executionId: str
    waveNumber: int
    phase: Phase
    taskToken: str = Field(min_length=1, max_length=4096, repr=False)


class RetryHookTask(Model):
    task: Literal["retry_hook"]
    executionId: str
    waveNumber: int
    phase: Phase
    decision: Any = None  # never believed, as ResumedTask.decision


class SkipHookTask(Model):
    task: Literal["skip_hook"]
    executionId: str
    waveNumber: int
    phase: Phase
    decision: Any = None  # never believed, as ResumedTask.decision


OrchestratorTask = Annotated[
    StartTask
    | PauseTask
    | ResumedTask
    | StartWaveTask
    | PollWaveTask
    | WaveFailedPauseTask
    | RetryWaveTask
    | SkipWaveTask
    | FinishTask
    | CleanupReminderTask
    | ScheduledCleanupTask
    | CleanupCheckTask
    | PauseReminderTask
    | RunHookTask
    | HookFailedPauseTask
    | RetryHookTask
    | SkipHookTask,
    Field(discriminator="task"),
]
