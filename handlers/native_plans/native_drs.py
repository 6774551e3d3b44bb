"""The one adapter of DRS's native recovery plan operations, in one account and region.

Credentials follow :func:`handlers.aws.drs.target` (the deployment's own account directly, any other
through its target role); each session is narrowed to what it does: reading plans, or exporting one.
Throttling and DRS's own failures are retried by botocore's ``standard`` retry mode; what still fails
raises :class:`handlers.aws.drs.DrsCallError` naming the operation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import drs
from handlers.native_plans.models import NativePlan, NativeStep

# The tag on every native plan this system exports: the plan it copies. The target role's native plan
# writes are allowed only on plans carrying it (cfn/drs-target-role.yaml), so an export can never
# change a native plan someone built by hand.
PLAN_TAG = "drs-chatops:planId"
READ_ACTIONS = [
    "drs:ListRecoveryPlans",
    "drs:GetRecoveryPlan",
    "drs:ListRecoveryPlanSteps",
    "drs:DescribeSourceServers",
]
WRITE_ACTIONS = [
    "drs:CreateRecoveryPlan",
    "drs:CreateRecoveryPlanStep",
    "drs:UpdateRecoveryPlan",
    "drs:DeleteRecoveryPlan",
    "drs:TagResource",
]
NATIVE_READ_SESSION_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": READ_ACTIONS, "Resource": "*"}]}
)
NATIVE_EXPORT_SESSION_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": READ_ACTIONS + WRITE_ACTIONS, "Resource": "*"}],
    }
)
ATTEMPTS = 10  # botocore's, retries included: an export of 20 steps rides out DRS throttling
PAGE_SIZE = 100


def client(
    account_id: str,
    region: str,
    session_name: str,
    *,
    write: bool = False,
    target: drs.DrsTarget | None = None,
) -> Any:
    """A DRS client for ``account_id``'s native plans in ``region`` (``write``: may export;
    ``target``: a plan's own, e.g. its groups' role)."""
    policy = NATIVE_EXPORT_SESSION_POLICY if write else NATIVE_READ_SESSION_POLICY
    target = target or drs.target(account_id, region)
    try:
        return drs.client_for(target, session_name, session_policy=policy, attempts=ATTEMPTS)
    except (ClientError, BotoCoreError) as exc:  # assuming the target role failed
        raise drs.DrsCallError("AssumeRole", exc) from exc


@contextmanager
def calling(operation: str) -> Iterator[None]:
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise drs.DrsCallError(operation, exc) from exc


def list_plans(drs_client: Any) -> list[NativePlan]:
    plans: list[NativePlan] = []
    with calling("ListRecoveryPlans"):
        pages = drs_client.get_paginator("list_recovery_plans").paginate(
            PaginationConfig={"PageSize": PAGE_SIZE}
        )
        for page in pages:
            plans += [NativePlan.model_validate(p) for p in page.get("recoveryPlans", [])]
    return plans


def get_plan(drs_client: Any, arn: str) -> NativePlan:
    with calling("GetRecoveryPlan"):
        answer = drs_client.get_recovery_plan(recoveryPlanArn=arn)
    return NativePlan.model_validate(answer["recoveryPlan"])


def list_steps(drs_client: Any, arn: str) -> list[NativeStep]:
    """The plan's steps in their order."""
    steps: list[NativeStep] = []
    with calling("ListRecoveryPlanSteps"):
        pages = drs_client.get_paginator("list_recovery_plan_steps").paginate(
            recoveryPlanArn=arn, PaginationConfig={"PageSize": PAGE_SIZE}
        )
        for page in pages:
            steps += [NativeStep.model_validate(s) for s in page.get("recoveryPlanSteps", [])]
    return sorted(steps, key=lambda s: s.stepOrder)


def create_plan(drs_client: Any, name: str, description: str, plan_id: str) -> NativePlan:
    with calling("CreateRecoveryPlan"):
        answer = drs_client.create_recovery_plan(name=name, description=description, tags={PLAN_TAG: plan_id})
    return NativePlan.model_validate(answer["recoveryPlan"])


def create_step(
    drs_client: Any, plan_arn: str, name: str, order: int, configuration: dict[str, Any], token: str
) -> None:
    """One step; ``token`` (idempotency) makes botocore's retry of a lost answer add it once."""
    with calling("CreateRecoveryPlanStep"):
        drs_client.create_recovery_plan_step(
            recoveryPlanArn=plan_arn,
            stepName=name,
            stepOrder=order,
            configuration=configuration,
            clientToken=token,
        )


def rename_plan(drs_client: Any, arn: str, name: str) -> None:
    with calling("UpdateRecoveryPlan"):
        drs_client.update_recovery_plan(recoveryPlanArn=arn, name=name)


def delete_plan(drs_client: Any, arn: str) -> None:
    with calling("DeleteRecoveryPlan"):
        drs_client.delete_recovery_plan(recoveryPlanArn=arn)


def not_found(exc: drs.DrsCallError) -> bool:
    return exc.code == "ResourceNotFoundException"
