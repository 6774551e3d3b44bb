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


class Vote(Model):
    action: Literal["resume", "cancel", "retry", "skip"]
    by: str
    via: str
    at: str
    reason: str = ""


class PendingApproval(Model):
    """What an execution shows of its pause; the approval id (a credential) is not part of it."""

    kind: Literal["before_wave", "wave_failed"] = "before_wave"
    waveNumber: int
    requestedAt: str
    expiresAt: str
    quorum: int = 1
    votes: list[Vote] = Field(default_factory=list)


class Decision(Model):
    action: Literal["resume", "cancel"]
    decidedBy: str
    channel: str
    decidedAt: str
    waveNumber: int
    reason: str = ""
    votes: list[Vote] = Field(default_factory=list)  # the votes that made it (one for a cancel)


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


class StartExecutionRequest(Model):
    model_config = ConfigDict(extra="forbid")

    planId: str = Field(min_length=1, max_length=128)
    isDrill: bool = True


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
    votes: list[Vote] = Field(default_factory=list)


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


OrchestratorTask = Annotated[
    StartTask | PauseTask | ResumedTask | StartWaveTask | PollWaveTask | FinishTask,
    Field(discriminator="task"),
]
