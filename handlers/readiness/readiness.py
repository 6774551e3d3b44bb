"""Readiness of a Recovery Plan: may it run now? (GET /recovery-plans/{planId}/readiness,
``check_readiness``, ``/dr check``, and the gate before every start.)

All DRS calls are reads in the plan's account, with the credentials :func:`handlers.aws.drs.target_for`
chooses and a session limited to reads (``READINESS_SESSION_POLICY``): ``DescribeSourceServers``
(200 ids a call), ``DescribeJobs``, ``DescribeRecoveryInstances``, ``ListServiceQuotas`` and, with a
point in time, ``DescribeRecoverySnapshots`` per server. The checks themselves are pure
(:mod:`handlers.readiness.readiness_checks`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.accounts.account_context import Caller
from handlers.aws import drs, quotas
from handlers.aws.snapshots import Snapshot, latest_snapshot, parse_point_in_time
from handlers.core.timestamps import format_iso, now
from handlers.models.protection_group import ProtectionGroup
from handlers.models.readiness import Check, Readiness
from handlers.models.recovery_plan import RecoveryPlan
from handlers.plans.group_servers import group_server_ids, selects_nothing
from handlers.plans.recovery_plans import get_recovery_plan
from handlers.readiness import hooks_resolvable, native_copy, readiness_permissions
from handlers.readiness import readiness_checks as checks
from handlers.readiness.readiness_checks import Member
from handlers.repositories.protection_groups import ProtectionGroupRepository

ORDER = {"FAIL": 0, "WARN": 1, "PASS": 2}
PASSED = {  # the one PASS line of a check with no problem, in the order the checks are listed
    "server_exists": "every server of the plan is a DRS source server in account {account}",
    "replication_healthy": "every server replicates, lag within {lag} min",
    "no_active_job": "no server of the plan is in a running DRS job",
    "leftover_drill_instances": "no drill recovery instance of the plan's servers still runs",
    "server_in_one_group": "every server is in one group of the plan",
    "quotas": "",
    "permissions": "",  # these two always answer (handlers/readiness/readiness_permissions.py)
    "drs_initialized": "",
    "snapshot_available": "every server has a recovery snapshot at or before {moment}",
    "native_copy": "",  # handlers/readiness/native_copy.py answers for itself
    "hooks_resolvable": "",  # handlers/readiness/hooks_resolvable.py answers for itself
}
RANK = {name: n for n, name in enumerate(PASSED)}


@dataclass
class Assessment:
    """A readiness answer and, with a point in time, the snapshot chosen for each server."""

    readiness: Readiness
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    servers: dict[int, list[str]] = field(default_factory=dict)  # wave number -> its servers


def check_readiness(caller: Caller, plan_id: str, point_in_time: str | None = None) -> Readiness:
    """Another account's plan is a 404, exactly like a plan that does not exist."""
    plan = get_recovery_plan(caller, plan_id)
    moment = parse_point_in_time(point_in_time, now()) if point_in_time else None
    return assess(plan, moment).readiness


def assess(plan: RecoveryPlan, moment: datetime | None = None) -> Assessment:
    checked: list[Check] = []
    chosen: dict[str, Snapshot] = {}
    by_target, missing = _members(plan)
    checked += missing
    resolved: list[Member] = []
    for target, waves in by_target.items():
        found, members, problems = _assess_target(plan, target, waves, moment)
        checked += problems
        chosen.update(found)
        resolved += members
    checked += native_copy.checks(plan)
    checked += hooks_resolvable.checks(plan)
    names = {c.check for c in checked}
    for name, text in PASSED.items():
        if name not in names and text and (moment is not None or name != "snapshot_available"):
            words = {"account": plan.accountId, "lag": plan.maxReplicationLagMinutes}
            words["moment"] = checks.clock(moment) if moment else ""
            checked.append(
                Check.model_validate({"check": name, "status": "PASS", "message": text.format(**words)})
            )
    checked.sort(key=lambda c: (ORDER[c.status], RANK[c.check]))
    readiness = Readiness(
        planId=plan.planId,
        accountId=plan.accountId,
        ready=not any(c.status == "FAIL" for c in checked),
        checkedAt=format_iso(now()),
        checks=checked,
    )
    servers: dict[int, list[str]] = defaultdict(list)
    for m in resolved:
        servers[m.wave_number].append(m.server_id)
    return Assessment(readiness, chosen, dict(servers))


@dataclass(frozen=True)
class _Wave:
    """A wave of the plan and its stored group (resolved to servers in :func:`_resolve`)."""

    number: int
    group: ProtectionGroup


def _members(plan: RecoveryPlan) -> tuple[dict[drs.DrsTarget, list[_Wave]], list[Check]]:
    by_target: dict[drs.DrsTarget, list[_Wave]] = defaultdict(list)
    missing: list[Check] = []
    groups = ProtectionGroupRepository().get_many([w.protectionGroupId for w in plan.waves])
    for wave in plan.waves:
        group = groups.get(wave.protectionGroupId)
        if group is None or group.accountId != plan.accountId:
            missing.append(
                Check(
                    check="server_exists",
                    status="FAIL",
                    waveNumber=wave.waveNumber,
                    message=f"wave {wave.waveNumber}: protection group {wave.protectionGroupName} no "
                    "longer exists: edit the plan's waves",
                )
            )
            continue
        by_target[drs.target_for(group, plan)].append(_Wave(wave.waveNumber, group))
    return by_target, missing


