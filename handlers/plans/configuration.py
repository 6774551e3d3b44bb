"""Export and import an account's configuration (Protection Groups and Recovery Plans).

An import checks the whole document first (``configuration_checks``) and writes nothing if anything
is wrong. Then, keeping every id and ``accountId``: an absent item is created, an identical one
skipped, a different one updated as its next version with a conditional write. Groups are written
before plans, so plans can name groups the same document brings. Writes go through the same
service functions as the API's (server claims, subscriptions), so an import obeys the same rules.

A plan's waves carry their waits and hooks, and its ``exportNative``; where it was imported from
(``importedFrom``) is kept when it is created, like its history. Its DRS native copy is not imported:
the result's ``nativeExportsDue`` names each written plan with ``exportNative``, to be exported again
(``POST /recovery-plans/{id}/export-native``); until then readiness WARNs that its copy is stale.

A document that moves a source server from one group to another is refused (the server is still
claimed by its old group); import it in two steps: first without the server, then with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.accounts.account_context import Caller
from handlers.core.observability import logger
from handlers.core.timestamps import now_iso
from handlers.models.configuration import (
    FORMAT_VERSION,
    ConfigurationDocument,
    ImportedProtectionGroup,
    ImportedRecoveryPlan,
    ImportResult,
)
from handlers.models.protection_group import ProtectionGroup
from handlers.models.recovery_plan import RecoveryPlan, Wave, WaveInput
from handlers.plans import policy_guard
from handlers.plans import protection_groups as groups
from handlers.plans import recovery_plans as plans
from handlers.plans.configuration_checks import StoredItems, find_problems, invalid, load_document
from handlers.repositories.protection_groups import ProtectionGroupRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository

GROUP_CONTENT = {
    "groupName",
    "description",
    "region",
    "assumeRoleName",
    "externalId",
    "sourceServerIds",
    "serverSelectionTags",
    "optionalSourceServerIds",
}
PLAN_CONTENT = {
    "planName",
    "description",
    "assumeRoleName",
    "externalId",
    "notificationEmail",
    "slackChannelId",
    "approvers",
    "drillCleanupAfterMinutes",
    "targetRtoMinutes",
    "maxReplicationLagMinutes",
    "onWaveFailure",
    "approverPrincipals",
    "approvalQuorum",
    "requireReason",
    "approveRecoveryStart",
    "exportNative",
}


def export_configuration(caller: Caller) -> dict[str, Any]:
    """Every group and plan of the caller's account (all pages), as a versioned document."""
    stored_groups = ProtectionGroupRepository().all_in_account(caller.account_id)
    stored_plans = RecoveryPlanRepository().all_in_account(caller.account_id)
    return {
        "formatVersion": FORMAT_VERSION,
        "exportedAt": now_iso(),
        "accountId": caller.account_id,
        "protectionGroups": [g.model_dump(mode="json") for g in sorted(stored_groups, key=_group_key)],
        "recoveryPlans": [p.model_dump(mode="json") for p in sorted(stored_plans, key=_plan_key)],
    }


def import_configuration(caller: Caller, document: Any, dry_run: bool) -> dict[str, Any]:
    parsed = load_document(document)
    stored = StoredItems.load(parsed)
    problems = find_problems(caller, parsed, stored)
    if problems:
        raise invalid(problems)
    result = ImportResult(dryRun=dry_run)
    _import_groups(caller, parsed, stored, result)
    written = _import_plans(caller, parsed, stored, result)
    _exports_due(written, result)
    logger.info(
        "configuration imported",
        extra={"accountId": caller.account_id, "dryRun": dry_run, "result": result.model_dump()},
    )
    return result.model_dump(mode="json")


def _import_groups(
    caller: Caller, document: ConfigurationDocument, stored: StoredItems, result: ImportResult
) -> None:
    for imported in document.protectionGroups:
        current = stored.groups[imported.groupId]
        content = _group_content(imported)
        if current is None:
            result.created.protectionGroups.append(imported.groupId)
            if not result.dryRun:
                groups.insert_group(_new_group(caller, imported))
        elif _group_content(current) == content:
            result.skipped.protectionGroups.append(imported.groupId)
        else:
            result.updated.protectionGroups.append(imported.groupId)
            if not result.dryRun:
                groups.replace_group(current, current.model_copy(update=content))


