"""``POST /recovery-plans/{id}/export-native``: a plan as a DRS native recovery plan, the break-glass
copy that runs from the DRS console when this system is down (docs/native-plans.md).

One server step per wave (optional servers ``OPTIONAL``), a wave's ``waitBeforeMinutes`` a wait step
before it; a tag group exports the servers its tags select now. What a native plan cannot express is
listed in ``notExported``. The copy is tagged ``drs-chatops:planId``; exporting again replaces it:
the steps are written to a new native plan, and only when every step is written is the old copy
deleted and the new one given its name. A failure before that deletes the new plan and leaves the
old copy as it was; a failure after it says exactly what is left to do."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from handlers import aws
from handlers.accounts.account_context import Caller
from handlers.aws import drs
from handlers.core.errors import ConflictError, ValidationError
from handlers.core.observability import logger
from handlers.core.timestamps import now_iso
from handlers.models.protection_group import ProtectionGroup
from handlers.models.recovery_plan import NativeCopy, RecoveryPlan
from handlers.native_plans import native_drs
from handlers.native_plans.errors import DrsUnavailableError
from handlers.native_plans.models import MAX_SERVERS_PER_STEP, MAX_STEPS, NativePlan, server_arn
from handlers.plans.recovery_plans import get_recovery_plan
from handlers.repositories.protection_groups import ProtectionGroupRepository

NAME_PREFIX = "drs-chatops "
MAX_NATIVE_NAME = 256
_NOT_NAME = re.compile(r"[^a-zA-Z0-9 _-]+")


@dataclass
class Steps:
    """A plan's native steps, what they leave out, and why they cannot be written at all."""

    steps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (name, configuration)
    not_exported: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def native_name(text: str, suffix: str = "") -> str:
    """A native plan or step name (``[a-zA-Z0-9][a-zA-Z0-9 _-]*``, at most 256) for ``text``."""
    cleaned = " ".join(_NOT_NAME.sub("-", text).split()).strip(" _-") or "plan"
    return (cleaned[: MAX_NATIVE_NAME - len(suffix)] + suffix).strip()


def copy_name(plan: RecoveryPlan) -> str:
    return native_name(NAME_PREFIX + plan.planName)


def native_steps(plan: RecoveryPlan, groups: dict[int, ProtectionGroup], resolve_tags: Any) -> Steps:
    """The plan's waves as native steps. ``resolve_tags(group)`` -> the server ids a tag group selects now."""
    out = Steps()
    if plan.needs_start_approval(is_drill=False):
        out.not_exported.append(
            "start: a recovery waits for its approvers (native plans have no approval step)"
        )
    for wave in plan.waves:
        group = groups[wave.waveNumber]
        label = f"wave {wave.waveNumber}"
        if wave.waitBeforeMinutes:
            out.steps.append(
                (
                    native_name(f"wait before wave {wave.waveNumber}"),
                    {"waitStepConfiguration": {"waitDurationMinutes": wave.waitBeforeMinutes}},
                )
            )
        if wave.pauseBeforeExecution:
            out.not_exported.append(f"{label}: pause before (native plans have no approval step)")
        if getattr(wave, "hooks", None):
            out.not_exported.append(f"{label}: hooks (a native plan runs no hooks or health gates)")
        server_ids = list(group.sourceServerIds)
        if group.serverSelectionTags:
            server_ids = list(resolve_tags(group))
            tags = ", ".join(f"{k}={v}" for k, v in group.serverSelectionTags.items())
            out.not_exported.append(
                f"{label}: tag selection ({tags}) exported as the {len(server_ids)} servers it selects now; "
                "export again when servers are retagged"
            )
        optional = set(group.optionalSourceServerIds)
        if not server_ids:
            out.problems.append(f"{label}: protection group {group.groupName} has no servers to export")
            continue
        if len(server_ids) > MAX_SERVERS_PER_STEP:
            out.problems.append(
                f"{label}: {len(server_ids)} servers; a native plan step holds at most {MAX_SERVERS_PER_STEP}"
            )
            continue
        servers = [
            {
                "serverArn": server_arn(group.region, group.accountId, s),
                "impactLevel": "OPTIONAL" if s in optional else "CRITICAL",
            }
            for s in server_ids
        ]
        out.steps.append(
            (
                native_name(f"wave {wave.waveNumber} {group.groupName}"),
                {"serverStepConfiguration": {"servers": servers}},
            )
        )
    if plan.onWaveFailure == "pause":
        out.not_exported.append(
            "a failed wave pauses for Retry / Skip / Cancel "
            "(a native execution fails: retry or skip the step in the console)"
        )
    if plan.drillCleanupAfterMinutes:
        out.not_exported.append(
            f"drill cleanup after {plan.drillCleanupAfterMinutes} minutes "
            "(DRS does not terminate what a native plan launches)"
        )
    if len(out.steps) > MAX_STEPS:
        out.problems.append(
            f"the plan needs {len(out.steps)} native steps (waves and wait steps); "
            f"a native plan holds at most {MAX_STEPS}"
        )
    return out


