"""Execution events: one model shared by the SNS publisher (``handlers/events/notifications.py``), the
emails (``templates/email/<eventType>.txt.j2`` render its fields), the Slack notifier
(``bot/notifier.py`` parses it out of the SNS record) and ``/dr status`` (the snapshot part).

``EventType`` lists every event once. Adding one means: its subject in :data:`SUBJECTS`, its email
template and its Slack line (``bot/blocks/events.py``); ``tests/unit/test_event_types.py`` names
whatever is missing. What is derived from an execution (a wave's launched/total, the Drill/RECOVERY
label, the summary, the subject) is computed here and nowhere else."""

from typing import Literal, Self, get_args

from pydantic import ConfigDict, Field, computed_field, model_validator

from handlers.models.base import Model
from handlers.models.execution import (
    Cleanup,
    Execution,
    ExecutionStatus,
    FailbackRecord,
    Rto,
    Vote,
    WaveProgress,
    WaveStatus,
)
from handlers.models.hooks import awaiting_decision
from handlers.models.recovery_plan import PolicySnapshot, RecoveryPlan, policy_differences

EventType = Literal[
    "start",
    "pause",
    "vote",
    "resume",
    "cancel",
    "wave_complete",
    "wave_fail",
    "wave_failed_pause",
    "wave_retry",
    "wave_skip",
    "complete",
    "fail",
    "timeout",
    "cleanup_reminder",
    "cleanup_done",
    "pause_reminder",
    "start_pause",
    "policy_changed",
    "hook_start",
    "hook_result",
    "hook_failed_pause",
    "failback_ready",
    "failback_started",
    "failback_completed",
]
# Events for Slack only (the pause message updates in place); emails are not sent for them.
SLACK_ONLY_EVENTS: frozenset[str] = frozenset({"vote", "hook_start", "hook_result"})
# Events about a plan, not an execution (no executionId): posted in the plan's channel(s) as a
# message of their own, emailed to the plan's address(es).
PLAN_EVENTS: frozenset[str] = frozenset({"policy_changed"})
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)

SUBJECTS: dict[EventType, str] = {
    "start": "[DRS] {mode} started: {planName}",
    "pause": "[DRS] Approval needed: {planName} paused before wave {waveNumber}",
    "vote": "[DRS] Vote recorded: {planName} wave {waveNumber}",
    "resume": "[DRS] Resumed: {planName} wave {waveNumber}",
    "cancel": "[DRS] Cancelled: {planName}",
    "wave_complete": "[DRS] Wave {waveNumber} completed: {planName}",
    "wave_fail": "[DRS] Wave {waveNumber} FAILED: {planName}",
    "wave_failed_pause": "[DRS] Decision needed: wave {waveNumber} FAILED: {planName}",
    "wave_retry": "[DRS] Retrying wave {waveNumber}: {planName}",
    "wave_skip": "[DRS] Wave {waveNumber} skipped: {planName}",
    "complete": "[DRS] {mode} completed: {planName}",
    "fail": "[DRS] {mode} FAILED: {planName}",
    "timeout": "[DRS] Timed out waiting for approval: {planName}",
    "pause_reminder": "[DRS] Reminder: {planName} still waits for a decision at wave {waveNumber}",
    "cleanup_reminder": "[DRS] Drill instances will be cleaned up soon: {planName}",
    "cleanup_done": "[DRS] Drill cleanup ended: {planName}",
    "start_pause": "[DRS] Approval needed to start a RECOVERY: {planName}",
    "policy_changed": "[DRS] Approval policy changed: {planName}",
    "hook_start": "[DRS] Hook started: {planName} wave {waveNumber}",
    "hook_result": "[DRS] Hook ended: {planName} wave {waveNumber}",
    "hook_failed_pause": "[DRS] Decision needed: a hook of wave {waveNumber} FAILED: {planName}",
    "failback_ready": "[DRS] Ready to fail back: {planName}",
    "failback_started": "[DRS] FAILBACK started: {planName}",
    "failback_completed": "[DRS] FAILBACK completed: {planName}",
}
# A Retry / Skip of a failed hook (wave_retry / wave_skip while the wave's failedHook is set).
HOOK_DECISION_SUBJECTS = {
    "wave_retry": "[DRS] Retrying hook {hook} of wave {waveNumber}: {planName}",
    "wave_skip": "[DRS] Hook {hook} of wave {waveNumber} skipped: {planName}",
}
_STATUS_WORDS = {"COMPLETED": "completed", "FAILED": "FAILED", "RUNNING": "running", "CANCELLED": "cancelled"}


