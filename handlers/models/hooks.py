"""Wave hooks (docs/hooks.md): what a plan's wave declares (``hooks: {"before": [...], "after": [...]}``),
what each run of a hook records on the execution's wave, and the event a ``lambda`` hook receives
and the answer it must give. The runner is handlers/hooks/.

A hook names what it calls in the plan's account: a Lambda function matching the deployment's
``HookFunctionPattern`` or an SSM document that is AWS-owned or matches ``HookDocumentPattern``
(handlers/core/settings.py); the roles that run hooks may call nothing else (cfn/drs-target-role.yaml,
cfn/orchestration.yaml), so a plan naming anything else is refused when it is written, naming the
field, not when it runs."""

import fnmatch
import json
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator

from handlers.core.settings import get_settings
from handlers.models.base import Model

MAX_HOOKS_PER_PHASE = 10
MAX_PAYLOAD_BYTES = 32 * 1024
# A Lambda function runs at most 15 minutes, so a ``lambda`` hook's timeout is at most 15; the
# orchestrator waits for its answer within its own 15-minute task, so at most LAMBDA_WAIT_SECONDS.
MAX_LAMBDA_TIMEOUT_MINUTES = 15
LAMBDA_WAIT_SECONDS = 14 * 60
AWS_OWNED_DOCUMENT_PREFIXES = ("AWS-", "AWSMigration-")
# The parameter value that expands to the wave's recovered EC2 instance ids.
INSTANCE_IDS_TOKEN = "{{instanceIds}}"  # noqa: S105 (a placeholder, not a secret)

HookType = Literal["lambda", "ssmAutomation", "instanceStatus", "launchActions"]
Phase = Literal["before", "after"]
HookStatus = Literal["PENDING", "RUNNING", "PASSED", "FAILED", "TIMED_OUT", "SKIPPED"]
SETTLED_STATUSES: frozenset[str] = frozenset({"PASSED", "SKIPPED"})
FAILED_STATUSES: frozenset[str] = frozenset({"FAILED", "TIMED_OUT"})


def _function_name(value: str) -> str:
    pattern = get_settings().hook_function_pattern
    if not fnmatch.fnmatchcase(value, pattern):
        raise ValueError(
            f"must match the deployment's HookFunctionPattern {pattern!r}: the roles that run hooks may "
            "invoke no other function"
        )
    return value


def _document_name(value: str) -> str:
    pattern = get_settings().hook_document_pattern
    if value.startswith(AWS_OWNED_DOCUMENT_PREFIXES) or fnmatch.fnmatchcase(value, pattern):
        return value
    raise ValueError(
        f"must be an AWS-owned document (AWS-..., AWSMigration-...) or match the deployment's "
        f"HookDocumentPattern {pattern!r}: the roles that run hooks may start no other document"
    )


def _small_payload(value: dict[str, Any]) -> dict[str, Any]:
    size = len(json.dumps(value, separators=(",", ":")).encode())
    if size > MAX_PAYLOAD_BYTES:
        raise ValueError(f"is {size} bytes as JSON; at most {MAX_PAYLOAD_BYTES} (32 KB)")
    return value


# A hook's name is shown in Slack, email and the report: letters, digits, spaces and ._- only.
HookName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
]
FunctionName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$"),
    AfterValidator(_function_name),
]
DocumentName = Annotated[
    str,
    StringConstraints(min_length=3, max_length=128, pattern=r"^[A-Za-z0-9_.-]+$"),
    AfterValidator(_document_name),
]
ParameterName = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_]+$")]
ParameterValue = Annotated[str, StringConstraints(max_length=512)]
Payload = Annotated[dict[str, Any], AfterValidator(_small_payload)]


class _Hook(Model):
    model_config = ConfigDict(extra="forbid")

    name: HookName
    timeoutMinutes: int = Field(default=15, ge=1, le=120)
    optional: bool = False


class LambdaHook(_Hook):
    """Invoke a function in the plan's account synchronously; it answers ``{"status", "message"}``."""

    type: Literal["lambda"]
    functionName: FunctionName
    payload: Payload = Field(default_factory=dict)

    @model_validator(mode="after")
    def _lambda_timeout(self) -> Self:
        if self.timeoutMinutes > MAX_LAMBDA_TIMEOUT_MINUTES:
            raise ValueError(
                f"timeoutMinutes of a lambda hook is at most {MAX_LAMBDA_TIMEOUT_MINUTES} "
                "(a Lambda function runs at most 15 minutes)"
            )
        return self


