"""Faults on demand (``GET|POST /_sandbox/faults``): make Slack, SNS or DRS fail while the sandbox runs.

The faults in force are a small JSON file (a :class:`Faults` model) whose path the sandbox puts in
the environment variable ``DRS_CHATOPS_SANDBOX_FAULTS`` at start, so every process it starts
(Lambda worker processes included) inherits it and reads the same state. Readers cache the parsed
file by its stat (inode, size, mtime): a read costs one ``os.stat`` unless the file changed. Writers
replace the file atomically (``os.replace``), so a reader sees the old faults or the new ones.

Where each fault acts:
- ``slack``: the sandbox's fake Slack Web API (:mod:`sandbox.emulators.slack_fake`), in the main process.
- ``drs`` and ``failingServers``: a wrapper around the DRS emulator's responder
(:mod:`sandbox.emulators.drs_faults`).
- ``sns``: a botocore hook on ``sns.Publish``, installed by :func:`install_worker_hooks` wherever
  Lambda code runs.
- ``deniedActions`` (``["ec2:RunInstances", ...]``; ``[]`` lifts it): IAM actions denied to every role.
  The sandbox's ``iam:SimulatePrincipalPolicy`` (:mod:`sandbox.emulators.iam_simulation`)
  answers ``explicitDeny`` for them, and the DRS emulator (:mod:`sandbox.emulators.drs_faults`)
  refuses a DRS call that needs one and fails a launch whose EC2 work or PassRole needs one, its job
  log naming it.
- ``quotas`` (``{"serversPerJob", "concurrentJobs", "serversInAllJobs"}``; a key left out, or ``{}``,
  is DRS's default 100 / 20 / 500): the DRS emulator refuses a ``StartRecovery`` beyond them
  (:mod:`sandbox.emulators.drs_faults`), and Service Quotas lists them - a botocore hook on
  ``service-quotas.ListServiceQuotas`` (moto does not answer it), installed with the SNS one.
- ``faultSeconds`` (1-3600), given with a ``slack``, ``sns`` or ``drs`` fault in the same change: that
  fault lifts by itself after so many seconds (``liftAt`` says when, in epoch seconds). Every reader
  applies it when it reads, so nothing has to rewrite the file at that moment.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Annotated, Literal

from botocore.awsrequest import AWSPreparedRequest
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandbox.data import drs_quotas
from sandbox.emulators import hooks

ENV_VAR = "DRS_CHATOPS_SANDBOX_FAULTS"
SlackFault = Literal["ok", "ratelimited", "error", "down"]
SnsFault = Literal["ok", "error"]
DrsFault = Literal["ok", "throttle", "error"]
FailingServers = Literal["fail", "recover"]
IamAction = Annotated[str, Field(pattern=r"^[a-z0-9-]{2,40}:[A-Za-z0-9*]{1,128}$")]
TimedFault = Literal["slack", "sns", "drs"]
TIMED: tuple[TimedFault, ...] = ("slack", "sns", "drs")


class QuotasFault(BaseModel):
    """The DRS quotas in force (DRS's defaults unless set)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    serversPerJob: int = Field(default=100, ge=1, le=1000)
    concurrentJobs: int = Field(default=20, ge=1, le=1000)
    serversInAllJobs: int = Field(default=500, ge=1, le=10000)

    def as_quotas(self) -> drs_quotas.DrsQuotas:
        return drs_quotas.DrsQuotas(self.serversPerJob, self.concurrentJobs, self.serversInAllJobs)


class Faults(BaseModel):
    """The faults in force; the defaults are a healthy sandbox (failing servers fail)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slack: SlackFault = "ok"
    sns: SnsFault = "ok"
    drs: DrsFault = "ok"
    failingServers: FailingServers = "fail"
    deniedActions: list[IamAction] = Field(default_factory=list, max_length=100)
    quotas: QuotasFault = Field(default_factory=QuotasFault)
    liftAt: dict[TimedFault, float] = Field(default_factory=dict)  # fault -> when it lifts by itself

    def in_force(self, now: float) -> Faults:
        """These faults as they stand at ``now``: a timed fault whose time has come is lifted."""
        lifted = {name for name, at in self.liftAt.items() if at <= now}
        if not lifted:
            return self
        update: dict[str, object] = {name: "ok" for name in lifted}
        update["liftAt"] = {n: at for n, at in self.liftAt.items() if n not in lifted}
        return self.model_copy(update=update)


class FaultsChange(BaseModel):
    """A ``POST /_sandbox/faults`` body: the keys to change; missing keys stay as they are."""

    model_config = ConfigDict(extra="forbid")

    slack: SlackFault | None = None
    sns: SnsFault | None = None
    drs: DrsFault | None = None
    failingServers: FailingServers | None = None
    deniedActions: list[IamAction] | None = Field(default=None, max_length=100)  # [] lifts it
    quotas: QuotasFault | None = None  # replaces the quotas in force; {} restores DRS's defaults
    faultSeconds: int | None = Field(default=None, ge=1, le=3600)

    @model_validator(mode="after")
    def _timed_fault_named(self) -> FaultsChange:
        if self.faultSeconds is not None and not self.timed():
            raise ValueError("faultSeconds goes with a slack, sns or drs fault set in the same change")
        return self

    def timed(self) -> list[TimedFault]:
        """The faults this change sets that ``faultSeconds`` would lift (those set to fail)."""
        return [n for n in TIMED if getattr(self, n) not in (None, "ok")]


_cache: tuple[str, tuple[int, int, int], Faults] | None = None
_write_lock = threading.Lock()


def prepare(directory: str | None = None) -> Path:
    """Create a fresh faults file (no faults) and publish its path in the environment."""
    handle, name = tempfile.mkstemp(prefix="drs-chatops-faults-", suffix=".json", dir=directory)
    os.close(handle)
    path = Path(name)
    _write(path, Faults())
    os.environ[ENV_VAR] = str(path)
    return path


def discard() -> None:
    """Remove the faults file :func:`prepare` created (at sandbox stop)."""
    path = os.environ.pop(ENV_VAR, None)
    if path:
        Path(path).unlink(missing_ok=True)


def current() -> Faults:
    """The faults in force (none when the sandbox set no faults file)."""
    global _cache
    path = os.environ.get(ENV_VAR)
    if not path:
        return Faults()
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return Faults()
    key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    cached = _cache
    if cached is not None and cached[0] == path and cached[1] == key:
        return cached[2].in_force(time.time())
    faults = Faults.model_validate_json(Path(path).read_bytes())
    _cache = (path, key, faults)
    return faults.in_force(time.time())


def change(request: FaultsChange) -> Faults:
    """Apply ``request`` (its set keys) and return the faults now in force."""
    path = os.environ.get(ENV_VAR)
    if not path:
        raise RuntimeError(f"{ENV_VAR} is not set: the sandbox prepares it at start")
    with _write_lock:
        changed: dict[str, object] = {
            k: getattr(request, k)
            for k in request.model_fields_set
            if getattr(request, k) is not None and k != "faultSeconds"
        }
        now = current()
        lift_at = {n: at for n, at in now.liftAt.items() if n not in changed}  # a change replaces a timer
        if request.faultSeconds is not None:
            lift_at.update(dict.fromkeys(request.timed(), time.time() + request.faultSeconds))
        updated = now.model_copy(update={**changed, "liftAt": lift_at})
        _write(Path(path), updated)
    return current()


def _write(path: Path, faults: Faults) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    temporary.write_text(json.dumps(faults.model_dump()))
    os.replace(temporary, path)


# -- SNS: a botocore hook on sns.Publish ----------------------------------------------------------
_SNS_ERROR = (
    '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Receiver</Type>'
    "<Code>InternalError</Code><Message>sandbox fault: sns is set to error (/_sandbox/faults)"
    "</Message></Error><RequestId>sandbox-fault</RequestId></ErrorResponse>"
)


def sns_responder(operation: str, request: AWSPreparedRequest) -> tuple[int, dict[str, str], bytes] | None:
    """``Publish`` fails with SNS's own 500 ``InternalError`` while ``sns`` is ``error``; every
    other call (and every call while ``sns`` is ``ok``) goes on to moto."""
    if operation != "Publish" or current().sns != "error":
        return None
    return 500, {"Content-Type": "text/xml"}, _SNS_ERROR.encode()


def service_quotas_responder(
    operation: str, request: AWSPreparedRequest
) -> tuple[int, dict[str, str], bytes] | None:
    """``ListServiceQuotas`` for service code ``drs`` lists the quotas in force; other calls go on."""
    if operation != "ListServiceQuotas":
        return None
    try:
        code = json.loads(request.body or b"{}").get("ServiceCode")
    except ValueError:
        return None
    if code != "drs":
        return None
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    return 200, headers, drs_quotas.list_service_quotas(current().quotas.as_quotas())


def install_worker_hooks() -> None:
    """Install the fault hooks that act where Lambda code runs (``sns.Publish``, Service Quotas'
    ``ListServiceQuotas``). Called by the sandbox at start, and by each Lambda worker process at
    its start."""
    hooks.install("sns", sns_responder)
    hooks.install("service-quotas", service_quotas_responder)
