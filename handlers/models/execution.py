"""Executions of a Recovery Plan and the payloads Step Functions sends the orchestrator."""

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from handlers.models.base import Model
from handlers.models.fields import Reason

ExecutionStatus = Literal["RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"})
WaveStatus = Literal["PENDING", "WAITING_APPROVAL", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "SKIPPED"]
Outcome = Literal["SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"]


class ServerLaunch(Model):
    sourceServerId: str
    launchStatus: str = "PENDING"
    recoveryInstanceId: str = ""
    launchedAt: str = ""  # when a poll first saw it LAUNCHED
    recoverySnapshotId: str = ""  # the point-in-time snapshot it recovers from ("" = latest data)
    snapshotTime: str = ""


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


class Rto(Model):
    """Measured recovery time (handlers/rto.py): start to the last server launched."""

    measuredSeconds: int | None = None  # whole seconds (DynamoDB stores no floats)
    excludingApprovalSeconds: int | None = None
    targetSeconds: int | None = None
    met: bool | None = None


class PendingApproval(Model):
    """What an execution shows of its pause; the approval id (a credential) is not part of it."""

    waveNumber: int
    requestedAt: str
    expiresAt: str


class Cleanup(Model):
    """Terminating a finished drill's recovery instances (handlers/services/cleanup.py)."""

    status: Literal["IN_PROGRESS", "COMPLETED", "FAILED"]
    requestedBy: str
    requestedVia: str
    requestedAt: str
    completedAt: str = ""
    terminatedInstanceIds: list[str] = Field(default_factory=list)
    message: str = ""


class Decision(Model):
    action: Literal["resume", "cancel"]
    decidedBy: str
    channel: str
    decidedAt: str
    waveNumber: int
    reason: str = ""


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


class StartExecutionRequest(Model):
    model_config = ConfigDict(extra="forbid")

    planId: str = Field(min_length=1, max_length=128)
    isDrill: bool = True
    force: bool = False
    pointInTime: str | None = Field(default=None, max_length=64)


class ExecutionRef(Model):
    model_config = ConfigDict(extra="forbid")

    executionId: str = Field(min_length=1, max_length=128)


class DecideExecutionRequest(Model):
    """``resume_execution`` / ``cancel_execution``: the open pause of an execution, by its id. Who
    decides is the caller (handlers/account_context.py: the signed-in identity through API Gateway,
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

    action: Literal["resume", "cancel"]
    decidedBy: str
    decidedVia: str
    decidedAt: str
    reason: str = ""


class ResumedTask(Model):
    task: Literal["resumed"]
    executionId: str
    waveNumber: int
    decision: DecisionOutput


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
    """A one-time schedule (handlers/schedules.py): remind that a drill's cleanup is due soon."""

    task: Literal["cleanup_reminder"]
    executionId: str
    dueAt: str


class ScheduledCleanupTask(Model):
    """A one-time schedule: clean a drill up if its ``cleanupDueAt`` has passed (a keep moved it)."""

    task: Literal["scheduled_cleanup"]
    executionId: str
    dueAt: str


OrchestratorTask = Annotated[
    StartTask
    | PauseTask
    | ResumedTask
    | StartWaveTask
    | PollWaveTask
    | FinishTask
    | CleanupReminderTask
    | ScheduledCleanupTask,
    Field(discriminator="task"),
]
