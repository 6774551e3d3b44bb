"""Failback in the simulated DRS: reversed replication (EC2 origin) and the Failback Client (on
premises), as botocore's ``drs`` model describes them. :class:`sandbox.emulators.drs.DrsEmulator` keeps one
:class:`Failback` and calls it under its lock.

- ``ReverseReplication(recoveryInstanceID)`` applies only to an instance whose source machine ran
  on EC2 (the model: "applies only to protected instances that originated in EC2"). For a recovery
  instance in the recovery region it creates a source server in the origin region
  (``replicationDirection`` FAILBACK, ``reversedDirectionSourceServerArn`` naming the original,
  which names it back); recovering that server there (``StartRecovery`` in the origin region) is
  the failback. Reversing the failed-back instance re-protects: the original source server, named
  by the reversed one, replicates again. Replication started this way passes INITIATING and
  INITIAL_SYNC and is CONTINUOUS within seconds.
- An on-premises instance's Failback Client is simulated as running from its launch: its
  ``failback.state`` goes FAILBACK_NOT_STARTED, FAILBACK_IN_PROGRESS, FAILBACK_READY_FOR_LAUNCH a
  few seconds after the launch. ``StartFailbackLaunch`` takes ready instances only; while its
  FAILBACK job runs they are FAILBACK_IN_PROGRESS, then FAILBACK_COMPLETED. ``StopFailback`` puts
  an instance back to FAILBACK_NOT_STARTED, and it stays there (its client was stopped).

Every step also advances by reads instead of the clock when ``after_polls`` is set (tests): a
reversed replication is CONTINUOUS once ``after_polls`` ``DescribeSourceServers`` answers have
listed it short of that, a Failback Client READY once as many ``DescribeRecoveryInstances``
answers have listed it not ready.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sandbox.data.drs_calls import DrsError
from sandbox.data.drs_data import ORIGIN_REGION, REGION, SourceServer
from sandbox.data.drs_shapes import COMPLETED_AFTER_SECONDS, Job, iso

REPLICATION_STAGES = ("INITIATING", "INITIAL_SYNC", "CONTINUOUS")
CLIENT_STAGES = ("FAILBACK_NOT_STARTED", "FAILBACK_IN_PROGRESS", "FAILBACK_READY_FOR_LAUNCH")
MIDDLE_AFTER_SECONDS = 1.0  # the second stage begins
LAST_AFTER_SECONDS = 4.0  # the last stage (CONTINUOUS, FAILBACK_READY_FOR_LAUNCH) begins
READY = CLIENT_STAGES[-1]


@dataclass
class Progress:
    """Three stages reached by the clock (seconds since ``started``) or by reads (``after_polls``)."""

    started: float
    after_polls: int | None
    polls: int = 0

    def stage(self, stages: tuple[str, str, str], now: float) -> str:
        if self.after_polls is not None:
            step = 2 if self.polls >= self.after_polls else min(self.polls, 1)
        else:
            age = now - self.started
            step = 2 if age >= LAST_AFTER_SECONDS else 1 if age >= MIDDLE_AFTER_SECONDS else 0
        return stages[step]


@dataclass
class Client:
    """An on-premises recovery instance's Failback Client and its failback launch."""

    progress: Progress
    client_id: str
    stopped: bool = False
    launch: Job | None = None  # the StartFailbackLaunch job, once started

    def state(self, now: float) -> str:
        if self.launch is not None:
            return "FAILBACK_COMPLETED" if self.launch.status(now) == "COMPLETED" else "FAILBACK_IN_PROGRESS"
        return CLIENT_STAGES[0] if self.stopped else self.progress.stage(CLIENT_STAGES, now)


@dataclass(frozen=True)
class Seen:
    """How a recovery instance is looked at: ``now``; ``launched``, when its launch ended (its
    Failback Client starts then); ``after_polls``, the emulator's knob; ``count``, whether this
    answer lists it (a read that advances it, in tests)."""

    now: float
    launched: float
    after_polls: int | None = None
    count: bool = False


