"""AWS DRS's own recovery plans, simulated: plans, their steps, and executions run against the
emulated source servers (moto has no DRS). The operations and shapes are those of botocore's ``drs``
model (``CreateRecoveryPlan`` ... ``UpdateRecoveryPlanExecutionStep``, and ``TagResource`` /
``UntagResource`` / ``ListTagsForResource`` for plan and execution ARNs); every answer validates
against it (``tests/unit/test_drs_native_plans_emulator.py``).

Per account, like the rest of the emulator (:func:`sandbox.data.drs_calls.caller_of`): a plan, step or
execution ARN of another account is unknown, and a step's ``serverArn`` must name a source server of
the caller's account. The model's limits hold: at most :data:`MAX_STEPS` steps (a 21st is
``ServiceQuotaExceededException``), 1 to :data:`MAX_SERVERS_PER_STEP` servers a step, wait steps of
1 to 120 minutes, at most :data:`MAX_SNAPSHOT_PINS` snapshot pins an execution, one execution in a
non-terminal status (``CREATED``, ``IN_PROGRESS``, ``CANCELLING``) per plan. A malformed request is
``ValidationException`` with ``reason`` ``fieldValidationFailed`` and the fields in ``fieldList``.
Where the model leaves a rule open, the emulator reads it this way:

- plan names are unique in an account, step names in a plan (``ConflictException``); a plan's steps
  cannot be added, changed, reordered or deleted while one of its executions is not terminal
  (``ConflictException``); a plan without a server step is ``INVALID`` and cannot be started;
- an execution copies the plan's steps when it starts; its steps run one after the other. A server
  step is one ``StartRecovery`` of its servers (``DRILL`` -> ``isDrill``, the execution's snapshot
  pins as ``recoverySnapshotID``), ``EXECUTING`` until that job has ended; a server that did not
  launch fails the step if it is ``CRITICAL`` and not if it is ``OPTIONAL``. A wait step is
  ``WAITING`` for its minutes, scaled down in the sandbox: a minute lasts
  :data:`WAIT_MINUTE_SECONDS` second (with ``complete_after_polls`` set, as in tests: that many
  reads of the execution instead, no clock);
- a failed step fails the execution (``FAILED``, ``errorDetail`` naming the step). Retrying the
  step (``RetryRecoveryPlanExecutionStep``: a new ``StartRecovery`` of its servers that did not
  launch, ``attempt`` + 1) or skipping it (``UpdateRecoveryPlanExecutionStep`` ``SKIPPED``) takes the
  execution up again where it stopped, unless another execution of the plan runs meanwhile;
- cancelling skips the steps not started; a wait step in progress is skipped at once, a server step
  in progress runs to its end (``CANCELLING``: DRS does not stop a launch) and then the execution is
  ``CANCELLED``. ``TIMED_OUT`` never happens here.

Progress is computed when an execution is read (``Get``/``List`` of executions and their steps, and
``/_sandbox/drs-state``), as jobs' progress in :mod:`sandbox.emulators.drs` is: no timer threads. A read moves
an execution at most one step on, so a test sees every step start and end; a change (cancel, retry,
skip, a step's new servers or wait) acts on the execution as it was last read. Like DRS, nothing here
terminates what an execution launched.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Protocol, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sandbox.data import drs_snapshots
from sandbox.data.drs_calls import Answer, DrsError
from sandbox.data.drs_data import REGION, Estate
from sandbox.data.drs_shapes import iso

MAX_STEPS = 20
MAX_SERVERS_PER_STEP = 100
MAX_SNAPSHOT_PINS = 200
MAX_WAIT_MINUTES = 120
WAIT_MINUTE_SECONDS = 1.0  # the sandbox's wait steps: one minute of the plan lasts this long
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# Operations that answer 201 Created in botocore's model.
CREATED_OPERATIONS = frozenset({"CreateRecoveryPlan", "CreateRecoveryPlanStep", "StartRecoveryPlanExecution"})
NON_TERMINAL = frozenset({"CREATED", "IN_PROGRESS", "CANCELLING"})
TAG_OPERATIONS = frozenset({"TagResource", "UntagResource", "ListTagsForResource"})


class Launcher(Protocol):
    """What an execution needs of the DRS emulator: its servers, its launches and its jobs."""

    estate: Estate
    complete_after_polls: int | None

    def start_recovery(self, account: str, body: dict[str, Any]) -> dict[str, Any]: ...

    def describe_jobs(self, account: str, body: dict[str, Any]) -> dict[str, Any]: ...


class ValidationFailed(DrsError):
    """DRS's ``ValidationException``, with the ``reason`` and the ``fieldList`` its shape has."""

    def __init__(self, message: str, fields: list[dict[str, str]], reason: str = "fieldValidationFailed"):
        super().__init__(400, "ValidationException", message, extra={"reason": reason})
        self.fields = fields

    def answer(self) -> Answer:
        status, headers, _ = super().answer()
        body = {"message": self.message, "code": self.code, **self.extra, "fieldList": self.fields}
        return status, headers, json.dumps(body).encode()