def export_native_recovery_plan(caller: Caller, plan_id: str) -> dict[str, Any]:
    return export_plan(get_recovery_plan(caller, plan_id))


def export_plan(plan: RecoveryPlan) -> dict[str, Any]:
    groups = _groups(plan)
    first = groups[plan.waves[0].waveNumber]
    regions = sorted({g.region for g in groups.values()})
    if len(regions) > 1:
        raise ValidationError(
            f"a native recovery plan lives in one region; the plan's waves are in {', '.join(regions)}"
        )
    region = first.region
    target = drs.target_for(first, plan)
    try:
        client = native_drs.client(plan.accountId, region, f"export-{plan.planId}", write=True, target=target)
        steps = native_steps(plan, groups, lambda g: drs.resolve_tags(client, g.serverSelectionTags or {}))
    except drs.DrsCallError as exc:
        raise DrsUnavailableError(f"recovery plan {plan.planName} was not exported: {exc}") from exc
    if steps.problems:
        raise ValidationError(
            f"recovery plan {plan.planName} cannot be a native plan; nothing was exported: "
            + "; ".join(steps.problems)
        )
    arn = _write(client, plan, steps)
    copy = NativeCopy(arn=arn, exportedAt=now_iso(), planVersion=plan.version, notExported=steps.not_exported)
    record_copy(plan.planId, copy)
    logger.info("recovery plan exported to DRS", extra={"planId": plan.planId, "steps": len(steps.steps)})
    return {
        "planId": plan.planId,
        "recoveryPlanArn": arn,
        "name": copy_name(plan),
        "steps": len(steps.steps),
        "planVersion": plan.version,
        "notExported": steps.not_exported,
    }


def _groups(plan: RecoveryPlan) -> dict[int, ProtectionGroup]:
    repository = ProtectionGroupRepository()
    found: dict[int, ProtectionGroup] = {}
    for wave in plan.waves:
        group = repository.get(wave.protectionGroupId)
        if group is None or group.accountId != plan.accountId:
            raise ValidationError(
                f"wave {wave.waveNumber}: protection group {wave.protectionGroupId} no longer exists"
            )
        found[wave.waveNumber] = group
    return found


def existing_copy(client: Any, plan: RecoveryPlan) -> NativePlan | None:
    """The native plan tagged with the plan's id: the one last exported, else any found by its tag."""
    if plan.nativeCopy:
        try:
            found = native_drs.get_plan(client, plan.nativeCopy.arn)
            if found.tags.get(native_drs.PLAN_TAG) == plan.planId:
                return found
        except drs.DrsCallError as exc:
            if not native_drs.not_found(exc):
                raise
    for summary in native_drs.list_plans(client):
        if not summary.name.startswith(NAME_PREFIX.strip()):
            continue
        found = native_drs.get_plan(client, summary.recoveryPlanArn)
        if found.tags.get(native_drs.PLAN_TAG) == plan.planId:
            return found
    return None


