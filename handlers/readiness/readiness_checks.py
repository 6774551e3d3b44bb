"""The readiness checks, as pure functions of what DRS answered (no AWS calls here).

Each returns the checks' problems, one per server (or wave) with what to do about it; an empty
list means the check passed (:func:`passed` words it). Messages name the server, its group and
wave, so the on-call engineer knows where to act."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from handlers.aws.drs import START_RECOVERY_LIMIT
from handlers.aws.quotas import DrsQuotas
from handlers.aws.snapshots import Snapshot
from handlers.models.readiness import Check

# dataReplicationState values that mean the server cannot be recovered from current data.
NOT_REPLICATING = {
    "STALLED": "replication STALLED",
    "DISCONNECTED": "replication DISCONNECTED",
    "STOPPED": "replication STOPPED",
    "PAUSED": "replication PAUSED",
    "INITIATING": "replication still INITIATING (not initial-synced)",
    "INITIAL_SYNC": "still in INITIAL_SYNC (not initial-synced)",
}
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


@dataclass(frozen=True)
class Member:
    """A server of the plan: in which wave, through which group."""

    server_id: str
    wave_number: int
    group_name: str

    def where(self) -> str:
        return f"group {self.group_name} (wave {self.wave_number})"

    def check(self, name: Any, status: Any, message: str) -> Check:
        return Check(
            check=name,
            status=status,
            message=message,
            sourceServerId=self.server_id,
            waveNumber=self.wave_number,
        )


def clock(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def lag_of(info: dict[str, Any]) -> timedelta | None:
    """DRS's ``lagDuration`` (ISO 8601 duration, e.g. ``PT1H30M``) as a timedelta."""
    match = _DURATION.match(str(info.get("lagDuration") or ""))
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def server_exists(members: list[Member], described: dict[str, Any], where: str) -> list[Check]:
    return [
        m.check(
            "server_exists",
            "FAIL",
            f"{m.server_id} is not a DRS source server {where}: remove it from {m.where()} "
            "or install the replication agent on it",
        )
        for m in members
        if m.server_id not in described
    ]


def replication(
    members: list[Member], described: dict[str, Any], lag_limit: int, now: datetime
) -> list[Check]:
    problems: list[Check] = []
    for m in (m for m in members if m.server_id in described):
        info = described[m.server_id].get("dataReplicationInfo") or {}
        state = str(info.get("dataReplicationState") or "UNKNOWN")
        lag = lag_of(info)
        if state in NOT_REPLICATING or not info:
            what = NOT_REPLICATING.get(state, f"replication state {state}")
            since = f" since {clock(now - lag)}" if lag is not None else ""
            error = (info.get("dataReplicationError") or {}).get("error")
            cause = f" (DRS: {error})" if error else ""
            fix = f"fix replication or remove it from {m.where()}"
            problems.append(
                m.check("replication_healthy", "FAIL", f"{m.server_id} {what}{since}{cause}: {fix}")
            )
        elif lag is not None and lag > timedelta(minutes=lag_limit):
            problems.append(
                m.check(
                    "replication_healthy",
                    "WARN",
                    f"{m.server_id} replication lags {int(lag.total_seconds() // 60)} min (plan allows "
                    f"{lag_limit}): it would recover data as of {clock(now - lag)}; check its network "
                    f"or raise the plan's maxReplicationLagMinutes",
                )
            )
    return problems


def active_jobs(members: list[Member], jobs: list[dict[str, Any]]) -> list[Check]:
    running = {str(s.get("sourceServerID")): job for job in jobs for s in job.get("participatingServers", [])}
    return [
        m.check(
            "no_active_job",
            "FAIL",
            f"{m.server_id} of {m.where()} is already in running DRS job {running[m.server_id].get('jobID')} "
            f"({running[m.server_id].get('initiatedBy', 'LAUNCH')}): wait for it to finish or end it in DRS",
        )
        for m in members
        if m.server_id in running
    ]


