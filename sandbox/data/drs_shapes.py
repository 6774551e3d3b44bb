"""The simulated DRS's records, shaped as botocore's ``drs`` model says DRS answers."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.data.drs_data import REGION, SourceServer

PENDING_SECONDS = 1.0
COMPLETED_AFTER_SECONDS = 4.0
SIMULATED_TAGS = {"sandbox:simulated": "true"}
# The post-launch VALIDATION action every launched server reports (a wave's launchActions hook reads it)
VALIDATION_ACTION = "Verify URL status"
VALIDATION_DOCUMENT = "AWSMigration-VerifyUrlStatus"


@dataclass
class Job:
    job_id: str
    account_id: str
    server_ids: list[str]
    failing: set[str]
    is_drill: bool
    started: float = field(default_factory=time.time)
    instance_ids: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    by_polls: int | None = None  # complete after this many DescribeJobs reads, not by the clock
    polls: int = 0
    launch_error: str = (
        ""  # why its failing servers failed (the job log's rawError), e.g. a denied permission
    )
    region: str = REGION
    # "" for a StartRecovery (START_DRILL or START_RECOVERY); FAILBACK for a StartFailbackLaunch,
    # whose servers are failed back onto their origin machines (it launches no recovery instance)
    initiated_by: str = ""
    # servers whose post-launch VALIDATION action FAILS (the others' SUCCEED): DrsEmulator.failing_validation
    failing_validation: set[str] = field(default_factory=set)

    def status(self, now: float) -> str:
        if self.by_polls is not None:
            return "COMPLETED" if self.polls >= self.by_polls else "STARTED"
        age = now - self.started
        return (
            "PENDING"
            if age < PENDING_SECONDS
            else "STARTED"
            if age < COMPLETED_AFTER_SECONDS
            else "COMPLETED"
        )

    def launch_status(self, server_id: str, now: float) -> str:
        status = self.status(now)
        if status != "COMPLETED":
            return "PENDING" if status == "PENDING" else "IN_PROGRESS"
        return "FAILED" if server_id in self.failing else "LAUNCHED"

    def launched(self, now: float) -> list[str]:
        """The servers whose recovery instance this job launched (none for a failback)."""
        if self.initiated_by == "FAILBACK":
            return []
        return [sid for sid in self.server_ids if self.launch_status(sid, now) == "LAUNCHED"]

    def shape(self, now: float) -> dict[str, Any]:
        status = self.status(now)
        job: dict[str, Any] = {
            "jobID": self.job_id,
            "arn": f"arn:aws:drs:{self.region}:{self.account_id}:job/{self.job_id}",
            "type": "LAUNCH",
            "initiatedBy": self.initiated_by or ("START_DRILL" if self.is_drill else "START_RECOVERY"),
            "creationDateTime": iso(self.started),
            "status": status,
            "participatingServers": [self._server_shape(sid, now) for sid in self.server_ids],
            "tags": {**self.tags, **SIMULATED_TAGS},
        }
        if status == "COMPLETED":
            job["endDateTime"] = iso(max(now, self.started + COMPLETED_AFTER_SECONDS))
        return job

    def log_items(self, now: float) -> list[dict[str, Any]]:
        """The job's log (``DescribeJobLogItems``): its start, each server's launch and outcome."""
        items: list[dict[str, Any]] = [{"logDateTime": iso(self.started), "event": "JOB_START"}]
        items += [
            {"logDateTime": iso(self.started), "event": "LAUNCH_START", "eventData": {"sourceServerID": sid}}
            for sid in self.server_ids
        ]
        if self.status(now) != "COMPLETED":
            return items
        ended = iso(max(now, self.started + COMPLETED_AFTER_SECONDS))
        for sid in sorted(self.failing & set(self.server_ids)):
            error = self.launch_error or "simulated launch failure (a failing source server)"
            data = {"sourceServerID": sid, "rawError": error}
            items.append({"logDateTime": ended, "event": "LAUNCH_FAILED", "eventData": data})
        return [*items, {"logDateTime": ended, "event": "JOB_END"}]

    def _server_shape(self, server_id: str, now: float) -> dict[str, Any]:
        shape: dict[str, Any] = {
            "sourceServerID": server_id,
            "launchStatus": self.launch_status(server_id, now),
        }
        if shape["launchStatus"] == "LAUNCHED" or self.initiated_by == "FAILBACK":
            shape["recoveryInstanceID"] = self.instance_ids[server_id]
        if shape["launchStatus"] == "LAUNCHED" and self.initiated_by != "FAILBACK":
            shape["launchActionsStatus"] = self._launch_actions(server_id, now)
        return shape

    def _launch_actions(self, server_id: str, now: float) -> dict[str, Any]:
        """The launched server's post-launch actions as DRS reports them on the job: one VALIDATION
        action (an SSM automation run by the SSM agent on the recovery instance), SUCCEEDED, or
        FAILED with a reason for a server in :attr:`failing_validation`."""
        failed = server_id in self.failing_validation
        run: dict[str, Any] = {
            "action": {
                "actionId": str(uuid.uuid5(uuid.NAMESPACE_URL, "drs-chatops-sandbox/validation")),
                "actionCode": VALIDATION_DOCUMENT,
                "type": "SSM_AUTOMATION",
                "name": VALIDATION_ACTION,
                "active": True,
                "order": 2,
                "actionVersion": "$DEFAULT",
                "optional": False,
                "parameters": {},
                "description": "Simulated: the recovered application answers (sandbox)",
                "category": "VALIDATION",
            },
            "runId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.job_id}/{server_id}")),
            "status": "FAILED" if failed else "SUCCEEDED",
        }
        if failed:
            run["failureReason"] = f"simulated: {VALIDATION_ACTION} failed on the recovery instance"
        return {"ssmAgentDiscoveryDatetime": iso(self.started + COMPLETED_AFTER_SECONDS), "runs": [run]}


def source_server_shape(
    server: SourceServer, last_launch: str, *, replication_state: str = "", reversed_arn: str = ""
) -> dict[str, Any]:
    """``replication_state``: the state now when it is not the server's own (a replication that
    ReverseReplication started); ``reversed_arn``: the source server of the opposite direction."""
    shape: dict[str, Any] = {
        "sourceServerID": server.server_id,
        "arn": server.arn,
        "tags": {"Name": server.hostname, **server.tags, **SIMULATED_TAGS},
        "lastLaunchResult": last_launch,
        "dataReplicationInfo": replication_info(server, replication_state),
        "lifeCycle": {"addedToServiceDateTime": "2024-01-01T00:00:00Z"},
        "sourceProperties": {
            "identificationHints": {"hostname": server.hostname, "fqdn": server.hostname},
            "recommendedInstanceType": "m5.large",
        },
        "replicationDirection": server.direction,
    }
    if not server.on_premises:
        shape["sourceCloudProperties"] = {
            "originAccountID": server.account_id,
            "originRegion": server.origin_region,
            "originAvailabilityZone": server.origin_zone,
        }
    if reversed_arn:
        shape["reversedDirectionSourceServerArn"] = reversed_arn
    return shape


def replication_info(server: SourceServer, state: str = "") -> dict[str, Any]:
    """``dataReplicationInfo``: state, lag as an ISO 8601 duration, and DRS's error when stalled."""
    info: dict[str, Any] = {
        "dataReplicationState": state or server.replication_state,
        "lagDuration": duration(server.lag_seconds),
        "replicatedDisks": [],
    }
    if server.replication_error:
        info["dataReplicationError"] = {
            "error": server.replication_error,
            "rawError": f"simulated: replication {server.replication_state.lower()}",
        }
    return info


