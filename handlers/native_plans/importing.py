"""``POST /recovery-plans/import-native``: a DRS native plan as groups and a plan, in one call.

One Protection Group per server step (its OPTIONAL servers ``optionalSourceServerIds``), one plan
with a wave per server step in step order; wait steps before a server step become that wave's
``waitBeforeMinutes``. Everything is checked before anything is written (the ARN, the plan and its
steps in DRS, every server in the plan's account as for any group, the servers' claims, this
system's limits), and the answer lists every problem: 409 when a server already belongs to a group
or the plan was imported before, else 400. Writing is all-or-nothing too: the plan's id is derived
from the native plan's ARN, so its conditional insert lets one of two racing imports through; the
groups then claim their servers (handlers/plans/protection_groups.py) and a failure removes what
this import wrote."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from handlers.accounts.account_context import Caller
from handlers.aws import drs
from handlers.core import run_limits
from handlers.core.errors import ConflictError, DomainError, NotFoundError, ValidationError
from handlers.core.observability import count, logger
from handlers.core.settings import get_settings
from handlers.core.timestamps import now_iso
from handlers.models.protection_group import ProtectionGroup
from handlers.models.recovery_plan import NativeOrigin, RecoveryPlan, Wave
from handlers.native_plans import native_drs
from handlers.native_plans.errors import drs_failed
from handlers.native_plans.models import (
    MAX_WAIT_MINUTES,
    PLAN_ARN,
    NativePlan,
    NativeStep,
    server_id_of,
)
from handlers.plans import protection_groups as groups
from handlers.plans.source_servers import missing_source_servers
from handlers.repositories.protection_groups import ProtectionGroupRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository
from handlers.repositories.server_claims import ServerClaimRepository

# Plans imported from one native plan share an id: uuid5 of the account and the native plan's ARN.
IMPORT_NAMESPACE = uuid.UUID("6c1f1f0e-3f7b-4d39-9a43-5d0f7e1b2a14")
MAX_NAME = 255  # this system's names (handlers/models/fields.py Name)
MAX_LISTED = 50


@dataclass
class ImportedWave:
    step: NativeStep
    server_ids: list[str]
    optional_ids: list[str]
    wait_before: int


@dataclass
class Findings:
    conflicts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def raise_any(self, arn: str) -> None:
        listed = [*self.conflicts, *self.problems]
        if not listed:
            return
        shown = listed[:MAX_LISTED]
        more = f" (and {len(listed) - len(shown)} more)" if len(listed) > len(shown) else ""
        message = (
            f"native recovery plan {arn} was not imported; nothing was created. "
            f"{len(listed)} problem(s): " + "; ".join(shown) + more
        )
        raise ConflictError(message) if self.conflicts else ValidationError(message)


def plan_id_for(account_id: str, arn: str) -> str:
    return str(uuid.uuid5(IMPORT_NAMESPACE, f"{account_id}|{arn}"))


def check_arn(caller: Caller, arn: str) -> str:
    """The ARN's region; 400 naming what is wrong with it otherwise."""
    match = PLAN_ARN.match(arn)
    if match is None:
        raise ValidationError(
            f"recoveryPlanArn {arn[:200]!r} is not a DRS native recovery plan ARN "
            "(arn:aws:drs:<region>:<account>:recovery-plan/<id>)"
        )
    region, account = match.group(1), match.group(2)
    if account != caller.account_id:
        raise ValidationError(
            f"recoveryPlanArn is a native plan of account {account}, not of account {caller.account_id} "
            "you act in: import it from that account"
        )
    here = get_settings().aws_region
    if region != here:
        raise ValidationError(
            f"recoveryPlanArn is a native plan of region {region}; this system imports from {here}"
        )
    return region


def import_native_recovery_plan(caller: Caller, arn: str) -> dict[str, Any]:
    region = check_arn(caller, arn)
    before = _imported_before(caller, arn)
    if before is not None:
        raise ConflictError(
            f"native recovery plan {arn} was imported before as recovery plan "
            f"{before.planName} ({before.planId})"
        )
    native, steps = _read_native(caller, arn, region)
    findings = Findings()
    waves = _waves(steps, caller.account_id, findings)
    _check_servers(caller, region, waves, findings)
    findings.raise_any(arn)
    plan, new_groups = _build(caller, native, region, waves)
    _write(plan, new_groups)
    logger.info(
        "native recovery plan imported",
        extra={"planId": plan.planId, "accountId": caller.account_id, "waves": len(plan.waves)},
    )
    return {
        "recoveryPlan": plan.model_dump(mode="json"),
        "protectionGroups": [g.model_dump(mode="json") for g in new_groups],
        "notImported": findings.notes,
    }


def _imported_before(caller: Caller, arn: str) -> RecoveryPlan | None:
    stored = RecoveryPlanRepository().get(plan_id_for(caller.account_id, arn))
    if stored is not None and stored.accountId == caller.account_id:
        return stored
    for plan in RecoveryPlanRepository().all_in_account(caller.account_id):
        if plan.importedFrom and plan.importedFrom.arn == arn:
            return plan
    return None


def _read_native(caller: Caller, arn: str, region: str) -> tuple[NativePlan, list[NativeStep]]:
    where = f"account {caller.account_id} ({region})"
    try:
        client = native_drs.client(caller.account_id, region, "import-native-plan")
        native = native_drs.get_plan(client, arn)
        steps = native_drs.list_steps(client, arn)
    except drs.DrsCallError as exc:
        if native_drs.not_found(exc):
            raise NotFoundError(f"native recovery plan {arn} not found in {where}") from exc
        raise drs_failed(exc, f"native recovery plan {arn}") from exc
    return native, steps