def leftover_instances(members: list[Member], instances: list[dict[str, Any]]) -> list[Check]:
    by_server = {m.server_id: m for m in members}
    return [
        by_server[str(i.get("sourceServerID"))].check(
            "leftover_drill_instances",
            "WARN",
            f"drill recovery instance {i.get('recoveryInstanceID')} of {i.get('sourceServerID')} "
            f"(job {i.get('jobID', '?')}) still runs: terminate it (drill cleanup) so it stops costing money",
        )
        for i in instances
        if i.get("isDrill")
        and str(i.get("sourceServerID")) in by_server
        and str(i.get("ec2InstanceState", "")).upper() not in ("TERMINATED", "SHUTTING-DOWN")
    ]


def overlaps(members: list[Member]) -> list[Check]:
    seen: dict[str, Member] = {}
    problems: list[Check] = []
    for m in members:
        first = seen.setdefault(m.server_id, m)
        if first.wave_number != m.wave_number:
            problems.append(
                m.check(
                    "server_in_one_group",
                    "FAIL",
                    f"{m.server_id} is in {first.where()} and in {m.where()}: keep it in one group",
                )
            )
    return problems


def snapshots(members: list[Member], found: dict[str, Snapshot | None], moment: datetime) -> list[Check]:
    return [
        m.check(
            "snapshot_available",
            "FAIL",
            f"{m.server_id} has no recovery snapshot at or before {clock(moment)}: choose a later "
            f"point in time or remove it from {m.where()}",
        )
        for m in members
        if m.server_id in found and found[m.server_id] is None
    ]


def quotas(waves: dict[int, int], jobs: list[dict[str, Any]], limits: DrsQuotas) -> list[Check]:
    """``waves``: wave number -> servers. A wave of any size runs: the engine starts it as DRS jobs
    within the quotas, the rest as capacity frees (handlers/runs/wave_launch.py). WARN when the
    largest wave takes more than one job, or when jobs already running leave it no room to start."""
    biggest = max(waves.values(), default=0)
    job_size = max(
        1, min(limits.servers_per_job.value, START_RECOVERY_LIMIT, limits.servers_in_all_jobs.value)
    )
    batches = math.ceil(biggest / job_size)
    at_once = max(1, min(limits.concurrent_jobs.value, limits.servers_in_all_jobs.value // job_size))
    problems: list[Check] = []
    if batches > 1:
        rounds = math.ceil(batches / at_once)
        problems.append(
            Check(
                check="quotas",
                status="WARN",
                waveNumber=max(waves, key=lambda n: waves[n]),
                message=f"the largest wave ({biggest} servers) starts as {batches} DRS jobs of at most "
                f"{job_size} servers, {at_once} at a time ({rounds} round{'s' if rounds > 1 else ''} of "
                f"launches): {_limits(limits)}",
            )
        )
    running = sum(len(j.get("participatingServers", [])) for j in jobs)
    if jobs and (len(jobs) >= limits.concurrent_jobs.value or running >= limits.servers_in_all_jobs.value):
        problems.append(
            Check(
                check="quotas",
                status="WARN",
                message=f"{len(jobs)} DRS jobs with {running} servers already run: a wave waits until "
                f"they leave room ({_limits(limits)})",
            )
        )
    return problems


def _limits(limits: DrsQuotas) -> str:
    return (
        f"{limits.servers_per_job.describe('servers-per-job')}, "
        f"{limits.concurrent_jobs.describe('concurrent-jobs')}, "
        f"{limits.servers_in_all_jobs.describe('servers-in-all-jobs')}"
    )


def quota_summary(waves: dict[int, int], limits: DrsQuotas) -> str:
    return (
        f"largest wave {max(waves.values(), default=0)} servers; "
        f"{limits.servers_per_job.describe('servers-per-job')}, "
        f"{limits.concurrent_jobs.describe('concurrent-jobs')}, "
        f"{limits.servers_in_all_jobs.describe('servers-in-all-jobs')}"
    )


def unique(members: Iterable[Member]) -> list[str]:
    return list(dict.fromkeys(m.server_id for m in members))
