"""Executions of a Recovery Plan and the payloads Step Functions sends the orchestrator."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from handlers.models.fields import Actor, Reason

ExecutionStatus = Literal["RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"})
WaveStatus = Literal["PENDING", "WAITING_APPROVAL", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "SKIPPED"]
Outcome = Literal["SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"]


class ServerLaunch(BaseModel):
    sourceServerId: str
    launchStatus: str = "PENDING"


class WaveProgress(BaseModel):
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


class PendingApproval(BaseModel):
    """What an execution shows of its pause; the approval id (a credential) is not part of it."""

    waveNumber: int
    requestedAt: str
    expiresAt: str


class Decision(BaseModel):
    action: Literal["resume", "cancel"]
    decidedBy: str
    channel: str
    decidedAt: str
    waveNumber: int
    reason: str = ""


class Execution(BaseModel):
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


class StartExecutionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    planId: str = Field(min_length=1, max_length=128)
    isDrill: bool = True


class ExecutionRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    executionId: str = Field(min_length=1, max_length=128)


class DecideExecutionRequest(BaseModel):
    """``resume_execution`` / ``cancel_execution``: the open pause of an execution, by its id.
    ``decidedBy`` names the decider of a direct invocation (through API Gateway it is the signed-in
    caller, and the route refuses the field)."""

    model_config = ConfigDict(extra="forbid")

    executionId: str = Field(min_length=1, max_length=128)
    reason: Reason = ""
    decidedBy: Actor | None = None


# --- Step Functions -> orchestrator payloads (one model per task, discriminated on "task") ---


class StartTask(BaseModel):
    task: Literal["start"]
    executionId: str


class PauseTask(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)  # never echo a task token into an error

    task: Literal["pause"]
    executionId: str
    waveNumber: int
    taskToken: str = Field(min_length=1, max_length=4096, repr=False)


class DecisionOutput(BaseModel):
    """What a decision hands Step Functions (SendTaskSuccess output / SendTaskFailure cause)."""

    action: Literal["resume", "cancel"]
    decidedBy: str
    decidedVia: str
    decidedAt: str
    reason: str = ""


class ResumedTask(BaseModel):
    task: Literal["resumed"]
    executionId: str
    waveNumber: int
    decision: DecisionOutput


class StartWaveTask(BaseModel):
    task: Literal["start_wave"]
    executionId: str
    waveNumber: int


class PollWaveTask(BaseModel):
    task: Literal["poll_wave"]
    executionId: str
    waveNumber: int


class StepError(BaseModel):
    Error: str = ""
    Cause: str = ""


class FinishTask(BaseModel):
    task: Literal["finish"]
    executionId: str
    outcome: Outcome
    error: StepError | None = None
    recordError: StepError | None = None  # set when recording ``outcome`` failed (outcome is then FAILED)


OrchestratorTask = Annotated[
    StartTask | PauseTask | ResumedTask | StartWaveTask | PollWaveTask | FinishTask,
    Field(discriminator="task"),
]