def mode_label(is_drill: bool) -> str:
    """What a run is called everywhere: ``Drill``, or ``RECOVERY`` in capitals (a real failover)."""
    return "Drill" if is_drill else "RECOVERY"


def launched_count(wave: WaveProgress) -> int:
    return sum(1 for s in wave.servers if s.launchStatus == "LAUNCHED")


class WaveSummary(Model):
    waveNumber: int
    protectionGroupName: str = ""
    status: WaveStatus = "PENDING"
    pauseBeforeExecution: bool = False
    launched: int = 0
    total: int = 0
    retries: int = 0
    # the hook whose failure is being decided (a Retry / Skip of it is worded as the hook's, not
    # the servers'); "" otherwise (handlers/models/hooks.py awaiting_decision)
    failedHook: str = ""

    @classmethod
    def of(cls, wave: WaveProgress) -> Self:
        return cls(
            waveNumber=wave.waveNumber,
            protectionGroupName=wave.protectionGroupName,
            status=wave.status,
            pauseBeforeExecution=wave.pauseBeforeExecution,
            launched=launched_count(wave),
            total=len(wave.servers),
            retries=wave.retries,
            failedHook=awaiting_decision(wave.hooks),
        )

    @property
    def progress(self) -> str:
        return f"{self.launched}/{self.total}"


def _fields_of(execution: Execution) -> dict[str, object]:
    return {**execution.model_dump(exclude={"waves"}), "waves": [WaveSummary.of(w) for w in execution.waves]}


class ExecutionSnapshot(Model):
    """An execution as people are shown it: the Slack parent message and ``/dr status``."""

    model_config = ConfigDict(extra="ignore")

    executionId: str = Field(min_length=1)
    planId: str = Field(min_length=1)
    planName: str = ""
    accountId: str = Field(min_length=1)
    isDrill: bool = True
    status: ExecutionStatus = "RUNNING"
    startedBy: str = ""
    startTime: str = ""
    endTime: str = ""
    statusReason: str = ""
    rto: Rto | None = None
    waves: list[WaveSummary] = Field(default_factory=list)
    cleanup: Cleanup | None = None
    cleanupDueAt: str = ""
    forced: bool = False
    readinessFailures: list[str] = Field(default_factory=list)
    pointInTime: str | None = None
    failbackOf: str = ""  # a FAILBACK run: the RECOVERY it brings home (handlers/failback/)
    failback: FailbackRecord | None = None  # a RECOVERY's way home, once it has begun

    @classmethod
    def of(cls, execution: Execution) -> Self:
        return cls.model_validate(_fields_of(execution))

    @computed_field  # type: ignore[prop-decorator]
    @property
    def mode(self) -> str:
        return "FAILBACK" if self.failbackOf else mode_label(self.isDrill)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def waveCount(self) -> int:
        return len(self.waves)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rtoLine(self) -> str:
        """``RTO 14 min (target 30) ✓`` once the execution has ended (empty before)."""
        return self.rto.line() if self.rto is not None else ""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> str:
        """The waves as the emails list them."""
        lines = ["Waves:"]
        for wave in self.waves:
            progress = f" ({wave.progress} launched)" if wave.total else ""
            progress += f" (retried {wave.retries}x)" if wave.retries else ""
            status = _STATUS_WORDS.get(wave.status, wave.status.lower().replace("_", " "))
            lines.append(f"  {wave.waveNumber}. {wave.protectionGroupName}: {status}{progress}")
        return "\n".join(lines)