class SsmAutomationHook(_Hook):
    """Start an SSM Automation in the plan's account and wait for it to end."""

    type: Literal["ssmAutomation"]
    documentName: DocumentName
    parameters: dict[ParameterName, Annotated[list[ParameterValue], Field(max_length=50)]] = Field(
        default_factory=dict, max_length=50
    )


class InstanceStatusHook(_Hook):
    """Every launched recovery instance of the wave passes its EC2 status checks (after only)."""

    type: Literal["instanceStatus"]


class LaunchActionsHook(_Hook):
    """Every DRS post-launch action of category VALIDATION on the wave's servers succeeded (after only)."""

    type: Literal["launchActions"]


BeforeHook = Annotated[LambdaHook | SsmAutomationHook, Field(discriminator="type")]
AfterHook = Annotated[
    LambdaHook | SsmAutomationHook | InstanceStatusHook | LaunchActionsHook, Field(discriminator="type")
]
Hook = LambdaHook | SsmAutomationHook | InstanceStatusHook | LaunchActionsHook


class WaveHooks(Model):
    """A wave's hooks: ``before`` run in order after the wave's approval and before its servers
    launch; ``after`` once its servers launched. ``instanceStatus`` and ``launchActions`` look at
    launched servers, so they are ``after`` hooks only."""

    model_config = ConfigDict(extra="forbid")

    before: list[BeforeHook] = Field(default_factory=list, max_length=MAX_HOOKS_PER_PHASE)
    after: list[AfterHook] = Field(default_factory=list, max_length=MAX_HOOKS_PER_PHASE)

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        names = [h.name for h in [*self.before, *self.after]]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"hook names must be unique within a wave: {', '.join(repeated)}")
        return self

    def of(self, phase: Phase) -> list[Hook]:
        return list(self.before if phase == "before" else self.after)

    def count(self) -> int:
        return len(self.before) + len(self.after)

    def history_costs(self) -> tuple[tuple[tuple[int, bool], ...], tuple[tuple[int, bool], ...]]:
        """(before, after) as the run's history budget counts them (handlers/core/run_limits.py):
        each hook's timeout, and whether it is looked at until it ends (all but ``lambda``)."""
        before = tuple((h.timeoutMinutes, h.type != "lambda") for h in self.before)
        return before, tuple((h.timeoutMinutes, h.type != "lambda") for h in self.after)


class HookRun(Model):
    """One attempt of one hook, as the wave records it (``hooks: [...]``)."""

    name: str
    type: HookType
    phase: Phase
    attempt: int = 1
    status: HookStatus = "PENDING"
    optional: bool = False
    startedAt: str = ""
    endedAt: str = ""
    message: str = ""
    # What the hook ran: the automation's execution id, the instances it checked, a stop recorded.
    detail: dict[str, str] | None = None
    requestedBy: str = ""  # a retry: who asked for this attempt, and when (the decision's)
    requestedAt: str = ""

    def settled(self) -> bool:
        """The run needs nothing more: it passed, was skipped, or failed but is optional."""
        return self.status in SETTLED_STATUSES or (self.optional and self.status in FAILED_STATUSES)

    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


def awaiting_decision(runs: list[HookRun]) -> str:
    """The hook whose failure the wave's open pause (``hook_failed``) is about: the one whose latest
    attempt failed and is not optional ("" when none, e.g. a failed wave's own pause)."""
    latest = {(r.phase, r.name): r for r in runs}  # attempts are recorded in order
    return next((r.name for r in latest.values() if r.failed() and not r.optional), "")


class HookExecution(Model):
    executionId: str
    planId: str
    planName: str
    accountId: str
    mode: Literal["DRILL", "RECOVERY"]
    waveNumber: int
    phase: Phase


class HookServer(Model):
    sourceServerId: str
    recoveryInstanceId: str | None = None
    ec2InstanceId: str | None = None
    launchStatus: str | None = None


class HookEvent(Model):
    """What a ``lambda`` hook is invoked with."""

    payload: dict[str, Any]
    execution: HookExecution
    servers: list[HookServer]


class HookAnswer(Model):
    """What a ``lambda`` hook must answer: PASSED (a message optional) or FAILED with a message."""

    model_config = ConfigDict(extra="ignore")

    status: Literal["PASSED", "FAILED"]
    message: Annotated[str, StringConstraints(max_length=1000)] = ""

    @model_validator(mode="after")
    def _failed_says_why(self) -> Self:
        if self.status == "FAILED" and not self.message.strip():
            raise ValueError("a FAILED answer must carry a message saying why")
        return self