def _write(client: Any, plan: RecoveryPlan, steps: Steps) -> str:
    name = copy_name(plan)
    attempt = uuid.uuid4().hex[:8]
    try:
        old = existing_copy(client, plan)
    except drs.DrsCallError as exc:
        raise DrsUnavailableError(f"recovery plan {plan.planName} was not exported: {exc}") from exc
    new_name = name if old is None else native_name(NAME_PREFIX + plan.planName, f" next {attempt}")
    description = (
        f"Break-glass copy of drs-chatops recovery plan {plan.planName} ({plan.planId}), "
        f"version {plan.version}"
    )
    try:
        new = native_drs.create_plan(client, new_name, description[:1024], plan.planId)
    except drs.DrsCallError as exc:
        if exc.code == "ConflictException":
            raise ConflictError(
                f"a native recovery plan named {new_name!r} already exists and is not this plan's copy "
                f"(it has no {native_drs.PLAN_TAG} tag of {plan.planId}): rename it, then export again"
            ) from exc
        raise DrsUnavailableError(f"recovery plan {plan.planName} was not exported: {exc}") from exc
    kept = f"the native plan {old.recoveryPlanArn} is as it was" if old else "no native copy exists"
    for order, (step_name, configuration) in enumerate(steps.steps, 1):
        try:
            native_drs.create_step(
                client, new.recoveryPlanArn, step_name, order, configuration, f"{attempt}-{order}"
            )
        except drs.DrsCallError as exc:
            left = _discard(client, new.recoveryPlanArn)
            raise DrsUnavailableError(
                f"recovery plan {plan.planName} was not exported: "
                f"step {order} of {len(steps.steps)} failed ({exc}); "
                f"{kept}{left}"
            ) from exc
    if old is None:
        return new.recoveryPlanArn
    return _swap(client, plan, old, new, name)


def _discard(client: Any, arn: str) -> str:
    try:
        native_drs.delete_plan(client, arn)
    except drs.DrsCallError as exc:
        return f"; the partial copy {arn} could not be deleted ({exc.code}): delete it"
    return ""


def _swap(client: Any, plan: RecoveryPlan, old: NativePlan, new: NativePlan, name: str) -> str:
    """Every step is written: the old copy goes, the new one takes its name."""
    try:
        native_drs.delete_plan(client, old.recoveryPlanArn)
    except drs.DrsCallError as exc:
        left = _discard(client, new.recoveryPlanArn)
        raise DrsUnavailableError(
            f"recovery plan {plan.planName} was not exported: "
            f"the old native copy {old.recoveryPlanArn} could not be "
            f"replaced ({exc}); it is as it was{left}"
        ) from exc
    try:
        native_drs.rename_plan(client, new.recoveryPlanArn, name)
    except drs.DrsCallError as exc:
        record_copy(
            plan.planId, NativeCopy(arn=new.recoveryPlanArn, exportedAt=now_iso(), planVersion=plan.version)
        )
        raise DrsUnavailableError(
            f"recovery plan {plan.planName} was exported to {new.recoveryPlanArn} as {new.name!r}, "
            "but renaming it "
            f"to {name!r} failed ({exc}): rename it in the DRS console, or export again"
        ) from exc
    return new.recoveryPlanArn


def record_copy(plan_id: str, copy: NativeCopy) -> None:
    """The plan's ``nativeCopy`` (not a change of the plan: its version stays)."""
    aws.table("recovery_plans_table").update_item(
        Key={"planId": plan_id},
        UpdateExpression="SET nativeCopy = :copy",
        ConditionExpression="attribute_exists(planId)",
        ExpressionAttributeValues={":copy": copy.model_dump(mode="json")},
    )


def export_after_save(plan: RecoveryPlan) -> dict[str, Any] | None:
    """For a plan with ``exportNative``: export it now; a failure is logged and left for readiness to
    WARN about (the save itself stands)."""
    if not plan.exportNative:
        return None
    try:
        return export_plan(plan)
    except Exception as exc:  # the save stands; the stale copy is readiness's WARN
        logger.warning(
            "native export after save failed", extra={"planId": plan.planId, "error": str(exc)[:500]}
        )
        return {"error": str(exc)[:500]}


def export_if_stale(caller: Caller, plan_id: str) -> dict[str, Any] | None:
    """After a save whose channel answered before exporting (a Slack form acks within 3 s): export
    the caller's plan when it has ``exportNative`` and its copy holds an older version of it, as
    :func:`export_after_save` does; None when there is nothing to export."""
    plan = get_recovery_plan(caller, plan_id)  # another account's: not found
    if not plan.exportNative or (plan.nativeCopy is not None and plan.nativeCopy.planVersion >= plan.version):
        return None
    return export_after_save(plan)
