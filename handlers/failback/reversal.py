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

import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import drs, recovery_instances
from handlers.core.errors import ConflictError
from handlers.core.timestamps import format_iso, now, now_iso
from handlers.failback.records import CLAIMABLE, STALE_CLAIM, FailbackRecords
from handlers.models.execution import Execution, FailbackRecord, FailbackServer, WaveProgress
from handlers.models.protection_group import ProtectionGroup
from handlers.models.recovery_plan import RecoveryPlan
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.protection_groups import ProtectionGroupRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository

CONTINUOUS = "CONTINUOUS"
READY_FOR_LAUNCH = "FAILBACK_READY_FOR_LAUNCH"
SETTLE_SECONDS = 20.0  # a caller records DRS's answers at least this often while it reverses


class Targets:
    """DRS clients for one call, by region, each in the execution's account (the plan's rule)."""

    def __init__(self, execution: Execution) -> None:
        self.execution = execution
        self.plan = RecoveryPlanRepository().get(execution.planId)
        self._groups: dict[str, ProtectionGroup | None] = {}
        self._clients: dict[drs.DrsTarget, Any] = {}
        self._by_wave: dict[tuple[int, str], Any] = {}  # one target a call per wave and region

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
        if (wave_number, region) not in self._by_wave:
            target = self.target(wave_number, region)
            if target not in self._clients:
                self._clients[target] = drs.client_for(target, f"failback-{self.execution.executionId}")
            self._by_wave[wave_number, region] = self._clients[target]
        return self._by_wave[wave_number, region]


def build_record(execution: Execution, claim_at: str = "") -> FailbackRecord:
    """The record of ``execution``'s recovered servers: one entry per recovery instance it launched
    that DRS still has; ``claim_at``: its EC2-origin servers' reversals claimed then (by the caller
    whose write of the record wins)."""
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
                    reversal="NOT_APPLICABLE" if on_premises else ("CLAIMED" if claim_at else ""),
                    claimedAt="" if on_premises else claim_at,
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
    return ensured(execution)[0]


def ensured(execution: Execution, claim_at: str = "") -> tuple[Execution, int | None]:
    """``execution`` with its failback record, and the record's revision when this call wrote it
    (None: read it before writing, handlers/failback/records.py). ``claim_at``: a record this call
    writes holds its EC2-origin servers' reversals, claimed then."""
    if execution.failback is not None:
        return execution, None
    record = build_record(execution, claim_at)
    if FailbackRecords().begin(execution.executionId, record):
        return execution.model_copy(update={"failback": record}), 0
    return current(execution.executionId), None


def reverse(execution: Execution, *, observe_after: bool = False) -> tuple[Execution, int, bool]:
    """:func:`reverse_all` of ``execution``, its record built first if it has none: the first
    caller writes the record with its EC2-origin servers claimed (one write for both)."""
    claimed_at = now_iso()
    execution, revision = ensured(execution, claim_at=claimed_at)
    if revision is None:  # the record was there, or another caller wrote it: claim from what is stored
        return reverse_all(execution, observe_after=observe_after)
    return reverse_all(execution, revision, observe_after=observe_after, held_since=claimed_at)