def _resolve(client: Any, target: drs.DrsTarget, waves: list[_Wave]) -> tuple[list[Member], list[Check]]:
    """Each wave's servers, as its run would launch them (:func:`group_server_ids`: a tag group's
    tags resolved in DRS now); a group that selects none is a FAIL naming it and its tags. Raises
    :class:`handlers.aws.drs.DrsCallError` when DRS cannot be asked."""
    members: list[Member] = []
    empty: list[Check] = []
    for wave in waves:
        ids = group_server_ids(wave.group, target, client=client)
        if not ids:
            message = selects_nothing(wave.group, target, wave.number, "now")
            fix = "tag the servers it should recover, or change its tags"
            empty.append(
                Check(
                    check="server_exists", status="FAIL", waveNumber=wave.number, message=f"{message}: {fix}"
                )
            )
        members += [Member(s, wave.number, wave.group.groupName) for s in ids]
    return members, empty


def _assess_target(
    plan: RecoveryPlan, target: drs.DrsTarget, plan_waves: list[_Wave], moment: datetime | None
) -> tuple[dict[str, Snapshot], list[Member], list[Check]]:
    """The checks of the plan's waves whose groups are in ``target``, on their servers as resolved
    now; returns the snapshots chosen, those servers, and the problems."""
    session = f"readiness-{plan.planId}"
    where = f"in account {target.account_id} ({target.region})"
    try:
        # 3 attempts, not 8: a check answers within API Gateway's 29 s even while DRS throttles
        client = drs.service_client("drs", target, session, drs.READINESS_SESSION_POLICY, attempts=3)
        members, problems = _resolve(client, target, plan_waves)
        described = drs.describe_source_servers(client, checks.unique(members))
    except (ClientError, BotoCoreError, drs.DrsCallError) as exc:
        unreadable = _unreadable("server_exists", "FAIL", "DescribeSourceServers", exc, where)
        hooks = hooks_resolvable.needs(plan, target)
        return {}, [], [unreadable, *readiness_permissions.target_checks(target, session, hooks)]
    problems += checks.overlaps(members)
    waves: dict[int, int] = defaultdict(int)
    for m in members:
        waves[m.wave_number] += 1
    problems += checks.server_exists(members, described, where)
    problems += checks.replication(members, described, plan.maxReplicationLagMinutes, now())
    jobs = _read(client, drs.active_jobs, ("no_active_job", "FAIL", "DescribeJobs", where), problems)
    if jobs is not None:
        problems += checks.active_jobs(members, jobs)
    leftovers = ("leftover_drill_instances", "WARN", "DescribeRecoveryInstances", where)
    instances = _read(client, drs.recovery_instances, leftovers, problems)
    problems += checks.leftover_instances(members, instances or [])
    limits = quotas.read_quotas(target, session)
    quota_problems = checks.quotas(dict(waves), jobs or [], limits)
    summary = checks.quota_summary(dict(waves), limits)
    problems += quota_problems or [Check(check="quotas", status="PASS", message=summary)]
    problems += readiness_permissions.target_checks(target, session, hooks_resolvable.needs(plan, target))
    if moment is None:
        return {}, members, problems
    found = _snapshots(client, [m for m in members if m.server_id in described], moment, where, problems)
    problems += checks.snapshots(members, found, moment)
    return {k: v for k, v in found.items() if v is not None}, members, problems


def _read(client: Any, call: Any, how: tuple[str, str, str, str], problems: list[Check]) -> Any:
    try:
        return call(client)
    except (ClientError, BotoCoreError) as exc:
        problems.append(_unreadable(*how[:3], exc, how[3]))
        return None


def _snapshots(
    client: Any, members: list[Member], moment: datetime, where: str, problems: list[Check]
) -> dict[str, Snapshot | None]:
    found: dict[str, Snapshot | None] = {}
    for server_id in checks.unique(members):
        try:
            found[server_id] = latest_snapshot(client, server_id, moment)
        except (ClientError, BotoCoreError) as exc:
            check = _unreadable("snapshot_available", "FAIL", "DescribeRecoverySnapshots", exc, where)
            problems.append(check.model_copy(update={"sourceServerId": server_id}))
    return found


def _unreadable(
    check: str, status: str, operation: str, exc: ClientError | BotoCoreError | drs.DrsCallError, where: str
) -> Check:
    """A check that could not be made is not passed (a FAIL for what a start depends on)."""
    cause = exc if isinstance(exc, drs.DrsCallError) else drs.DrsCallError(operation, exc)
    message = f"could not be checked {where}: {cause}; check the role drs-chatops uses there"
    return Check.model_validate({"check": check, "status": status, "message": message})