def _invalid(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{name}: {message}", [{"name": name, "message": message}])


def _not_found(kind: str, arn: str) -> DrsError:
    extra = {"resourceId": arn[:2048], "resourceType": kind}
    return DrsError(404, "ResourceNotFoundException", f"{kind} not found: {arn[:200]}", extra=extra)


def _conflict(kind: str, arn: str, message: str) -> DrsError:
    extra = {"resourceId": arn[:2048], "resourceType": kind}
    return DrsError(409, "ConflictException", message, extra=extra)


# -- requests (botocore's input shapes, with the limits the model states) ---------------------------
Name = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[a-zA-Z0-9][a-zA-Z0-9 _-]*$")]
PlanArn = Annotated[
    str,
    Field(
        min_length=20,
        max_length=2048,
        pattern=r"^arn:aws(-[a-z0-9]+)*:drs:[a-z0-9-]+:[0-9]{12}:[a-zA-Z0-9_/.-]+$",
    ),
]
ServerArn = Annotated[
    str,
    Field(
        min_length=20,
        max_length=2048,
        pattern=r"^arn:(?:[0-9a-zA-Z_-]+:){3}([0-9]{12,}):source-server/(s-[0-9a-zA-Z]{17})$",
    ),
]
Token = Annotated[str, Field(max_length=64)]
Tags = dict[Annotated[str, Field(max_length=256)], Annotated[str, Field(max_length=256)]]
WaitMinutes = Annotated[int, Field(ge=1, le=MAX_WAIT_MINUTES)]
ExecutionStatus = Literal["CREATED", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLING", "CANCELLED"]
StepStatus = Literal["NOT_STARTED", "EXECUTING", "WAITING", "COMPLETED", "FAILED", "TIMED_OUT", "SKIPPED"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerIn(_Request):
    serverArn: ServerArn
    impactLevel: Literal["CRITICAL", "OPTIONAL"] = "CRITICAL"


Servers = Annotated[list[ServerIn], Field(min_length=1, max_length=MAX_SERVERS_PER_STEP)]


class ServerStepIn(_Request):
    servers: Servers


class WaitStepIn(_Request):
    waitDurationMinutes: WaitMinutes


class StepConfigurationIn(_Request):
    serverStepConfiguration: ServerStepIn | None = None
    waitStepConfiguration: WaitStepIn | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> StepConfigurationIn:
        if (self.serverStepConfiguration is None) == (self.waitStepConfiguration is None):
            raise ValueError("exactly one of serverStepConfiguration, waitStepConfiguration must be set")
        return self


class _Page(_Request):
    maxResults: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    nextToken: str = Field("", max_length=2048)


class CreatePlan(_Request):
    name: Name
    description: str = Field("", max_length=1024)
    clientToken: Token = ""
    tags: Tags = Field(default_factory=dict)


class PlanRef(_Request):
    recoveryPlanArn: PlanArn


class UpdatePlan(PlanRef):
    name: Name | None = None
    description: str | None = Field(None, max_length=1024)


class ListPlans(_Page):
    pass


class CreateStep(PlanRef):
    stepName: Name
    stepOrder: int | None = Field(None, ge=1, le=MAX_STEPS)
    configuration: StepConfigurationIn
    clientToken: Token = ""


class StepRef(_Request):
    recoveryPlanStepArn: PlanArn


class UpdateStep(StepRef):
    stepName: Name | None = None
    configuration: StepConfigurationIn | None = None


class ListSteps(_Page, PlanRef):
    pass


class Reorder(PlanRef):
    orderedStepArns: list[PlanArn] = Field(min_length=1, max_length=MAX_STEPS)


class Pin(_Request):
    sourceServerID: str = Field(pattern=r"^s-[0-9a-zA-Z]{17}$")
    recoverySnapshotID: str = Field(pattern=r"^pit-[0-9a-zA-Z]{17}$")


class StartExecution(PlanRef):
    mode: Literal["DRILL", "RECOVERY"]
    clientToken: Token = ""
    sourceServers: list[Pin] = Field(default_factory=list, max_length=MAX_SNAPSHOT_PINS)
    tags: Tags = Field(default_factory=dict)


class ExecutionRef(_Request):
    recoveryPlanExecutionArn: PlanArn


class ListExecutions(_Page):
    recoveryPlanArn: PlanArn | None = None
    status: ExecutionStatus | None = None


class StepFilter(_Request):
    status: StepStatus | None = None


class ListExecutionSteps(_Page, ExecutionRef):
    filter: StepFilter = Field(default_factory=StepFilter)


class ExecutionStepRef(_Request):
    recoveryPlanExecutionStepArn: PlanArn


class UpdateExecutionStep(ExecutionStepRef):
    status: StepStatus | None = None
    servers: Servers | None = None
    waitDurationMinutes: WaitMinutes | None = None


class TagIn(_Request):
    resourceArn: str = Field(min_length=20, max_length=2048)
    tags: Tags


class UntagIn(_Request):
    resourceArn: str = Field(min_length=20, max_length=2048)
    tagKeys: list[Annotated[str, Field(max_length=256)]] = Field(min_length=1, max_length=50)


class TagsOf(_Request):
    resourceArn: str = Field(min_length=20, max_length=2048)


M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def _parse(model: type[M], body: dict[str, Any]) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        fields = [{"name": ".".join(map(str, e["loc"])) or "body", "message": e["msg"]} for e in exc.errors()]
        names = ", ".join(f["name"] for f in fields[:5])
        raise ValidationFailed(f"invalid request: {names}", fields) from exc


# -- records -------------------------------------------------------------------------------------
def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:17]}"


@dataclass
class Step:
    arn: str
    name: str
    servers: list[ServerIn] | None  # a server step's servers; None for a wait step
    wait_minutes: int | None
    created: float
    updated: float

    def configuration(self) -> dict[str, Any]:
        if self.servers is None:
            return {"waitStepConfiguration": {"waitDurationMinutes": self.wait_minutes}}
        return {"serverStepConfiguration": {"servers": [s.model_dump() for s in self.servers]}}

    def shape(self, order: int) -> dict[str, Any]:
        return {
            "recoveryPlanStepArn": self.arn,
            "stepOrder": order,
            "stepName": self.name,
            "configuration": self.configuration(),
            "createdAt": iso(self.created),
            "updatedAt": iso(self.updated),
        }


@dataclass
class Plan:
    arn: str
    account: str
    name: str
    description: str
    created: float
    updated: float
    tags: dict[str, str]
    steps: list[Step] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "ACTIVE" if any(s.servers is not None for s in self.steps) else "INVALID"

    def summary(self) -> dict[str, Any]:
        return {
            "recoveryPlanArn": self.arn,
            "name": self.name,
            "status": self.status,
            "createdAt": iso(self.created),
            "updatedAt": iso(self.updated),
        }

    def shape(self) -> dict[str, Any]:
        return {**self.summary(), "description": self.description, "tags": dict(self.tags)}


@dataclass
class ExecutionServer:
    arn: str
    impact: str
    job_id: str = ""
    outcome: str = ""  # "" while not launched or launching, then LAUNCHED or FAILED

    @property
    def server_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def shape(self) -> dict[str, Any]:
        shape = {"serverArn": self.arn, "impactLevel": self.impact}
        return shape | ({"jobID": self.job_id} if self.job_id else {})


@dataclass
class ExecutionStep:
    arn: str
    index: int
    name: str
    servers: list[ExecutionServer] | None
    wait_minutes: int | None
    created: float
    updated: float
    status: str = "NOT_STARTED"
    attempt: int = 1
    error: dict[str, str] | None = None
    began: float = 0.0
    polls: int = 0  # reads of the execution while this wait step waited

    def configuration(self) -> dict[str, Any]:
        if self.servers is None:
            return {"waitStepConfiguration": {"waitDurationMinutes": self.wait_minutes}}
        return {"executionServerStepConfiguration": {"servers": [s.shape() for s in self.servers]}}

    def summary(self) -> dict[str, Any]:
        shape = {
            "recoveryPlanExecutionStepArn": self.arn,
            "stepName": self.name,
            "stepIndex": self.index,
            "status": self.status,
            "configuration": self.configuration(),
        }
        return shape | ({"errorDetail": dict(self.error)} if self.error else {})

    def shape(self) -> dict[str, Any]:
        times = {"createdAt": iso(self.created), "updatedAt": iso(self.updated)}
        return {**self.summary(), "attempt": self.attempt, **times}

    def set(self, status: str, now: float, error: dict[str, str] | None = None) -> None:
        self.status, self.error, self.updated = status, error, now


@dataclass
class Execution:
    arn: str
    account: str
    plan_arn: str
    mode: str
    started: float
    steps: list[ExecutionStep]
    pins: dict[str, str]  # source server id -> recovery snapshot id
    tags: dict[str, str]
    status: str = "CREATED"
    completed: float | None = None
    error: dict[str, str] | None = None

    def summary(self) -> dict[str, Any]:
        shape = {
            "recoveryPlanExecutionArn": self.arn,
            "recoveryPlanArn": self.plan_arn,
            "mode": self.mode,
            "status": self.status,
            "startedAt": iso(self.started),
        }
        return shape | ({"errorDetail": dict(self.error)} if self.error else {})

    def shape(self) -> dict[str, Any]:
        shape = {**self.summary(), "tags": dict(self.tags)}
        return shape | ({"completedAt": iso(self.completed)} if self.completed is not None else {})

    def end(self, status: str, now: float, error: dict[str, str] | None = None) -> None:
        self.status, self.completed, self.error = status, now, error

    def current(self) -> ExecutionStep | None:
        return next((s for s in self.steps if s.status in ("EXECUTING", "WAITING")), None)


# -- the operations ------------------------------------------------------------------------------
@dataclass
class NativePlans:
    """DRS's native recovery plans over the emulator ``drs`` (see the module)."""

    drs: Launcher
    clock: Callable[[], float] = time.time  # what a wait step's minutes are measured by
    plans: dict[str, Plan] = field(default_factory=dict)  # plan ARN -> plan
    executions: dict[str, Execution] = field(default_factory=dict)  # execution ARN -> execution

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._tokens: dict[tuple[str, str, str], str] = {}  # (account, operation, clientToken) -> ARN

    def operations(self) -> dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]]:
        """Operation name -> ``handler(account, body)``, for the emulator's responder."""
        table: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
            "CreateRecoveryPlan": self.create_plan,
            "GetRecoveryPlan": self.get_plan,
            "UpdateRecoveryPlan": self.update_plan,
            "DeleteRecoveryPlan": self.delete_plan,
            "ListRecoveryPlans": self.list_plans,
            "CreateRecoveryPlanStep": self.create_step,
            "GetRecoveryPlanStep": self.get_step,
            "UpdateRecoveryPlanStep": self.update_step,
            "DeleteRecoveryPlanStep": self.delete_step,
            "ListRecoveryPlanSteps": self.list_steps,
            "ReorderRecoveryPlanSteps": self.reorder_steps,
            "StartRecoveryPlanExecution": self.start_execution,
            "GetRecoveryPlanExecution": self.get_execution,
            "ListRecoveryPlanExecutions": self.list_executions,
            "CancelRecoveryPlanExecution": self.cancel_execution,
            "DeleteRecoveryPlanExecution": self.delete_execution,
            "GetRecoveryPlanExecutionStep": self.get_execution_step,
            "ListRecoveryPlanExecutionSteps": self.list_execution_steps,
            "RetryRecoveryPlanExecutionStep": self.retry_execution_step,
            "UpdateRecoveryPlanExecutionStep": self.update_execution_step,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags,
        }
        return table

    # plans
    def create_plan(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(CreatePlan, body)
        with self._lock:
            again = self._again(account, "CreateRecoveryPlan", request.clientToken)
            if again in self.plans:
                return {"recoveryPlan": self.plans[again].shape()}
            self._name_free(account, request.name)
            now = self.clock()
            arn = _arn(account, f"recovery-plan/{_new_id('rp')}")
            plan = Plan(arn, account, request.name, request.description, now, now, dict(request.tags))
            self.plans[arn] = plan
            self._remember(account, "CreateRecoveryPlan", request.clientToken, arn)
            return {"recoveryPlan": plan.shape()}

    def get_plan(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(PlanRef, body)
        with self._lock:
            return {"recoveryPlan": self._plan(account, request.recoveryPlanArn).shape()}

    def update_plan(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(UpdatePlan, body)
        with self._lock:
            plan = self._plan(account, request.recoveryPlanArn)
            if request.name is not None and request.name != plan.name:
                self._name_free(account, request.name)
                plan.name = request.name
            if request.description is not None:
                plan.description = request.description
            plan.updated = self.clock()
            return {"recoveryPlan": plan.shape()}

    def delete_plan(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(PlanRef, body)
        with self._lock:
            plan = self._plan(account, request.recoveryPlanArn)
            self._idle(plan, "delete the recovery plan")
            del self.plans[plan.arn]
            return {"recoveryPlanArn": plan.arn}

    def list_plans(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(ListPlans, body)
        with self._lock:
            mine = sorted((p for p in self.plans.values() if p.account == account), key=lambda p: p.created)
            page, token = _page(mine, request)
            return {"recoveryPlans": [p.summary() for p in page]} | token

    # steps
    def create_step(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(CreateStep, body)
        with self._lock:
            plan = self._plan(account, request.recoveryPlanArn)
            again = self._again(account, "CreateRecoveryPlanStep", request.clientToken)
            known = {s.arn: (n, s) for n, s in enumerate(plan.steps, 1)}
            if again in known:
                order, step = known[again]
                return {"recoveryPlanStep": step.shape(order)}
            self._idle(plan, "add a step")
            if len(plan.steps) >= MAX_STEPS:
                raise DrsError(
                    402,
                    "ServiceQuotaExceededException",
                    f"a recovery plan holds at most {MAX_STEPS} steps",
                    extra={"resourceId": plan.arn, "resourceType": "RecoveryPlanStep", "serviceCode": "drs"},
                )
            order = request.stepOrder or len(plan.steps) + 1
            if order > len(plan.steps) + 1:
                raise _invalid("stepOrder", f"must be 1 to {len(plan.steps) + 1} for this plan")
            self._step_name_free(plan, request.stepName)
            servers, wait = self._configuration(account, request.configuration)
            now = self.clock()
            step = Step(f"{plan.arn}/step/{_new_id('rps')}", request.stepName, servers, wait, now, now)
            plan.steps.insert(order - 1, step)
            plan.updated = now
            self._remember(account, "CreateRecoveryPlanStep", request.clientToken, step.arn)
            return {"recoveryPlanStep": step.shape(order)}

    def get_step(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(StepRef, body)
        with self._lock:
            _, order, step = self._step(account, request.recoveryPlanStepArn)
            return {"recoveryPlanStep": step.shape(order)}

    def update_step(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(UpdateStep, body)
        with self._lock:
            plan, order, step = self._step(account, request.recoveryPlanStepArn)
            self._idle(plan, "change a step")
            if request.stepName is not None and request.stepName != step.name:
                self._step_name_free(plan, request.stepName)
            if request.configuration is not None:
                servers, wait = self._configuration(account, request.configuration)
                if (servers is None) != (step.servers is None):
                    raise _invalid("configuration", "a step's type (server or wait) cannot change")
                step.servers, step.wait_minutes = servers, wait
            step.name = request.stepName or step.name
            step.updated = plan.updated = self.clock()
            return {"recoveryPlanStep": step.shape(order)}

    def delete_step(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(StepRef, body)
        with self._lock:
            plan, _, step = self._step(account, request.recoveryPlanStepArn)
            self._idle(plan, "delete a step")
            plan.steps.remove(step)
            plan.updated = self.clock()
            return {"recoveryPlanStepArn": step.arn}

    def list_steps(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(ListSteps, body)
        with self._lock:
            plan = self._plan(account, request.recoveryPlanArn)
            page, token = _page(list(enumerate(plan.steps, 1)), request)
            return {"recoveryPlanSteps": [s.shape(n) for n, s in page]} | token

    def reorder_steps(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(Reorder, body)
        with self._lock:
            plan = self._plan(account, request.recoveryPlanArn)
            self._idle(plan, "reorder its steps")
            by_arn = {s.arn: s for s in plan.steps}
            wanted = request.orderedStepArns
            if len(set(wanted)) != len(wanted) or set(wanted) != set(by_arn):
                raise _invalid("orderedStepArns", "must list every step of the plan exactly once")
            plan.steps = [by_arn[arn] for arn in wanted]
            plan.updated = self.clock()
            return {"recoveryPlanSteps": [s.shape(n) for n, s in enumerate(plan.steps, 1)]}

    # executions
    def start_execution(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(StartExecution, body)
        with self._lock:
            plan = self._plan(account, request.recoveryPlanArn)
            again = self._again(account, "StartRecoveryPlanExecution", request.clientToken)
            if again in self.executions:
                return {"recoveryPlanExecution": self.executions[again].shape()}
            if plan.status != "ACTIVE":
                raise _conflict("RecoveryPlan", plan.arn, "the recovery plan has no server step (INVALID)")
            self._idle(plan, "start another execution")
            pins = self._pins(account, plan, request.sourceServers)
            now = self.clock()
            arn = _arn(account, f"recovery-plan-execution/{_new_id('rpe')}")
            steps = [
                ExecutionStep(
                    f"{arn}/step/{_new_id('rpes')}",
                    n,
                    step.name,
                    None
                    if step.servers is None
                    else [ExecutionServer(s.serverArn, s.impactLevel) for s in step.servers],
                    step.wait_minutes,
                    now,
                    now,
                )
                for n, step in enumerate(plan.steps, 1)
            ]
            execution = Execution(arn, account, plan.arn, request.mode, now, steps, pins, dict(request.tags))
            self.executions[arn] = execution
            self._remember(account, "StartRecoveryPlanExecution", request.clientToken, arn)
            return {"recoveryPlanExecution": execution.shape()}

    def get_execution(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(ExecutionRef, body)
        with self._lock:
            execution = self._read(account, request.recoveryPlanExecutionArn)
            return {"recoveryPlanExecution": execution.shape()}

    def list_executions(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(ListExecutions, body)
        with self._lock:
            mine = [e for e in self.executions.values() if e.account == account]
            mine = [e for e in mine if request.recoveryPlanArn in (None, e.plan_arn)]
            for execution in mine:
                self._advance(execution, self.clock())
            mine = [e for e in mine if request.status in (None, e.status)]
            page, token = _page(sorted(mine, key=lambda e: -e.started), request)
            return {"recoveryPlanExecutions": [e.summary() for e in page]} | token

    def cancel_execution(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(ExecutionRef, body)
        with self._lock:
            execution = self._find(
                account, request.recoveryPlanExecutionArn
            )  # a CREATED one launches nothing
            if execution.status not in ("CREATED", "IN_PROGRESS"):
                message = (
                    f"the execution is {execution.status}: only CREATED or IN_PROGRESS ones can be cancelled"
                )
                raise _conflict("RecoveryPlanExecution", execution.arn, message)
            now = self.clock()
            current = execution.current()
            if current is not None and current.status == "WAITING":
                current.set("SKIPPED", now)
                current = None
            _skip_not_started(execution, now)
            if current is None:
                execution.end("CANCELLED", now)
            else:
                execution.status = "CANCELLING"
            return {"recoveryPlanExecution": execution.shape()}

    def delete_execution(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(ExecutionRef, body)
        with self._lock:
            execution = self._read(account, request.recoveryPlanExecutionArn)
            if execution.status in NON_TERMINAL:
                message = f"the execution is {execution.status}: only a terminal one can be deleted"
                raise _conflict("RecoveryPlanExecution", execution.arn, message)
            del self.executions[execution.arn]
            return {"recoveryPlanExecutionArn": execution.arn}

    def get_execution_step(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(ExecutionStepRef, body)
        with self._lock:
            _, step = self._execution_step(account, request.recoveryPlanExecutionStepArn, read=True)
            return {"recoveryPlanExecutionStep": step.shape()}

    def list_execution_steps(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(ListExecutionSteps, body)
        with self._lock:
            execution = self._read(account, request.recoveryPlanExecutionArn)
            wanted = request.filter.status
            steps = [s for s in execution.steps if wanted in (None, s.status)]
            page, token = _page(steps, request)
            return {"recoveryPlanExecutionSteps": [s.summary() for s in page]} | token

    def retry_execution_step(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(ExecutionStepRef, body)
        with self._lock:
            execution, step = self._execution_step(account, request.recoveryPlanExecutionStepArn)
            if step.servers is None:
                raise _invalid("recoveryPlanExecutionStepArn", "only a SERVER step can be retried")
            if step.status != "FAILED" or execution.status != "FAILED":
                message = (
                    f"the step is {step.status}: only a FAILED step of a FAILED execution can be retried"
                )
                raise _conflict("RecoveryPlanExecutionStep", step.arn, message)
            self._resume(execution)
            step.attempt += 1
            self._launch(execution, step, [s for s in step.servers if s.outcome != "LAUNCHED"], self.clock())
            return {"recoveryPlanExecutionStep": step.shape()}

    def update_execution_step(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(UpdateExecutionStep, body)
        with self._lock:
            execution, step = self._execution_step(account, request.recoveryPlanExecutionStepArn)
            if execution.status in ("COMPLETED", "CANCELLED", "CANCELLING"):
                message = f"the execution is {execution.status}: its steps cannot change"
                raise _conflict("RecoveryPlanExecution", execution.arn, message)
            now = self.clock()
            if request.status is not None:
                self._skip(execution, step, request.status, now)
            if request.servers is not None or request.waitDurationMinutes is not None:
                self._change(account, step, request, now)
            return {"recoveryPlanExecutionStep": step.shape()}

    # tags
    def tag_resource(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(TagIn, body)
        with self._lock:
            self._tagged(account, request.resourceArn).update(request.tags)
            return {}

    def untag_resource(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(UntagIn, body)
        with self._lock:
            tags = self._tagged(account, request.resourceArn)
            for key in request.tagKeys:
                tags.pop(key, None)
            return {}

    def list_tags(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        request = _parse(TagsOf, body)
        with self._lock:
            return {"tags": dict(self._tagged(account, request.resourceArn))}

    # -- what the sandbox shows (/_sandbox/drs-state) ----------------------------------------------
    def accounts(self) -> set[str]:
        with self._lock:
            return {p.account for p in self.plans.values()} | {e.account for e in self.executions.values()}

    def state(self, account: str) -> dict[str, Any]:
        """The account's native plans (their steps) and executions (each step's status and jobs)."""
        with self._lock:
            plans = [p for p in self.plans.values() if p.account == account]
            executions = [e for e in self.executions.values() if e.account == account]
            for execution in executions:
                self._advance(execution, self.clock())
            return {
                "recoveryPlans": [
                    {**p.summary(), "steps": [s.shape(n) for n, s in enumerate(p.steps, 1)]}
                    for p in sorted(plans, key=lambda p: p.created)
                ],
                "recoveryPlanExecutions": [
                    {**e.shape(), "steps": [s.shape() for s in e.steps]}
                    for e in sorted(executions, key=lambda e: e.started)
                ],
            }

    # -- running an execution --------------------------------------------------------------------
    def _find(self, account: str, arn: str) -> Execution:
        execution = self.executions.get(arn)
        if execution is None or execution.account != account:
            raise _not_found("RecoveryPlanExecution", arn)
        return execution

    def _read(self, account: str, arn: str) -> Execution:
        """The execution, moved on to now (a read)."""
        execution = self._find(account, arn)
        self._advance(execution, self.clock())
        return execution

    def _advance(self, execution: Execution, now: float) -> None:
        """Move ``execution`` on as far as ``now`` allows, starting at most one step."""
        if execution.status not in NON_TERMINAL:
            return
        execution.status = "IN_PROGRESS" if execution.status == "CREATED" else execution.status
        while True:
            current = execution.current()
            if current is not None and not self._finish(execution, current, now):
                return
            if execution.status != "IN_PROGRESS":  # the step failed it, or it was cancelling
                if execution.status == "CANCELLING":
                    execution.end("CANCELLED", now)
                return
            following = next((s for s in execution.steps if s.status == "NOT_STARTED"), None)
            if following is None:
                execution.end("COMPLETED", now)
                return
            if following.servers is None:
                following.set("WAITING", now)
                following.began, following.polls = now, 0
            else:
                self._launch(execution, following, following.servers, now)
            return

    def _finish(self, execution: Execution, step: ExecutionStep, now: float) -> bool:
        """Whether ``step`` (EXECUTING or WAITING) has ended by ``now``; records how."""
        if step.servers is None:
            return self._waited(step, now)
        launching = [s for s in step.servers if not s.outcome]
        job_ids = sorted({s.job_id for s in launching})
        if job_ids:
            jobs = self.drs.describe_jobs(execution.account, {"filters": {"jobIDs": job_ids}})["items"]
            if len(jobs) < len(job_ids) or any(j["status"] != "COMPLETED" for j in jobs):
                return False
            launched = {
                p["sourceServerID"]
                for j in jobs
                for p in j.get("participatingServers", [])
                if p.get("launchStatus") == "LAUNCHED"
            }
            for server in launching:
                server.outcome = "LAUNCHED" if server.server_id in launched else "FAILED"
        self._judge(execution, step, now)
        return True

    def _waited(self, step: ExecutionStep, now: float) -> bool:
        polls = self.drs.complete_after_polls
        if polls is not None:
            step.polls += 1
            done = step.polls >= polls  # reads after the one that started the wait
        else:
            done = now - step.began >= (step.wait_minutes or 0) * WAIT_MINUTE_SECONDS
        if done:
            step.set("COMPLETED", now)
        return done

    def _judge(self, execution: Execution, step: ExecutionStep, now: float) -> None:
        failed = [s for s in step.servers or [] if s.outcome == "FAILED" and s.impact == "CRITICAL"]
        if not failed:
            step.set("COMPLETED", now)
            return
        ids = ", ".join(s.server_id for s in failed[:10])
        detail = step.error or {
            "code": "LAUNCH_FAILED",
            "message": f"CRITICAL source servers did not launch: {ids}",
        }
        step.set("FAILED", now, detail)
        if execution.status == "IN_PROGRESS":
            message = f"step {step.index} ({step.name}) failed: {detail['message']}"
            execution.end("FAILED", now, {"code": "STEP_FAILED", "message": message})

    def _launch(
        self, execution: Execution, step: ExecutionStep, servers: list[ExecutionServer], now: float
    ) -> None:
        """One StartRecovery of ``servers`` for ``step``; a refused one fails the step at once."""
        step.set("EXECUTING", now)
        wanted = [
            {"sourceServerID": s.server_id}
            | ({"recoverySnapshotID": execution.pins[s.server_id]} if s.server_id in execution.pins else {})
            for s in servers
        ]
        body = {"sourceServers": wanted, "isDrill": execution.mode == "DRILL"}
        try:
            job_id = str(self.drs.start_recovery(execution.account, body)["job"]["jobID"])
        except DrsError as exc:
            for server in servers:
                server.outcome = "FAILED"
            step.error = {"code": exc.code, "message": f"StartRecovery was refused: {exc.message}"}
            self._judge(execution, step, now)
            return
        for server in servers:
            server.job_id, server.outcome = job_id, ""

    def _resume(self, execution: Execution) -> None:
        """A FAILED execution runs again (a failed step retried or skipped), if none of its plan's runs."""
        if execution.status != "FAILED":
            return
        plan = self.plans.get(execution.plan_arn)
        if plan is not None:
            self._idle(plan, "take this execution up again")
        execution.status, execution.completed, execution.error = "IN_PROGRESS", None, None

    def _skip(self, execution: Execution, step: ExecutionStep, status: str, now: float) -> None:
        if status != "SKIPPED":
            raise _invalid("status", "only SKIPPED can be set")
        if step.status not in ("NOT_STARTED", "FAILED"):
            message = f"the step is {step.status}: only a NOT_STARTED or FAILED step can be skipped"
            raise _conflict("RecoveryPlanExecutionStep", step.arn, message)
        if step.status == "FAILED":
            self._resume(execution)
        step.set("SKIPPED", now)

    def _change(self, account: str, step: ExecutionStep, request: UpdateExecutionStep, now: float) -> None:
        if step.status != "NOT_STARTED":
            message = f"the step is {step.status}: only a NOT_STARTED step can change"
            raise _conflict("RecoveryPlanExecutionStep", step.arn, message)
        if request.servers is not None:
            if step.servers is None:
                raise _invalid("servers", "a WAIT step has no servers")
            self._known_servers(account, request.servers, "servers")
            step.servers = [ExecutionServer(s.serverArn, s.impactLevel) for s in request.servers]
        if request.waitDurationMinutes is not None:
            if step.servers is not None:
                raise _invalid("waitDurationMinutes", "a SERVER step has no wait")
            step.wait_minutes = request.waitDurationMinutes
        step.updated = now

    # -- lookups and checks ----------------------------------------------------------------------
    def _plan(self, account: str, arn: str) -> Plan:
        plan = self.plans.get(arn)
        if plan is None or plan.account != account:
            raise _not_found("RecoveryPlan", arn)
        return plan

    def _step(self, account: str, arn: str) -> tuple[Plan, int, Step]:
        plan = self.plans.get(arn.split("/step/")[0])
        if plan is not None and plan.account == account:
            for order, step in enumerate(plan.steps, 1):
                if step.arn == arn:
                    return plan, order, step
        raise _not_found("RecoveryPlanStep", arn)

    def _execution_step(
        self, account: str, arn: str, *, read: bool = False
    ) -> tuple[Execution, ExecutionStep]:
        """An execution step and its execution; moved on to now when ``read`` (a change to a step
        acts on the execution as it was last read)."""
        execution = self.executions.get(arn.split("/step/")[0])
        mine = execution is not None and execution.account == account
        step = next((s for s in execution.steps if s.arn == arn), None) if execution and mine else None
        if execution is None or step is None:
            raise _not_found("RecoveryPlanExecutionStep", arn)
        if read:
            self._advance(execution, self.clock())
        return execution, step

    def _tagged(self, account: str, arn: str) -> dict[str, str]:
        plan = self.plans.get(arn)
        if plan is not None and plan.account == account:
            return plan.tags
        execution = self.executions.get(arn)
        if execution is not None and execution.account == account:
            return execution.tags
        raise _not_found("RecoveryPlan", arn)

    def _idle(self, plan: Plan, doing: str) -> None:
        running = [e for e in self.executions.values() if e.plan_arn == plan.arn and e.status in NON_TERMINAL]
        if running:
            message = f"cannot {doing}: execution {running[0].arn} of the plan is {running[0].status}"
            raise _conflict("RecoveryPlan", plan.arn, message)

    def _name_free(self, account: str, name: str) -> None:
        taken = next((p for p in self.plans.values() if p.account == account and p.name == name), None)
        if taken is not None:
            raise _conflict("RecoveryPlan", taken.arn, f"a recovery plan named {name!r} exists: {taken.arn}")

    def _step_name_free(self, plan: Plan, name: str) -> None:
        if any(s.name == name for s in plan.steps):
            raise _conflict("RecoveryPlanStep", plan.arn, f"the plan has a step named {name!r}")

    def _configuration(
        self, account: str, configuration: StepConfigurationIn
    ) -> tuple[list[ServerIn] | None, int | None]:
        if configuration.waitStepConfiguration is not None:
            return None, configuration.waitStepConfiguration.waitDurationMinutes
        assert configuration.serverStepConfiguration is not None  # the model's validator: exactly one
        servers = configuration.serverStepConfiguration.servers
        self._known_servers(account, servers, "configuration.serverStepConfiguration.servers")
        return list(servers), None

    def _known_servers(self, account: str, servers: list[ServerIn], name: str) -> None:
        arns = [s.serverArn for s in servers]
        if len(set(arns)) != len(arns):
            raise _invalid(name, "a source server is listed twice")
        for arn in arns:
            prefix = f"arn:aws:drs:{REGION}:{account}:source-server/"
            if not arn.startswith(prefix) or self.drs.estate.find(account, arn[len(prefix) :]) is None:
                raise _not_found("SourceServer", arn)

    def _pins(self, account: str, plan: Plan, pins: list[Pin]) -> dict[str, str]:
        in_plan = {s.serverArn.rsplit("/", 1)[-1] for step in plan.steps for s in step.servers or []}
        chosen: dict[str, str] = {}
        kept: dict[str, set[str]] = {}
        for pin in pins:
            if pin.sourceServerID in chosen:
                raise _invalid("sourceServers", f"{pin.sourceServerID} is pinned twice")
            if pin.sourceServerID not in in_plan:
                raise _invalid("sourceServers", f"{pin.sourceServerID} is in no server step of the plan")
            if pin.sourceServerID not in kept:
                times = drs_snapshots.snapshot_times(drs_snapshots.now())
                kept[pin.sourceServerID] = {drs_snapshots.snapshot_id(pin.sourceServerID, t) for t in times}
            if pin.recoverySnapshotID not in kept[pin.sourceServerID]:
                raise _not_found("RecoverySnapshot", pin.recoverySnapshotID)
            chosen[pin.sourceServerID] = pin.recoverySnapshotID
        return chosen

    def _again(self, account: str, operation: str, token: str) -> str:
        return self._tokens.get((account, operation, token), "") if token else ""

    def _remember(self, account: str, operation: str, token: str, arn: str) -> None:
        if token:
            self._tokens[(account, operation, token)] = arn


def _skip_not_started(execution: Execution, now: float) -> None:
    for step in execution.steps:
        if step.status == "NOT_STARTED":
            step.set("SKIPPED", now)


def _arn(account: str, resource: str) -> str:
    return f"arn:aws:drs:{REGION}:{account}:{resource}"


def _page(items: list[T], request: _Page) -> tuple[list[T], dict[str, str]]:
    """One page of ``items`` (``maxResults``, an opaque ``nextToken`` while more remain)."""
    start = 0
    if request.nextToken:
        try:
            start = int(base64.urlsafe_b64decode(request.nextToken.encode()).decode().removeprefix("offset:"))
        except ValueError as exc:
            raise _invalid("nextToken", "not a token this API issued") from exc
    end = max(start, 0) + request.maxResults
    token = (
        {"nextToken": base64.urlsafe_b64encode(f"offset:{end}".encode()).decode()} if end < len(items) else {}
    )
    return items[max(start, 0) : end], token


def uri_members(operation: str, request: Any) -> dict[str, Any]:
    """The members a REST call carries in its URL rather than its body: the tag operations'
    ``resourceArn`` (``/tags/{resourceArn}``) and ``UntagResource``'s ``tagKeys`` query."""
    if operation not in TAG_OPERATIONS:
        return {}
    url = urlsplit(str(getattr(request, "url", "") or ""))
    members: dict[str, Any] = {}
    if "/tags/" in url.path:
        members["resourceArn"] = unquote(url.path.split("/tags/", 1)[1])
    keys = parse_qs(url.query).get("tagKeys")
    if keys:
        members["tagKeys"] = keys
    return members


__all__ = ["CREATED_OPERATIONS", "Launcher", "NativePlans", "uri_members"]
