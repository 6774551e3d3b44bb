"""A simulated SSM Automation (moto 5.2 has SSM but no Automation), for the wave hooks of type
``ssmAutomation`` (``docs/waves.md``, ``docs/sandbox.md``).

**How it is routed.** moto answers a JSON-1.1 call (``X-Amz-Target: AmazonSSM.<Action>``) with the
method of its SSM response class named after the action, so :func:`install` adds
``start_automation_execution``, ``get_automation_execution`` and ``stop_automation_execution`` to
moto's ``SimpleSystemManagerResponse`` and wraps its ``describe_document`` and ``get_document``:
a document this module emulates is answered here, any other goes on to moto as before. Every other
SSM call (parameters, ``SendCommand``, documents someone created) is moto's own, untouched. So there
is no endpoint, proxy or botocore hook of its own: the sandbox's Lambda workers reach moto over HTTP
for SSM like for every service (``AWS_ENDPOINT_URL``), the tests reach it under ``mock_aws`` in
process, and both get these answers. The sandbox installs it at start, in the process that runs
moto (as :mod:`sandbox.emulators.iam_simulation` does for IAM).

**What it answers.** Each call acts in one account, from the credentials that signed it
(:func:`sandbox.data.drs_calls.caller_of`, the DRS emulator's rule): an execution started in one account
is unknown in another. The documents:

- ``drs-chatops-sandbox-check`` (:data:`SUCCEEDING_DOCUMENT`): ``Pending``, ``InProgress``, then
  ``Success``;
- ``drs-chatops-sandbox-failing-check`` (:data:`FAILING_DOCUMENT`): ``Pending``, ``InProgress``,
  then ``Failed``, with a ``FailureMessage`` and a ``StepExecutions`` entry whose ``StepName`` is
  the failed step (:data:`FAILED_STEP`);
- any AWS-owned name (``AWS-...``, ``AWSMigration-...``): runs as the succeeding check does.

An execution ends :data:`FINISHED_AFTER_SECONDS` after it started (the sandbox), or on the
``complete_after_polls``-th ``GetAutomationExecution`` read (tests; the first read says
``Pending``). ``StopAutomationExecution`` makes a running execution ``Cancelled``; a finished one
cannot be stopped (``InvalidAutomationStatusUpdateException``, as SSM answers). The parameters are
recorded as given (the product expands ``{{instanceIds}}`` before it starts the document; the
sandbox refuses the unexpanded token, so a product that forgot is caught). The sandbox's two
documents take ``InstanceIds`` (``StringList``) and ``AutomationAssumeRole``; another parameter name
is SSM's ``InvalidAutomationExecutionParametersException``. ``DescribeDocument`` / ``GetDocument``
answer for the emulated names; an unknown name is moto's ``InvalidDocument``, as SSM answers.

Every answer has the shape of botocore's ``ssm`` model (``tests/unit/test_ssm_automation_emulator.py``
checks each status path the way ``botocore.stub.Stubber`` checks a response).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.data.drs_calls import caller_of

SUCCEEDING_DOCUMENT = "drs-chatops-sandbox-check"
FAILING_DOCUMENT = "drs-chatops-sandbox-failing-check"
DOCUMENTS = (SUCCEEDING_DOCUMENT, FAILING_DOCUMENT)
AWS_OWNED_PREFIXES = ("AWS-", "AWSMigration-")
PENDING_SECONDS = 1.0
FINISHED_AFTER_SECONDS = 4.0
CHECK_STEP = "checkInstances"
FAILED_STEP = "verifyApplication"
DOCUMENT_PARAMETERS = {
    "InstanceIds": ("StringList", "The EC2 instance ids to check (the wave's recovery instances)."),
    "AutomationAssumeRole": ("String", "The role the automation assumes (optional)."),
}
UNEXPANDED_PLACEHOLDER = "{{instanceIds}}"  # the token the product expands to instance ids
TERMINAL = frozenset({"Success", "Failed", "Cancelled"})
CREATED = datetime(2024, 1, 1, tzinfo=UTC)  # when the emulated documents were "created"


class SsmError(Exception):
    """An error SSM answers with (its ``__type`` code and message; HTTP 400 as SSM's JSON errors)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class StartRequest(BaseModel):
    """What the emulator reads of a ``StartAutomationExecution`` request."""

    model_config = ConfigDict(extra="allow")

    DocumentName: str = Field(pattern=r"^[a-zA-Z0-9_\-.:/]{3,128}$")
    DocumentVersion: str | None = None
    Parameters: dict[str, list[str]] = Field(default_factory=dict)
    ClientToken: str | None = None
    Mode: str = "Auto"


def emulates(name: str) -> bool:
    """Whether ``name`` is a document this module answers for (in every account it knows)."""
    return name in DOCUMENTS or name.startswith(AWS_OWNED_PREFIXES)


def _failing(name: str) -> bool:
    return name == FAILING_DOCUMENT


@dataclass
class Execution:
    execution_id: str
    account: str
    document: str
    parameters: dict[str, list[str]]
    executed_by: str
    mode: str = "Auto"
    client_token: str | None = None
    started: float = 0.0  # epoch seconds
    by_polls: int | None = None  # finish on this GetAutomationExecution read, not by the clock
    polls: int = 0
    stopped: float | None = None

    def _ran_out(self, now: float) -> bool:
        if self.by_polls is not None:
            return self.polls >= self.by_polls
        return now - self.started >= FINISHED_AFTER_SECONDS

    def status(self, now: float) -> str:
        if self.stopped is not None:
            return "Cancelled"
        if self._ran_out(now):
            return "Failed" if _failing(self.document) else "Success"
        pending = self.polls <= 1 if self.by_polls is not None else now - self.started < PENDING_SECONDS
        return "Pending" if pending else "InProgress"

    def ended(self, now: float) -> float:
        if self.stopped is not None:
            return self.stopped
        return now if self.by_polls is not None else self.started + FINISHED_AFTER_SECONDS

    def shape(self, now: float) -> dict[str, Any]:
        """``GetAutomationExecution``'s ``AutomationExecution``."""
        status = self.status(now)
        shape: dict[str, Any] = {
            "AutomationExecutionId": self.execution_id,
            "DocumentName": self.document,
            "DocumentVersion": "1",
            "ExecutionStartTime": _time(self.started),
            "AutomationExecutionStatus": status,
            "StepExecutions": self._steps(status, now),
            "StepExecutionsTruncated": False,
            "Parameters": {k: list(v) for k, v in self.parameters.items()},
            "Outputs": {},
            "Mode": self.mode,
            "ExecutedBy": self.executed_by,
        }
        if status in TERMINAL:
            shape["ExecutionEndTime"] = _time(self.ended(now))
        else:
            current = CHECK_STEP if status == "Pending" or not _failing(self.document) else FAILED_STEP
            shape["CurrentStepName"], shape["CurrentAction"] = current, "aws:executeScript"
        if status == "Failed":
            shape["FailureMessage"] = (
                f"Step fails when it is Execute/Cancelling action. Step {FAILED_STEP} failed: the sandbox's "
                f"{FAILING_DOCUMENT} always fails (simulated). Please refer to Automation Service "
                "Troubleshooting Guide for more diagnosis details."
            )
        return shape

    def _steps(self, status: str, now: float) -> list[dict[str, Any]]:
        """The steps that started: the check, then (failing document) the step that fails."""
        if status == "Pending":
            return []
        ended = self.ended(now) if status in TERMINAL else None
        if not _failing(self.document):
            step_status = status if status != "Cancelled" else "Cancelled"
            return [self._step(CHECK_STEP, step_status, ended)]
        midway = self.started + FINISHED_AFTER_SECONDS / 2
        check = self._step(CHECK_STEP, "Success", min(midway, ended if ended is not None else now))
        if status == "InProgress":
            return [check, self._step(FAILED_STEP, "InProgress", None)]
        failed = self._step(FAILED_STEP, status, ended)
        if status == "Failed":
            failed["FailureMessage"] = (
                f"Step {FAILED_STEP} failed: the application did not answer (simulated)"
            )
            failed["FailureDetails"] = {"FailureStage": "Execution", "FailureType": "Verification"}
        return [check, failed]

    def _step(self, name: str, status: str, ended: float | None) -> dict[str, Any]:
        step: dict[str, Any] = {
            "StepName": name,
            "Action": "aws:executeScript",
            "StepStatus": status,
            "StepExecutionId": str(uuid.uuid5(uuid.UUID(self.execution_id), name)),
            "ExecutionStartTime": _time(self.started),
            "IsEnd": name == FAILED_STEP or not _failing(self.document),
            "IsCritical": True,
            "OnFailure": "Abort",
        }
        if ended is not None:
            step["ExecutionEndTime"] = _time(ended)
        return step


@dataclass
class SsmAutomation:
    """The executions of every account; ``accounts`` (None: every account) hold the sandbox's two
    documents (the AWS-owned names exist in every account, as in AWS)."""

    accounts: frozenset[str] | None = None
    complete_after_polls: int | None = None  # None: executions end after a few seconds
    started: list[Execution] = field(default_factory=list)  # every execution, in start order

    def __post_init__(self) -> None:
        self._executions: dict[tuple[str, str], Execution] = {}
        self._lock = threading.Lock()

    def has_document(self, account: str, name: str) -> bool:
        if name.startswith(AWS_OWNED_PREFIXES):
            return True
        return name in DOCUMENTS and (self.accounts is None or account in self.accounts)

    # -- operations ------------------------------------------------------------------------------
    def start(self, account: str, body: dict[str, Any], executed_by: str = "") -> dict[str, Any]:
        request = _start_request(body)
        name = request.DocumentName
        if not self.has_document(account, name):
            raise SsmError("AutomationDefinitionNotFoundException", f"Document {name} does not exist.")
        if request.DocumentVersion not in (None, "$LATEST", "$DEFAULT", "1"):
            message = f"Document {name} has no version {request.DocumentVersion}."
            raise SsmError("AutomationDefinitionVersionNotFoundException", message)
        _check_parameters(name, request.Parameters)
        with self._lock:
            again = self._by_token(account, request.ClientToken)
            if again is not None:
                if again.document != name:
                    message = "The ClientToken was used before with different parameters."
                    raise SsmError("IdempotentParameterMismatch", message)
                return {"AutomationExecutionId": again.execution_id}
            execution = Execution(
                execution_id=str(uuid.uuid4()),
                account=account,
                document=name,
                parameters={k: list(v) for k, v in request.Parameters.items()},
                executed_by=executed_by or f"arn:aws:iam::{account}:root",
                mode=request.Mode,
                client_token=request.ClientToken,
                started=time.time(),
                by_polls=self.complete_after_polls,
            )
            self._executions[(account, execution.execution_id)] = execution
            self.started.append(execution)
        return {"AutomationExecutionId": execution.execution_id}

    def get(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            execution = self._find(account, body)
            execution.polls += 1
            return {"AutomationExecution": execution.shape(time.time())}

    def stop(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        with self._lock:
            execution = self._find(account, body)
            status = execution.status(now)
            if status in TERMINAL:
                message = f"Automation execution {execution.execution_id} is {status}: it cannot be stopped."
                raise SsmError("InvalidAutomationStatusUpdateException", message)
            execution.stopped = now
        return {}

    def describe_document(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        name = self._document(account, body)
        description: dict[str, Any] = {
            "Hash": _hash(name),
            "HashType": "Sha256",
            "Name": name,
            "Owner": "Amazon" if name.startswith(AWS_OWNED_PREFIXES) else account,
            "CreatedDate": CREATED,
            "Status": "Active",
            "DocumentVersion": "1",
            "Description": _description(name),
            "Parameters": [
                {"Name": key, "Type": kind, "Description": text, "DefaultValue": ""}
                for key, (kind, text) in DOCUMENT_PARAMETERS.items()
            ],
            "PlatformTypes": ["Windows", "Linux", "MacOS"],
            "DocumentType": "Automation",
            "SchemaVersion": "0.3",
            "LatestVersion": "1",
            "DefaultVersion": "1",
            "DocumentFormat": "JSON",
        }
        return {"Document": description}

    def get_document(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        name = self._document(account, body)
        if body.get("DocumentFormat") not in (None, "JSON", "YAML", "TEXT"):
            raise SsmError("ValidationException", f"Invalid document format {body['DocumentFormat']}")
        return {
            "Name": name,
            "CreatedDate": CREATED,
            "DocumentVersion": "1",
            "Status": "Active",
            "Content": json.dumps(_content(name)),
            "DocumentType": "Automation",
            "DocumentFormat": "JSON",
        }

    # -- lookups ---------------------------------------------------------------------------------
    def _by_token(self, account: str, token: str | None) -> Execution | None:
        if not token:
            return None
        return next((e for e in self.started if e.account == account and e.client_token == token), None)

    def _find(self, account: str, body: dict[str, Any]) -> Execution:
        execution_id = str(body.get("AutomationExecutionId") or "")
        execution = self._executions.get((account, execution_id))
        if execution is None:
            message = f"Automation execution {execution_id[:36]} was not found."
            raise SsmError("AutomationExecutionNotFoundException", message)
        return execution

    def _document(self, account: str, body: dict[str, Any]) -> str:
        name = str(body.get("Name") or "")
        if not self.has_document(account, name):
            raise SsmError("InvalidDocument", "The specified document does not exist.")
        if body.get("VersionName") or body.get("DocumentVersion") not in (None, "$LATEST", "$DEFAULT", "1"):
            raise SsmError("InvalidDocumentVersion", "The document version is not valid or does not exist.")
        return name


def _start_request(body: dict[str, Any]) -> StartRequest:
    try:
        request = StartRequest.model_validate(body)
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise SsmError("InvalidAutomationExecutionParametersException", fields) from exc
    targeting = sorted(
        k for k in ("Targets", "TargetMaps", "TargetLocations", "TargetLocationsURL") if body.get(k)
    )
    if targeting:
        message = (
            f"the sandbox's SSM Automation runs documents without rate control: no {', '.join(targeting)}"
        )
        raise SsmError("InvalidAutomationExecutionParametersException", message)
    return request


def _check_parameters(name: str, parameters: dict[str, list[str]]) -> None:
    for key, values in parameters.items():
        if name in DOCUMENTS and key not in DOCUMENT_PARAMETERS:
            message = f"Parameter {key} is not defined in document {name}."
            raise SsmError("InvalidAutomationExecutionParametersException", message)
        if any(UNEXPANDED_PLACEHOLDER in value.replace(" ", "") for value in values):
            message = (
                f"Parameter {key} holds {UNEXPANDED_PLACEHOLDER} unexpanded: the sandbox expects the wave's "
                "instance ids in its place"
            )
            raise SsmError("InvalidAutomationExecutionParametersException", message)


def _description(name: str) -> str:
    if _failing(name):
        return "drs-chatops sandbox: a post-launch check that always fails (simulated)."
    if name in DOCUMENTS:
        return "drs-chatops sandbox: a post-launch check that succeeds after a few seconds (simulated)."
    return f"{name}: an AWS-owned document, run by the sandbox as a check that succeeds (simulated)."


def _content(name: str) -> dict[str, Any]:
    steps = [{"name": CHECK_STEP, "action": "aws:executeScript", "isEnd": not _failing(name)}]
    if _failing(name):
        steps.append({"name": FAILED_STEP, "action": "aws:executeScript", "isEnd": True})
    return {
        "schemaVersion": "0.3",
        "description": _description(name),
        "assumeRole": "{{ AutomationAssumeRole }}",
        "parameters": {
            key: {"type": kind, "description": text, "default": [] if kind == "StringList" else ""}
            for key, (kind, text) in DOCUMENT_PARAMETERS.items()
        },
        "mainSteps": steps,
    }


def _hash(name: str) -> str:
    return hashlib.sha256(json.dumps(_content(name), sort_keys=True).encode()).hexdigest()


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


# -- moto routing ----------------------------------------------------------------------------------
_NEW = {
    "start_automation_execution": "start",
    "get_automation_execution": "get",
    "stop_automation_execution": "stop",
}
_WRAPPED = {"describe_document": "describe_document", "get_document": "get_document"}


def install(emulator: SsmAutomation) -> None:
    """Make moto answer SSM Automation, and the emulated documents, from ``emulator``."""
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult
    from moto.ssm.responses import SimpleSystemManagerResponse as Responses

    def method(name: str, operation: str, original: Any) -> Any:
        def respond(self: Any) -> Any:
            body = json.loads(self.body or "{}")
            if original is not None and not emulates(str(body.get("Name") or "")):
                return original(self)  # a document moto keeps (or none: moto's InvalidDocument)
            call = caller_of(operation, self.headers)
            try:
                handler = getattr(emulator, _NEW.get(name) or _WRAPPED[name])
                if name == "start_automation_execution":
                    return ActionResult(handler(call.account, body, call.role_arn))
                return ActionResult(handler(call.account, body))
            except SsmError as exc:
                raise JsonRESTError(exc.code, exc.message) from exc

        respond.__wrapped__ = original  # type: ignore[attr-defined]  # what uninstall() puts back
        return respond

    uninstall()
    for name in _NEW:
        operation = "".join(part.title() for part in name.split("_"))
        setattr(Responses, name, method(name, operation, None))
    for name in _WRAPPED:
        operation = "".join(part.title() for part in name.split("_"))
        setattr(Responses, name, method(name, operation, vars(Responses)[name]))


def uninstall() -> None:
    from moto.ssm.responses import SimpleSystemManagerResponse as Responses

    for name in _NEW:
        if name in vars(Responses):
            delattr(Responses, name)
    for name in _WRAPPED:
        original = getattr(vars(Responses)[name], "__wrapped__", None)
        if original is not None:
            setattr(Responses, name, original)
