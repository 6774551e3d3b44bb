"""Readiness's ``native_copy``: a plan with ``exportNative`` keeps a DRS native copy, the break-glass
path (handlers/native_plans/exporting.py). WARN when there is none or it holds an older version of the
plan (an export after a save failed); never FAIL: the copy is for when this system is down, a run of
this system does not need it. Reads nothing: the plan records its copy (``nativeCopy``)."""

from __future__ import annotations

from handlers.models.readiness import Check
from handlers.models.recovery_plan import RecoveryPlan


def checks(plan: RecoveryPlan) -> list[Check]:
    if not plan.exportNative:
        return []
    copy = plan.nativeCopy
    if copy is None:
        message = "the plan has exportNative but no DRS native copy yet: export it (POST .../export-native)"
        return [Check(check="native_copy", status="WARN", message=message)]
    if copy.planVersion < plan.version:
        message = (
            f"the DRS native copy {copy.arn} holds version {copy.planVersion} of the plan, "
            f"not {plan.version} (exported {copy.exportedAt}): the break-glass copy is stale; export it again"
        )
        return [Check(check="native_copy", status="WARN", message=message)]
    message = f"the DRS native copy {copy.arn} holds this version of the plan (exported {copy.exportedAt})"
    return [Check(check="native_copy", status="PASS", message=message)]