@dataclass
class Failback:
    """Reversed source servers, replications ReverseReplication started, and Failback Clients."""

    # (account, region) -> server id -> a source server ReverseReplication created there
    reversed: dict[tuple[str, str], dict[str, SourceServer]] = field(default_factory=dict)
    replications: dict[str, Progress] = field(default_factory=dict)  # server id -> its replication
    opposite: dict[str, str] = field(default_factory=dict)  # server id -> the other direction's ARN
    reversals: dict[str, str] = field(default_factory=dict)  # recovery instance id -> answered ARN
    clients: dict[str, Client] = field(default_factory=dict)  # on-premises recovery instance id

    # -- source servers ----------------------------------------------------------------------------
    def find(self, account: str, region: str, server_id: str) -> SourceServer | None:
        return self.reversed.get((account, region), {}).get(server_id)

    def servers(self, account: str, region: str) -> list[SourceServer]:
        return list(self.reversed.get((account, region), {}).values())

    def server_overlay(self, server: SourceServer, now: float, *, count: bool) -> dict[str, str]:
        """``source_server_shape``'s keywords for ``server``: its replication state when a reversal
        drives it, and its opposite's ARN. ``count``: this answer lists it (a read, in tests)."""
        overlay = {"reversed_arn": self.opposite.get(server.server_id, "")}
        progress = self.replications.get(server.server_id)
        if progress is not None:
            overlay["replication_state"] = progress.stage(REPLICATION_STAGES, now)
            if count:
                progress.polls += 1
        return overlay

    # -- ReverseReplication --------------------------------------------------------------------------
    def reverse(
        self,
        instance_id: str,
        source: SourceServer | None,
        region: str,
        seen: Seen,
        find: Callable[[str, str, str], SourceServer | None],
    ) -> str:
        """The ARN of the source server replicating ``instance`` (of ``source``) to the opposite
        region: a new one, or the one its source's ``reversedDirectionSourceServerArn`` names. A
        second call for the same instance answers the same ARN and changes nothing: DRS's answer
        holds only that ARN, and a caller that lost the first answer (a timeout, a retried task)
        must get it again rather than an error it cannot tell from a real conflict."""
        if instance_id in self.reversals:
            return self.reversals[instance_id]
        if source is None:
            raise DrsError(
                404,
                "ResourceNotFoundException",
                f"the source server of recovery instance {instance_id} is no longer in DRS",
                extra={"resourceId": instance_id, "resourceType": "RecoveryInstance"},
            )
        if source.on_premises:
            # ValidationException, not ConflictException: no change of the instance's state makes
            # it valid (its origin is on premises for good; ConflictException says "retry once the
            # resource's state changed"). On premises, the Failback Client drives failback.
            raise DrsError(
                400,
                "ValidationException",
                f"ReverseReplication applies only to recovery instances that originated in EC2: "
                f"{instance_id} originated ON_PREMISES (use its Failback Client and StartFailbackLaunch)",
                extra={"reason": "other"},
            )
        target_region = ORIGIN_REGION if region == REGION else REGION
        account = source.account_id
        target = self._opposite_server(source, target_region, find)
        if target is None:
            target = replace(
                source,
                server_id=_reversed_id(account, target_region, source.server_id),
                region=target_region,
                origin_region=region,
                direction="FAILBACK" if source.direction == "FAILOVER" else "FAILOVER",
                replication_state="CONTINUOUS",
                fails_to_launch=False,
                lag_seconds=2,
                replication_error="",
            )
            self.reversed.setdefault((account, target_region), {})[target.server_id] = target
            self.opposite[source.server_id] = target.arn
            self.opposite[target.server_id] = source.arn
        self.replications[target.server_id] = Progress(seen.now, seen.after_polls)
        self.reversals[instance_id] = target.arn
        return target.arn

    def _opposite_server(
        self, source: SourceServer, region: str, find: Callable[[str, str, str], SourceServer | None]
    ) -> SourceServer | None:
        arn = self.opposite.get(source.server_id, "")
        return find(source.account_id, region, arn.rpartition("/")[2]) if arn else None

    # -- recovery instances ------------------------------------------------------------------------
    def instance_fields(self, instance_id: str, source: SourceServer | None, seen: Seen) -> dict[str, Any]:
        """``originEnvironment``, ``originAvailabilityZone``, ``failback`` and (while something
        replicates from it) ``dataReplicationInfo`` of a recovery instance of ``source``
        (``None``: a server no longer in DRS, taken as EC2-originated)."""
        now = seen.now
        if source is not None and source.on_premises:
            client = self.clients.get(instance_id)
            if client is None:
                progress = Progress(seen.launched, seen.after_polls)
                client = Client(progress, "fbc-" + instance_id.removeprefix("i-"))
                self.clients[instance_id] = client
            state = client.state(now)
            if seen.count:
                client.progress.polls += 1
            failback: dict[str, Any] = {
                "state": state,
                "failbackClientID": client.client_id,
                "failbackToOriginalServer": True,
            }
            if state != CLIENT_STAGES[0]:
                failback["failbackClientLastSeenByServiceDateTime"] = iso(now)
                failback["agentLastSeenByServiceDateTime"] = iso(now)
            if client.launch is not None:
                failback["failbackJobID"] = client.launch.job_id
                failback["failbackInitiationTime"] = iso(client.launch.started)
                failback["failbackLaunchType"] = "RECOVERY"
            replication = {
                "FAILBACK_NOT_STARTED": "NOT_STARTED",
                "FAILBACK_IN_PROGRESS": "INITIAL_SYNC",
            }.get(state, "CONTINUOUS")
            return {
                "originEnvironment": "ON_PREMISES",
                "failback": failback,
                "dataReplicationInfo": {"dataReplicationState": replication, "replicatedDisks": []},
            }
        fields: dict[str, Any] = {
            "originEnvironment": "AWS",
            "failback": {"state": CLIENT_STAGES[0]},
        }
        if source is not None:
            fields["originAvailabilityZone"] = source.origin_zone
        arn = self.reversals.get(instance_id)
        if arn is not None:
            reversal = self.replications.get(arn.rpartition("/")[2])
            state = reversal.stage(REPLICATION_STAGES, now) if reversal else "CONTINUOUS"
            fields["dataReplicationInfo"] = {"dataReplicationState": state, "replicatedDisks": []}
        return fields

    # -- StartFailbackLaunch / StopFailback ------------------------------------------------------------
    def not_ready(self, instance_ids: list[str], now: float) -> dict[str, str]:
        """Instance id -> its failback state, for those not FAILBACK_READY_FOR_LAUNCH."""
        states = {
            i: self.clients[i].state(now) if i in self.clients else CLIENT_STAGES[0] for i in instance_ids
        }
        return {i: s for i, s in states.items() if s != READY}

    def launching(self, instance_ids: list[str], job: Job) -> None:
        for instance_id in instance_ids:
            self.clients[instance_id].launch = job

    def stop(self, instance_id: str) -> None:
        client = self.clients.get(instance_id)
        if client is not None:
            client.stopped, client.launch = True, None

    # -- what the sandbox shows --------------------------------------------------------------------
    def summary(self, account: str, now: float) -> list[dict[str, Any]]:
        """The account's reversed source servers, every region: where, which way, how far along."""
        return [
            {
                "sourceServerID": server.server_id,
                "region": region,
                "hostname": server.hostname,
                "replicationDirection": server.direction,
                "reversedDirectionSourceServerArn": self.opposite.get(server.server_id, ""),
                "replicationState": self.replications[server.server_id].stage(REPLICATION_STAGES, now)
                if server.server_id in self.replications
                else server.replication_state,
            }
            for (owner, region), servers in sorted(self.reversed.items())
            if owner == account
            for server in servers.values()
        ]


def _reversed_id(account: str, region: str, server_id: str) -> str:
    digest = hashlib.sha256(f"{account}:{region}:{server_id}".encode()).hexdigest()
    return "s-" + digest[:17]


def launch_ended(job: Job) -> float:
    """When ``job``'s launch ended, as far as the clock goes (a Failback Client starts then)."""
    return job.started + COMPLETED_AFTER_SECONDS
