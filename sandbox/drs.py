"""A simulated AWS Elastic Disaster Recovery (moto has no DRS).

Answers ``StartRecovery``, ``DescribeJobs``, ``DescribeSourceServers`` (and the read-only
``DescribeRecoveryInstances``) with responses shaped like botocore's ``drs`` service model, from
:class:`sandbox.drs_data.Estate`. A job's progress is computed from its age whenever it is read -
PENDING, then STARTED, then COMPLETED after a few seconds, each server LAUNCHED or FAILED - so no
timer threads exist to clean up.

The account a call acts on comes from its credentials: keys that moto's STS issued by
``AssumeRole`` act in the role's account; the deployment's own credentials act in the first demo
account (as if the tooling were deployed there). Every job and server carries the tag
``sandbox:simulated = true``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.awsrequest import AWSPreparedRequest

from sandbox.drs_data import ACCOUNTS, REGION, SIMULATED_LABEL, Estate

log = logging.getLogger("sandbox.drs")
PENDING_SECONDS = 1.0
COMPLETED_AFTER_SECONDS = 4.0
MAX_SERVERS_PER_CALL = 200
SIMULATED_TAGS = {"sandbox:simulated": "true"}
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Job:
    job_id: str
    account_id: str
    server_ids: list[str]
    failing: set[str]
    is_drill: bool
    started: float = field(default_factory=time.time)
    instance_ids: dict[str, str] = field(default_factory=dict)

    def status(self, now: float) -> str:
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

    def shape(self, now: float) -> dict[str, Any]:
        status = self.status(now)
        job: dict[str, Any] = {
            "jobID": self.job_id,
            "arn": f"arn:aws:drs:{REGION}:{self.account_id}:job/{self.job_id}",
            "type": "LAUNCH",
            "initiatedBy": "START_DRILL" if self.is_drill else "START_RECOVERY",
            "creationDateTime": _iso(self.started),
            "status": status,
            "participatingServers": [self._server_shape(sid, now) for sid in self.server_ids],
            "tags": dict(SIMULATED_TAGS),
        }
        if status == "COMPLETED":
            job["endDateTime"] = _iso(self.started + COMPLETED_AFTER_SECONDS)
        return job

    def _server_shape(self, server_id: str, now: float) -> dict[str, Any]:
        shape = {"sourceServerID": server_id, "launchStatus": self.launch_status(server_id, now)}
        if shape["launchStatus"] == "LAUNCHED":
            shape["recoveryInstanceID"] = self.instance_ids[server_id]
        return shape


class DrsEmulator:
    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    # -- operations ------------------------------------------------------------------------------
    def start_recovery(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        requested = [str(s.get("sourceServerID", "")) for s in body.get("sourceServers") or []]
        if not 1 <= len(requested) <= MAX_SERVERS_PER_CALL:
            raise DrsError(400, "ValidationException", f"sourceServers must hold 1 to {MAX_SERVERS_PER_CALL}")
        known = self.estate.servers.get(account, {})
        unknown = [sid for sid in requested if sid not in known]
        if unknown:
            raise DrsError(
                404, "ResourceNotFoundException", f"source servers not in {account}: {unknown[:5]}"
            )
        job = Job(
            job_id="drsjob-" + uuid.uuid4().hex[:17],
            account_id=account,
            server_ids=requested,
            failing={sid for sid in requested if known[sid].fails_to_launch},
            is_drill=bool(body.get("isDrill", False)),
            instance_ids={sid: "i-" + uuid.uuid4().hex[:17] for sid in requested},
        )
        with self._lock:
            self._jobs[job.job_id] = job
        log.info("[simulated DRS] %s: job %s for %d servers", account, job.job_id, len(requested))
        return {"job": job.shape(time.time())}

    def describe_jobs(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        wanted = set((body.get("filters") or {}).get("jobIDs") or [])
        now = time.time()
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.account_id == account]
        jobs = [j for j in jobs if not wanted or j.job_id in wanted]
        return {"items": [j.shape(now) for j in sorted(jobs, key=lambda j: -j.started)]}

    def describe_source_servers(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        wanted = set((body.get("filters") or {}).get("sourceServerIDs") or [])
        servers = self.estate.servers.get(account, {}).values()
        return {"items": [self._server_shape(s) for s in servers if not wanted or s.server_id in wanted]}

    def describe_recovery_instances(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.account_id == account]
        items = [
            {
                "recoveryInstanceID": job.instance_ids[sid],
                "sourceServerID": sid,
                "jobID": job.job_id,
                "isDrill": job.is_drill,
                "tags": dict(SIMULATED_TAGS),
            }
            for job in jobs
            for sid in job.server_ids
            if job.launch_status(sid, now) == "LAUNCHED"
        ]
        return {"items": items}

    def _server_shape(self, server: Any) -> dict[str, Any]:
        return {
            "sourceServerID": server.server_id,
            "arn": server.arn,
            "tags": {**SIMULATED_TAGS, "Name": server.hostname},
            "lastLaunchResult": self._last_launch_result(server.server_id),
            "dataReplicationInfo": {"dataReplicationState": "CONTINUOUS", "lagDuration": "PT2S"},
            "lifeCycle": {"addedToServiceDateTime": "2024-01-01T00:00:00Z"},
            "sourceProperties": {
                "identificationHints": {"hostname": server.hostname, "fqdn": server.hostname},
                "recommendedInstanceType": "m5.large",
            },
            "replicationDirection": "FAILOVER",
        }

    def _last_launch_result(self, server_id: str) -> str:
        now = time.time()
        with self._lock:
            jobs = [j for j in self._jobs.values() if server_id in j.server_ids]
        if not jobs:
            return "NOT_STARTED"
        status = max(jobs, key=lambda j: j.started).launch_status(server_id, now)
        return {"LAUNCHED": "SUCCEEDED", "FAILED": "FAILED"}.get(status, "PENDING")

    # -- botocore hook ---------------------------------------------------------------------------
    def responder(self) -> Any:
        operations = {
            "StartRecovery": self.start_recovery,
            "DescribeJobs": self.describe_jobs,
            "DescribeSourceServers": self.describe_source_servers,
            "DescribeRecoveryInstances": self.describe_recovery_instances,
        }

        def respond(operation: str, request: AWSPreparedRequest) -> Answer:
            handler = operations.get(operation)
            try:
                if handler is None:
                    raise DrsError(
                        400, "ValidationException", f"{operation} is not part of the {SIMULATED_LABEL}"
                    )
                body = json.loads(request.body or b"{}")
                result = handler(account_of(request), body)
            except DrsError as exc:
                return exc.answer()
            status = 202 if operation == "StartRecovery" else 200
            return status, {"Content-Type": "application/json"}, json.dumps(result).encode()

        return respond


class DrsError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def answer(self) -> Answer:
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": self.code}
        return self.status, headers, json.dumps({"message": self.message}).encode()


_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def account_of(request: AWSPreparedRequest) -> str:
    """The demo account a DRS call acts on, from the access key that signed it."""
    match = _CREDENTIAL.search(str(request.headers.get("Authorization", "")))
    if match:
        from moto.sts.models import sts_backends

        for account in ACCOUNTS:
            role = sts_backends[account]["aws"].get_assumed_role_from_access_key(match.group(1))
            if role is not None:
                return account
    return ACCOUNTS[0]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