class ExecutionEvent(ExecutionSnapshot):
    """One event of an execution: the snapshot when it happened and what the event adds."""

    eventType: EventType
    executionId: str = ""  # every event but a plan's (PLAN_EVENTS) names its execution
    waveNumber: int | None = None
    protectionGroupName: str = ""
    requestedAt: str = ""
    expiresAt: str = ""
    resumeUrl: str = ""
    cancelUrl: str = ""
    retryUrl: str = ""
    skipUrl: str = ""
    decidedBy: str = ""
    decidedVia: str = ""
    decidedAt: str = ""
    reason: str = ""
    message: str = ""
    keepMinutes: int = 0  # cleanup_reminder: how long a keep postpones the cleanup
    quorum: int = 0  # a pause: how many distinct approvers must vote to resume
    votes: list[Vote] = Field(default_factory=list)  # a vote: the votes so far
    # an unanswered pause's end (timeout, or a failed wave left undecided): who it asked, as the
    # plan names them (Slack ``U…``/``S…`` ids; API principals); both empty when it names nobody
    askedApprovers: list[str] = Field(default_factory=list)
    askedPrincipals: list[str] = Field(default_factory=list)
    # policy_changed: the policy before and after (decidedBy/decidedVia/decidedAt: who changed it),
    # and the Slack channels to tell (the plan's, and its previous one when the change moved it)
    policyBefore: PolicySnapshot | None = None
    policyAfter: PolicySnapshot | None = None
    slackChannels: list[str] = Field(default_factory=list)
    # wave_complete: each hook run of the wave, one line each (handlers/hooks/runner.py result_line)
    hookResults: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, execution: Execution, event_type: EventType = "start", **extra: object) -> Self:
        """The event ``event_type`` of ``execution`` as stored now; ``extra`` sets the event's own
        fields. A wave event names its protection group unless ``extra`` does."""
        return cls.model_validate({**_fields_of(execution), "eventType": event_type, **extra})

    @classmethod
    def of_plan(cls, plan: RecoveryPlan, event_type: EventType, **extra: object) -> Self:
        """An event about ``plan`` itself (one of PLAN_EVENTS)."""
        fields = {"planId": plan.planId, "planName": plan.planName, "accountId": plan.accountId}
        return cls.model_validate({**fields, "eventType": event_type, **extra})

    @model_validator(mode="after")
    def _about_an_execution(self) -> Self:
        if not self.executionId and self.eventType not in PLAN_EVENTS:
            raise ValueError(f"a {self.eventType} event names its execution (executionId)")
        return self

    @model_validator(mode="after")
    def _name_the_group(self) -> Self:
        """A wave event names its wave's protection group unless it names one itself."""
        if not self.protectionGroupName and self.wave is not None:
            self.protectionGroupName = self.wave.protectionGroupName
        return self

    @property
    def wave(self) -> WaveSummary | None:
        """The wave the event is about, if it is about one."""
        return next((w for w in self.waves if w.waveNumber == self.waveNumber), None)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def launched(self) -> int:
        return self.wave.launched if self.wave else 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> int:
        return self.wave.total if self.wave else 0

    @property
    def policyChanges(self) -> list[str]:
        """policy_changed: ``field: before -> after``, one line per changed field."""
        if self.policyBefore is None or self.policyAfter is None:
            return []
        return policy_differences(self.policyBefore, self.policyAfter)

    @property
    def subject(self) -> str:
        """The email subject (SNS-safe: ASCII, one line, at most 100 characters)."""
        from handlers.core.rendering import email_subject

        fields = {"mode": self.mode, "planName": self.planName, "waveNumber": self.waveNumber or ""}
        hook = self.wave.failedHook if self.wave else ""
        subject = HOOK_DECISION_SUBJECTS.get(self.eventType, "") if hook else ""
        return email_subject((subject or SUBJECTS[self.eventType]).format(**fields, hook=hook))
