"""``GET /native-recovery-plans``: the caller's account's DRS native plans in this deployment's region."""

from __future__ import annotations

from handlers.accounts.account_context import Caller
from handlers.aws import drs
from handlers.core.settings import get_settings
from handlers.native_plans import native_drs
from handlers.native_plans.errors import drs_failed
from handlers.native_plans.models import NativePlanView, NativeStep, StepView, server_id_of


def step_view(step: NativeStep) -> StepView:
    if step.wait_minutes is not None:
        return StepView(
            stepOrder=step.stepOrder, stepName=step.stepName, type="wait", waitMinutes=step.wait_minutes
        )
    servers = [
        {
            "sourceServerId": (server_id_of(s.serverArn) or ("", "", s.serverArn))[2],
            "impactLevel": s.impactLevel,
        }
        for s in step.servers
    ]
    return StepView(stepOrder=step.stepOrder, stepName=step.stepName, type="server", servers=servers)


def list_native_recovery_plans(caller: Caller) -> dict[str, object]:
    region = get_settings().aws_region
    try:
        client = native_drs.client(caller.account_id, region, "list-native-plans")
        plans = native_drs.list_plans(client)
        views = [
            NativePlanView(
                arn=plan.recoveryPlanArn,
                name=plan.name,
                status=plan.status,
                exportedFrom=plan.tags.get(native_drs.PLAN_TAG, ""),
                steps=[step_view(s) for s in native_drs.list_steps(client, plan.recoveryPlanArn)],
            )
            for plan in plans
        ]
    except drs.DrsCallError as exc:
        raise drs_failed(exc, f"the native recovery plans of account {caller.account_id} ({region})") from exc
    return {"items": [v.model_dump(mode="json") for v in views]}
