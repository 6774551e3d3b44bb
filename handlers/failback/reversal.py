"""Reversing replication exactly once per recovery instance, and reading where each server stands.

The record (handlers/failback/records.py) is built once from what the execution launched and what
DRS says of each recovery instance (``DescribeRecoveryInstances``: ``originEnvironment``; the
source server's ``sourceCloudProperties.originRegion``, else the instance's
``originAvailabilityZone``, for the origin region). ``ReverseReplication`` is called only for a
server this caller claimed (a conditional write before the call), EC2 origin only, in the recovery
instance's region through the plan's account rule (handlers/aws/drs.py ``target_for``). DRS's
refusal is recorded on that server with DRS's message and the others go on; the next call retries
only the refused ones. Every DRS call here acts in the execution's own account, never another.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import drs, recovery_instances
from handlers.core.errors import ConflictError
from handlers.core.timestamps import format_iso, now, now_iso
from handlers.failback.records import CHUNK, CLAIMABLE, STALE_CLAIM, FailbackRecords
from handlers.models.execution import Execution, FailbackRecord, FailbackServer, WaveProgress
from handlers.models.protection_group import ProtectionGroup
from handlers.models.recovery_plan import RecoveryPlan
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.protection_groups import ProtectionGroupRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository

CONTINUOUS = "CONTINUOUS"
READY_FOR_LAUNCH = "FAILBACK_READY_FOR_LAUNCH"


class Targets:
    """DRS clients for one call, by region, each in the execution's account (the plan's rule)."""

    def __init__(self, execution: Execution) -> None:
        self.execution = execution
        self.plan = RecoveryPlanRepository().get(execution.planId)
        self._groups: dict[str, ProtectionGroup | None] = {}
        self._clients: dict[drs.DrsTarget, Any] = {}

    def target(self, wave_number: int, region: str) -> drs.DrsTarget:
        wave = self.execution.waves[wave_number - 1]
        if wave.protectionGroupId not in self._groups:
            self._groups[wave.protectionGroupId] = ProtectionGroupRepository().get(wave.protectionGroupId)
        group = self._groups[wave.protectionGroupId]
        if group is not None and group.accountId == self.execution.accountId:
            return drs.target_for(group, self.plan, region=region)
        plan: RecoveryPlan | None = self.plan
        role, external = (plan.assumeRoleName, plan.externalId) if plan else ("", "")
        return drs.target(self.execution.accountId, region, role, external)  # never another account

    def client(self, wave_number: int, region: str) -> Any:
        target = self.target(wave_number, region)
        if target not in self._clients:
            self._clients[target] = drs.client_for(target, f"failback-{self.execution.executionId}")
        return self._clients[target]


def build_record(execution: Execution) -> FailbackRecord:
    """The record of ``execution``'s recovered servers: one entry per recovery instance it launched
    that DRS still has."""
    targets = Targets(execution)
    servers: list[FailbackServer] = []
    for wave in execution.waves:
        if not (wave.jobIds or any(s.recoveryInstanceId for s in wave.servers)):
            continue
        client = targets.client(wave.waveNumber, wave.region)
        launched = _launched(client, wave)
        alive = recovery_instances.live(client, launched.values())
        origins = _origin_regions(client, [alive[i] for i in launched.values() if i in alive])
        for source_id, instance_id in launched.items():
            instance = alive.get(instance_id)
            if instance is None:
                continue  # terminated meanwhile: nothing of it to bring home
            on_premises = instance.get("originEnvironment") == "ON_PREMISES"
            servers.append(
                FailbackServer(
                    sourceServerId=source_id,
                    recoveryInstanceId=instance_id,
                    origin="ON_PREMISES" if on_premises else "AWS",
                    waveNumber=wave.waveNumber,
                    region=wave.region,
                    originRegion="" if on_premises else origins.get(instance_id, ""),
                    reversal="NOT_APPLICABLE" if on_premises else "",
                    state=str((instance.get("failback") or {}).get("state", "")) if on_premises else "",
                )
            )
    if not servers:
        raise ConflictError(
            f"execution {execution.executionId} has no recovery instance left to fail back "
            "(none launched, or all terminated)"
        )
    return FailbackRecord(servers=servers, updatedAt=now_iso())


def _launched(client: Any, wave: WaveProgress) -> dict[str, str]:
    """Source server id -> the recovery instance the wave launched for it (the record's ids, else
    the DRS jobs' participating servers)."""
    found = {s.sourceServerId: s.recoveryInstanceId for s in wave.servers if s.recoveryInstanceId}
    missing = [s.sourceServerId for s in wave.servers if not s.recoveryInstanceId]
    if (missing or not wave.servers) and wave.jobIds:
        for job in drs.describe_jobs(client, wave.jobIds):
            for server in job.get("participatingServers", []):
                source, instance = str(server.get("sourceServerID", "")), server.get("recoveryInstanceID")
                if instance and source not in found:
                    found[source] = str(instance)
    return found


def _origin_regions(client: Any, instances: list[dict[str, Any]]) -> dict[str, str]:
    """Recovery instance id -> the region its EC2 source machine runs in: its source server's
    ``sourceCloudProperties.originRegion``, else its ``originAvailabilityZone`` less the zone letter."""
    sources = drs.describe_source_servers(client, sorted({str(i["sourceServerID"]) for i in instances}))
    regions = {}
    for instance in instances:
        cloud = sources.get(str(instance["sourceServerID"]), {}).get("sourceCloudProperties") or {}
        zone = str(instance.get("originAvailabilityZone") or "")
        regions[str(instance["recoveryInstanceID"])] = str(cloud.get("originRegion") or zone[:-1])
    return regions


def ensure_record(execution: Execution) -> Execution:
    """``execution`` with its failback record, built and written by the first caller."""
    if execution.failback is not None:
        return execution
    FailbackRecords().begin(execution.executionId, build_record(execution))
    return current(execution.executionId)


def reverse_all(execution: Execution) -> Execution:
    """Reverse every EC2-origin server not reversed yet (and not held by another caller): claim a
    chunk, call DRS for what this caller claimed, record the answers. The execution as stored after."""
    assert execution.failback is not None
    records, targets = FailbackRecords(), Targets(execution)
    stale_before = format_iso(now() - STALE_CLAIM)
    todo = {
        i: s
        for i, s in enumerate(execution.failback.servers)
        if s.origin == "AWS" and _claimable(s, stale_before)
    }
    for chunk in _chunks(todo):
        claimed_at = now_iso()
        claimed = chunk if records.claim(execution.executionId, chunk, claimed_at, stale_before) else {}
        if not claimed and len(chunk) > 1:  # another caller holds some: claim one by one
            claimed = {
                i: s
                for i, s in chunk.items()
                if records.claim(execution.executionId, {i: s}, claimed_at, stale_before)
            }
        answers = {
            i: reverse_one(targets.client(s.waveNumber, s.region), s, claimed_at) for i, s in claimed.items()
        }
        if answers:
            records.settle(execution.executionId, answers, claimed_at)
    return current(execution.executionId)


def reverse_one(client: Any, server: FailbackServer, claimed_at: str) -> FailbackServer:
    """One ``ReverseReplication`` call: the server REVERSED (with the new source server), or FAILED
    with DRS's code and message."""
    try:
        arn = str(
            client.reverse_replication(recoveryInstanceID=server.recoveryInstanceId)[
                "reversedDirectionSourceServerArn"
            ]
        )
    except (ClientError, BotoCoreError) as exc:
        error = drs.DrsCallError("ReverseReplication", exc)
        return server.model_copy(
            update={"reversal": "FAILED", "claimedAt": claimed_at, "message": str(error)[:500]}
        )
    parts = arn.split(":")
    region = parts[3] if len(parts) > 3 and parts[3] else server.originRegion
    return server.model_copy(
        update={
            "reversal": "REVERSED",
            "claimedAt": claimed_at,
            "reversedSourceServerId": arn.rpartition("/")[2],
            "originRegion": region,
            "message": "",
        }
    )


def _claimable(server: FailbackServer, stale_before: str) -> bool:
    return server.reversal in CLAIMABLE or (server.reversal == "CLAIMED" and server.claimedAt < stale_before)


def _chunks(servers: dict[int, FailbackServer]) -> Iterator[dict[int, FailbackServer]]:
    items = list(servers.items())
    for start in range(0, len(items), CHUNK):
        yield dict(items[start : start + CHUNK])


def observe(execution: Execution) -> Execution:
    """Read where each server stands in DRS now and record it: an EC2-origin server's reversed
    source server's replication state (in the origin region), an on-premises one's
    ``failback.state``. A DRS error leaves the states as they were (raised)."""
    assert execution.failback is not None
    targets = Targets(execution)
    states: dict[int, str] = {}
    servers = execution.failback.servers
    by_place: dict[tuple[int, str, str], list[int]] = {}
    for index, server in enumerate(servers):
        if server.origin == "AWS" and server.reversedSourceServerId:
            by_place.setdefault((server.waveNumber, server.originRegion, "AWS"), []).append(index)
        elif server.origin == "ON_PREMISES":
            by_place.setdefault((server.waveNumber, server.region, "ON_PREMISES"), []).append(index)
    for (wave_number, region, origin), indexes in by_place.items():
        client = targets.client(wave_number, region)
        if origin == "AWS":
            found = drs.describe_source_servers(client, [servers[i].reversedSourceServerId for i in indexes])
            for i in indexes:
                info = found.get(servers[i].reversedSourceServerId, {}).get("dataReplicationInfo") or {}
                states[i] = str(info.get("dataReplicationState", "NOT_FOUND"))
        else:
            alive = recovery_instances.live(client, [servers[i].recoveryInstanceId for i in indexes])
            for i in indexes:
                instance = alive.get(servers[i].recoveryInstanceId)
                states[i] = str(((instance or {}).get("failback") or {}).get("state", "TERMINATED"))
    changed = {i: s for i, s in states.items() if servers[i].state != s}
    if changed:
        FailbackRecords().observe(execution.executionId, changed, now_iso())
        return current(execution.executionId)
    return execution


def is_ready(server: FailbackServer) -> bool:
    """Can this server fail back now?"""
    if server.origin == "AWS":
        return server.reversal == "REVERSED" and server.state == CONTINUOUS
    return server.state == READY_FOR_LAUNCH


def current(execution_id: str) -> Execution:
    execution = ExecutionRepository().get(execution_id)
    assert execution is not None  # executions are never deleted
    return execution