def reverse_all(
    execution: Execution,
    revision: int | None = None,
    *,
    observe_after: bool = False,
    held_since: str = "",
) -> tuple[Execution, int, bool]:
    """Reverse every EC2-origin server not reversed yet (and not held by another caller): claim
    them in one write, call DRS for what this caller claimed, record the answers (at least every
    :data:`SETTLE_SECONDS`, so a caller that dies leaves little claimed). ``revision``: the one of
    ``execution``'s record if known (else read); ``observe_after``: read where each server stands
    (:func:`observe`) before the last write and record it with DRS's answers; ``held_since``: the
    record at ``revision`` was written by this caller with claims made then (:func:`reverse`).
    The execution with its record as written, the record's revision, and whether it was observed."""
    records, targets = FailbackRecords(), Targets(execution)
    if revision is None or execution.failback is None:
        held_since = ""  # claims are this caller's only in the record it wrote
        record, revision = records.read(execution.executionId)
    else:
        record = execution.failback
    stale_before = format_iso(now() - STALE_CLAIM)
    claimed_at = held_since or now_iso()
    todo = [i for i, s in enumerate(record.servers) if (s.reversal, s.claimedAt) == ("CLAIMED", held_since)]
    while not held_since:
        todo = [i for i, s in enumerate(record.servers) if s.origin == "AWS" and _claimable(s, stale_before)]
        if not todo:
            return execution.model_copy(update={"failback": record}), revision, False
        servers = list(record.servers)
        for i in todo:
            servers[i] = servers[i].model_copy(update={"reversal": "CLAIMED", "claimedAt": claimed_at})
        if records.replace_servers(execution.executionId, servers, revision, claimed_at):
            record, revision = (
                record.model_copy(update={"servers": servers, "updatedAt": claimed_at}),
                revision + 1,
            )
            break
        record, revision = records.read(execution.executionId)  # another caller wrote: look again
    answers: dict[int, FailbackServer] = {}
    settled = time.monotonic()
    for i in todo:
        server = record.servers[i]
        answers[i] = reverse_one(targets.client(server.waveNumber, server.region), server, claimed_at)
        if time.monotonic() - settled >= SETTLE_SECONDS:
            record, revision = _settle(execution.executionId, record, revision, answers, claimed_at)
            answers, settled = {}, time.monotonic()
    states: dict[int, str] = {}
    if observe_after:  # where each server stands, its answer included: one write for both
        states = _states(targets, [answers.get(i, s) for i, s in enumerate(record.servers)])
    if answers or states:
        record, revision = _settle(execution.executionId, record, revision, answers, claimed_at, states)
    return execution.model_copy(update={"failback": record}), revision, observe_after


def _settle(
    execution_id: str,
    record: FailbackRecord,
    revision: int,
    answers: dict[int, FailbackServer],
    mine: str,
    states: dict[int, str] | None = None,
) -> tuple[FailbackRecord, int]:
    """Record DRS's answers on the servers this caller still holds (claimed at ``mine``), and the
    ``states`` observed (index -> state) on any server."""
    records = FailbackRecords()
    while True:
        servers = list(record.servers)
        for i, answer in answers.items():
            held = servers[i]
            if held.recoveryInstanceId == answer.recoveryInstanceId and (held.reversal, held.claimedAt) == (
                "CLAIMED",
                mine,
            ):
                servers[i] = answer
        for i, state in (states or {}).items():
            servers[i] = servers[i].model_copy(update={"state": state})
        updated_at = now_iso()
        if records.replace_servers(execution_id, servers, revision, updated_at):
            return record.model_copy(update={"servers": servers, "updatedAt": updated_at}), revision + 1
        record, revision = records.read(execution_id)


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


def observe(execution: Execution, revision: int | None = None) -> Execution:
    """Read where each server stands in DRS now and record it: an EC2-origin server's reversed
    source server's replication state (in the origin region), an on-premises one's
    ``failback.state``. A DRS error leaves the states as they were (raised)."""
    assert execution.failback is not None
    servers = execution.failback.servers
    states = _states(Targets(execution), servers)
    changed = {i: s for i, s in states.items() if servers[i].state != s}
    if not changed:
        return execution
    return _record_states(execution, changed, revision)


def _states(targets: Targets, servers: list[FailbackServer]) -> dict[int, str]:
    """Index -> where DRS says the server stands now (see :func:`observe`)."""
    states: dict[int, str] = {}
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
    return states


def _record_states(execution: Execution, states: dict[int, str], revision: int | None) -> Execution:
    """Write the observed states (index -> state) onto the record; ``revision``: the record's, if
    known. Another caller's write meanwhile: read again and apply them to what it wrote."""
    records = FailbackRecords()
    record = execution.failback
    for _ in range(3):
        if revision is None or record is None:
            record, revision = records.read(execution.executionId)
        servers = list(record.servers)
        for i, state in states.items():
            if i < len(servers):
                servers[i] = servers[i].model_copy(update={"state": state})
        updated_at = now_iso()
        if records.replace_servers(execution.executionId, servers, revision, updated_at):
            record = record.model_copy(update={"servers": servers, "updatedAt": updated_at})
            return execution.model_copy(update={"failback": record})
        revision = None
    return current(execution.executionId)  # busy: the next look records them


def is_ready(server: FailbackServer) -> bool:
    """Can this server fail back now?"""
    if server.origin == "AWS":
        return server.reversal == "REVERSED" and server.state == CONTINUOUS
    return server.state == READY_FOR_LAUNCH


def current(execution_id: str) -> Execution:
    execution = ExecutionRepository().get(execution_id)
    assert execution is not None  # executions are never deleted
    return execution