def _waves(steps: list[NativeStep], account_id: str, findings: Findings) -> list[ImportedWave]:
    waves: list[ImportedWave] = []
    waiting: list[NativeStep] = []
    seen: dict[str, str] = {}  # server id -> the step it is in
    for step in steps:
        if step.wait_minutes is not None:
            waiting.append(step)
            continue
        wait = sum(s.wait_minutes or 0 for s in waiting)
        if wait > MAX_WAIT_MINUTES:
            names = ", ".join(s.stepName for s in waiting)
            findings.problems.append(
                f"step {step.stepName}: the wait steps before it ({names}) last {wait} minutes; a wave "
                f"waits at most {MAX_WAIT_MINUTES} (waitBeforeMinutes)"
            )
        ids, optional = [], []
        for server in step.servers:
            parsed = server_id_of(server.serverArn)
            if parsed is None or parsed[1] != account_id:
                findings.problems.append(
                    f"step {step.stepName}: {server.serverArn[:200]} is not a source server "
                    f"of account {account_id}"
                )
                continue
            server_id = parsed[2]
            if server_id in seen:
                findings.problems.append(
                    f"source server {server_id} is in steps {seen[server_id]} and {step.stepName}; "
                    "a server belongs to one protection group"
                )
                continue
            seen[server_id] = step.stepName
            ids.append(server_id)
            if server.impactLevel == "OPTIONAL":
                optional.append(server_id)
        waves.append(ImportedWave(step, ids, optional, min(wait, MAX_WAIT_MINUTES)))
        waiting = []
    if waiting:
        findings.notes.append(
            "wait steps after the last server step "
            f"({', '.join(s.stepName for s in waiting)}): nothing follows them"
        )
    if not waves:
        findings.problems.append(
            "the native plan has no server step: a recovery plan needs at least one wave"
        )
    if len(waves) > run_limits.MAX_WAVES:
        findings.problems.append(
            f"the native plan has {len(waves)} server steps; "
            f"a plan holds at most {run_limits.MAX_WAVES} waves"
        )
    return waves


def _check_servers(caller: Caller, region: str, waves: list[ImportedWave], findings: Findings) -> None:
    server_ids = [s for w in waves for s in w.server_ids]
    if not server_ids:
        return
    target = drs.target(caller.account_id, region)
    findings.problems += missing_source_servers(target, server_ids, "import-native-plan")
    owners = ServerClaimRepository().owners(caller.account_id, server_ids)
    for server_id, owner in owners.items():
        group = ProtectionGroupRepository().get(owner)
        name = f"{group.groupName} ({owner})" if group else owner
        findings.conflicts.append(f"source server {server_id} already belongs to protection group {name}")


def _name(text: str) -> str:
    return " ".join(text.split())[:MAX_NAME].strip() or "imported"


def _build(
    caller: Caller, native: NativePlan, region: str, waves: list[ImportedWave]
) -> tuple[RecoveryPlan, list[ProtectionGroup]]:
    now = now_iso()
    new_groups = [
        ProtectionGroup(
            groupId=str(uuid.uuid4()),
            groupName=_name(f"{native.name} / {w.step.stepName}"),
            description=f"Imported from step {w.step.stepOrder} of DRS native recovery plan {native.name}"[
                :1000
            ],
            accountId=caller.account_id,
            region=region,
            sourceServerIds=w.server_ids,
            optionalSourceServerIds=w.optional_ids,
            createdAt=now,
            updatedAt=now,
            createdBy=caller.principal,
        )
        for w in waves
    ]
    plan = RecoveryPlan(
        planId=plan_id_for(caller.account_id, native.recoveryPlanArn),
        planName=_name(native.name),
        description=(native.description or f"Imported from DRS native recovery plan {native.name}")[:1000],
        accountId=caller.account_id,
        waves=[
            Wave(
                waveNumber=n,
                protectionGroupId=g.groupId,
                protectionGroupName=g.groupName,
                waitBeforeMinutes=w.wait_before,
            )
            for n, (w, g) in enumerate(zip(waves, new_groups, strict=True), 1)
        ],
        importedFrom=NativeOrigin(arn=native.recoveryPlanArn, importedAt=now),
        createdAt=now,
        updatedAt=now,
        createdBy=caller.principal,
    )
    return plan, new_groups


def _write(plan: RecoveryPlan, new_groups: list[ProtectionGroup]) -> None:
    """The plan first (its id is the import's: a second import of the native plan stops here), then
    each group with its claims; any failure removes what was written."""
    try:
        RecoveryPlanRepository().insert(plan)
    except ConflictError as exc:
        raise ConflictError(
            f"native recovery plan {plan.importedFrom.arn if plan.importedFrom else ''} was imported "
            f"before as recovery plan {plan.planName} ({plan.planId})"
        ) from exc
    written: list[ProtectionGroup] = []
    try:
        for group in new_groups:
            groups.insert_group(group)
            written.append(group)
    except DomainError as exc:
        _undo(plan, written)
        raise type(exc)(f"the native plan was not imported; nothing was created: {exc.message}") from exc
    except Exception:
        _undo(plan, written)
        raise
    count("RecoveryPlanCreationCount")


def _undo(plan: RecoveryPlan, written: list[ProtectionGroup]) -> None:
    claims = ServerClaimRepository()
    for group in written:
        ProtectionGroupRepository().delete(group.groupId, expected_version=group.version)
        for server_id in group.sourceServerIds:
            claims.release(group.accountId, server_id, group.groupId)
    RecoveryPlanRepository().delete(plan.planId, expected_version=plan.version)