def duration(seconds: int) -> str:
    """``PT3H12M``-style ISO 8601 duration, as DRS writes ``lagDuration``."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")
    return "PT" + (parts or "0S")


def recovery_instance_shape(job: Job, server_id: str, now: float) -> dict[str, Any]:
    """The instance ``job`` launched for ``server_id``; its origin and failback are added by
    ``sandbox.emulators.drs_failback`` (``originEnvironment`` AWS until then)."""
    instance_id = job.instance_ids[server_id]
    return {
        "recoveryInstanceID": instance_id,
        "arn": f"arn:aws:drs:{job.region}:{job.account_id}:recovery-instance/{instance_id}",
        "sourceServerID": server_id,
        "ec2InstanceID": instance_id,
        "ec2InstanceState": "RUNNING",
        "jobID": job.job_id,
        "isDrill": job.is_drill,
        "originEnvironment": "AWS",
        "pointInTimeSnapshotDateTime": iso(job.started),
        "tags": dict(SIMULATED_TAGS),
    }


def terminate_job_shape(
    account_id: str,
    job_id: str,
    instances: list[dict[str, Any]],
    created: float,
    done: dict[str, bool],
    now: float,
    region: str = REGION,
) -> dict[str, Any]:
    """The TERMINATE job of ``TerminateRecoveryInstances``: STARTED while any of its instances is
    terminating (``done``: instance id -> its termination has ended), then COMPLETED."""
    shape = {
        "jobID": job_id,
        "arn": f"arn:aws:drs:{region}:{account_id}:job/{job_id}",
        "type": "TERMINATE",
        "initiatedBy": "TERMINATE_RECOVERY_INSTANCES",
        "creationDateTime": iso(created),
        "status": "COMPLETED" if all(done.values()) else "STARTED",
        "participatingServers": [
            {
                "sourceServerID": i["sourceServerID"],
                "recoveryInstanceID": i["recoveryInstanceID"],
                "launchStatus": "TERMINATED" if done[i["recoveryInstanceID"]] else "IN_PROGRESS",
            }
            for i in instances
        ],
        "tags": dict(SIMULATED_TAGS),
    }
    if shape["status"] == "COMPLETED":
        shape["endDateTime"] = iso(now)
    return shape


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