def _import_plans(
    caller: Caller, document: ConfigurationDocument, stored: StoredItems, result: ImportResult
) -> list[RecoveryPlan]:
    """Create, skip or update each plan; the plans written (none in a dry run)."""
    written: list[RecoveryPlan] = []
    for imported in document.recoveryPlans:
        current = stored.plans[imported.planId]
        if current is None:
            result.created.recoveryPlans.append(imported.planId)
            if not result.dryRun:
                written.append(plans.insert_plan(_new_plan(caller, imported)))
        elif _plan_content(current) == _plan_content(imported):
            result.skipped.recoveryPlans.append(imported.planId)
        else:
            result.updated.recoveryPlans.append(imported.planId)
            waves = plans.resolve_waves(caller.account_id, imported.waves)
            changes = {**imported.model_dump(include=PLAN_CONTENT), "waves": waves}
            changed = RecoveryPlan.model_validate({**current.model_dump(), **changes})
            policy_guard.check_change(caller, current, changed)  # a dry run says so too
            if not result.dryRun:
                written.append(plans.replace_plan(caller, current, changed))
    return written


def _exports_due(written: list[RecoveryPlan], result: ImportResult) -> None:
    """The written plans with ``exportNative``: their DRS copy no longer holds them (plans/ may not
    call native_plans/, which builds on it: tests/unit/test_rooms.py)."""
    result.nativeExportsDue = [plan.planId for plan in written if plan.exportNative]


def _group_content(group: ProtectionGroup | ImportedProtectionGroup) -> dict[str, Any]:
    """What a caller decides about a group, the unused way of selecting servers made empty."""
    content = group.model_dump(include=GROUP_CONTENT)
    content["sourceServerIds"] = content["sourceServerIds"] or []
    content["serverSelectionTags"] = content["serverSelectionTags"] or None
    return content


def _plan_content(plan: RecoveryPlan | ImportedRecoveryPlan) -> dict[str, Any]:
    """What a caller decides about a plan; derived fields (group names, subscription) left out."""
    content = plan.model_dump(include=PLAN_CONTENT)
    waves: Sequence[Wave | WaveInput] = plan.waves
    content["waves"] = [_wave_content(w) for w in sorted(waves, key=lambda w: w.waveNumber)]
    return content


def _wave_content(wave: Wave | WaveInput) -> tuple[Any, ...]:
    """A wave's group, pause, wait and hooks (no hooks and empty hooks alike)."""
    hooks = wave.hooks.model_dump(mode="json") if wave.hooks and wave.hooks.count() else None
    return wave.waveNumber, wave.protectionGroupId, wave.pauseBeforeExecution, wave.waitBeforeMinutes, hooks


def _new_group(caller: Caller, imported: ImportedProtectionGroup) -> ProtectionGroup:
    now = now_iso()
    return ProtectionGroup.model_validate(
        {
            **imported.model_dump(),
            **_group_content(imported),
            "accountId": caller.account_id,
            "createdAt": imported.createdAt or now,
            "updatedAt": imported.updatedAt or now,
            "createdBy": imported.createdBy or caller.principal,
        }
    )


def _new_plan(caller: Caller, imported: ImportedRecoveryPlan) -> RecoveryPlan:
    now = now_iso()
    return RecoveryPlan(
        **imported.model_dump(include=PLAN_CONTENT),
        planId=imported.planId,
        accountId=caller.account_id,
        waves=plans.resolve_waves(caller.account_id, imported.waves),
        createdAt=imported.createdAt or now,
        updatedAt=imported.updatedAt or now,
        createdBy=imported.createdBy or caller.principal,
        version=imported.version,
        importedFrom=imported.importedFrom,
    )


def _group_key(group: ProtectionGroup) -> tuple[str, str]:
    return group.groupName, group.groupId


def _plan_key(plan: RecoveryPlan) -> tuple[str, str]:
    return plan.planName, plan.planId
