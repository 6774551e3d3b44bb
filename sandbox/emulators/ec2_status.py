"""EC2 status checks of the recovery instances the simulated DRS launched, for the wave hooks of type
``instanceStatus`` (``DescribeInstanceStatus``: instance and system status ``ok``).

**How it is routed.** moto knows only the EC2 instances it ran itself; the DRS emulator's recovery
instances are not among them. As :mod:`sandbox.emulators.ssm_automation` does for SSM, :func:`install` wraps
the ``describe_instance_status`` method of moto's EC2 response class: the ids the DRS emulator
launched in the caller's account (:func:`sandbox.data.drs_calls.caller_of`) are answered here, every
other id goes on to moto, and one answer holds both. Every other EC2 call is moto's own. The workers
reach moto over HTTP for EC2, the tests under ``mock_aws``; both get these answers.

**What it answers.** A recovery instance's status checks read ``initializing`` until
:data:`OK_AFTER_SECONDS` after its launch job was created (DRS launches in a few seconds, then the
checks run), or until ``ok_after_polls`` reads that named it (tests), then ``ok`` (instance and
system status, reachability ``passed``). An instance that is shutting down or terminated reads
``not-applicable`` and, as EC2 does, is left out unless ``IncludeAllInstances`` is true. The filters
``instance-id``, ``instance-state-name``, ``instance-status.status`` and ``system-status.status``
apply to recovery instances; any other filter matches none of them. The instances are read from the
DRS emulator's state (``/_sandbox/drs-state``: account -> recovery instances and jobs), whose
recovery instance ids are their EC2 instance ids (``ec2InstanceID`` in ``DescribeRecoveryInstances``;
``tests/unit/test_ssm_automation_emulator.py`` holds the two together).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.data.drs_calls import caller_of

OK_AFTER_SECONDS = 8.0
AVAILABILITY_ZONE = "us-east-1a"
# a recovery instance's state (DRS emulator) -> EC2's instance state (name, code)
EC2_STATES = {
    "PENDING": ("pending", 0),
    "RUNNING": ("running", 16),
    "SHUTTING-DOWN": ("shutting-down", 32),
    "TERMINATED": ("terminated", 48),
    "STOPPING": ("stopping", 64),
    "STOPPED": ("stopped", 80),
}
FILTERS = {"instance-id", "instance-state-name", "instance-status.status", "system-status.status"}
DrsState = Callable[[], dict[str, Any]]  # the DRS emulator's state(): account -> instances and jobs


@dataclass(frozen=True)
class RecoveryInstance:
    instance_id: str
    state: str  # the recovery instance's state, as the DRS emulator reports it
    launched: float  # when its launch job was created (epoch seconds)


@dataclass
class Ec2Status:
    drs_state: DrsState
    ok_after_polls: int | None = None  # None: ok OK_AFTER_SECONDS after the launch

    def __post_init__(self) -> None:
        self._polls: dict[str, int] = {}
        self._lock = threading.Lock()

    def recovery_instances(self, account: str) -> dict[str, RecoveryInstance]:
        """EC2 instance id -> the recovery instance the DRS emulator launched in ``account``."""
        mine = self.drs_state().get(account) or {}
        created = {j["jobID"]: _epoch(j["creationDateTime"]) for j in mine.get("jobs", [])}
        return {
            i["recoveryInstanceID"]: RecoveryInstance(
                i["recoveryInstanceID"], str(i["state"]), created.get(i["jobID"], time.time())
            )
            for i in mine.get("recoveryInstances", [])
        }

    def statuses(
        self, instances: list[RecoveryInstance], include_all: bool, filters: dict[str, list[str]]
    ) -> list[dict[str, Any]]:
        """``InstanceStatuses`` entries for ``instances``; each read counts (``ok_after_polls``)."""
        now = time.time()
        answer = []
        with self._lock:
            for instance in instances:
                self._polls[instance.instance_id] = self._polls.get(instance.instance_id, 0) + 1
                shape = self._shape(instance, now)
                if (include_all or shape["InstanceState"]["Name"] == "running") and _matches(shape, filters):
                    answer.append(shape)
        return answer

    def _shape(self, instance: RecoveryInstance, now: float) -> dict[str, Any]:
        name, code = EC2_STATES.get(instance.state, ("running", 16))
        if name != "running":
            summary: dict[str, Any] = {"Status": "not-applicable"}
        else:
            if self.ok_after_polls is not None:
                ok = self._polls[instance.instance_id] >= self.ok_after_polls
            else:
                ok = now - instance.launched >= OK_AFTER_SECONDS
            detail = "passed" if ok else "initializing"
            summary = {
                "Status": "ok" if ok else "initializing",
                "Details": [{"Name": "reachability", "Status": detail}],
            }
        return {
            "AvailabilityZone": AVAILABILITY_ZONE,
            "InstanceId": instance.instance_id,
            "InstanceState": {"Name": name, "Code": code},
            "InstanceStatus": dict(summary),
            "SystemStatus": dict(summary),
            "Events": [],
        }


def _matches(shape: dict[str, Any], filters: dict[str, list[str]]) -> bool:
    values = {
        "instance-id": shape["InstanceId"],
        "instance-state-name": shape["InstanceState"]["Name"],
        "instance-status.status": shape["InstanceStatus"]["Status"],
        "system-status.status": shape["SystemStatus"]["Status"],
    }
    return all(name in FILTERS and values[name] in wanted for name, wanted in filters.items())


def _epoch(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


# -- moto routing ----------------------------------------------------------------------------------
@dataclass
class _Split:
    """A request's ids: recovery instances (answered here) and the rest (moto's)."""

    mine: list[RecoveryInstance] = field(default_factory=list)
    others: list[str] = field(default_factory=list)


def _split(known: dict[str, RecoveryInstance], ids: list[str]) -> _Split:
    if not ids:
        return _Split(list(known.values()), [])
    return _Split([known[i] for i in ids if i in known], [i for i in ids if i not in known])


def install(emulator: Ec2Status) -> None:
    """Make moto's ``DescribeInstanceStatus`` answer the DRS emulator's recovery instances too."""
    from moto.core.responses import ActionResult
    from moto.ec2.responses import EC2Response

    original = EC2Response.describe_instance_status

    def describe_instance_status(self: Any) -> Any:
        ids = [str(i) for i in self._get_param("InstanceIds", [])]
        include_all = bool(self._get_bool_param("IncludeAllInstances", False))
        filters = {str(k): [str(v) for v in vs] for k, vs in self._filters_from_querystring().items()}
        account = caller_of("DescribeInstanceStatus", self.headers).account
        split = _split(emulator.recovery_instances(account), ids)
        if ids and not split.mine:
            return original(self)
        theirs: list[Any] = []
        if split.others or not ids:  # moto raises InvalidInstanceID.NotFound for an id it lacks
            theirs = self.ec2_backend.describe_instance_status(
                split.others, include_all, list_filters(filters)
            )
        ours = emulator.statuses(split.mine, include_all, filters)
        return ActionResult({"InstanceStatuses": [*theirs, *ours]})

    describe_instance_status.__wrapped__ = original  # type: ignore[attr-defined]  # for uninstall()
    uninstall()
    EC2Response.describe_instance_status = describe_instance_status  # type: ignore[method-assign]


def list_filters(filters: dict[str, list[str]]) -> list[dict[str, Any]]:
    """moto's backend takes filters as ``[{"name", "values"}]``."""
    return [{"name": k, "values": v} for k, v in filters.items()]


def uninstall() -> None:
    from moto.ec2.responses import EC2Response

    current = vars(EC2Response).get("describe_instance_status")
    if current is not None and hasattr(current, "__wrapped__"):
        del EC2Response.describe_instance_status
