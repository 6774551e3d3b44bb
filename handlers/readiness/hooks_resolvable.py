"""Readiness's ``hooks_resolvable`` (docs/hooks.md): every Lambda function and SSM Automation document
a plan's wave hooks name exists where the run will call it, in the plan's account and the wave's
region, as the run's role (:func:`handlers.aws.drs.target_for`, the credentials the hooks use), with a
session that may only read them (``lambda:GetFunction``, ``ssm:DescribeDocument``, which the target
role and the orchestrator's role grant on the hooks' own names: cfn/drs-target-role.yaml).

- A function or document that does not exist there: FAIL naming the wave, the hook and what is
  missing (the run would fail that hook). A document that is not an Automation document: FAIL too.
- A look-up that is refused or cannot be made: WARN naming the permission (the run itself may still
  be allowed to invoke it; ``permissions`` says so).
- Everything found: one PASS counting them. A plan without ``lambda`` or ``ssmAutomation`` hooks has
  no such check.

:func:`needs` is what the plan's hooks add to readiness ``permissions`` (handlers/readiness/
readiness_permissions.py): the actions each hook type calls, on the functions and documents named."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import drs
from handlers.models.hooks import Hook, InstanceStatusHook, LambdaHook, SsmAutomationHook
from handlers.models.readiness import Check
from handlers.models.recovery_plan import RecoveryPlan
from handlers.readiness.readiness_permissions import Need
from handlers.repositories.protection_groups import ProtectionGroupRepository

CHECK = "hooks_resolvable"
# The session of the look-ups: read the hooks' functions and documents, nothing else.
LOOKUP_SESSION_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["lambda:GetFunction", "ssm:DescribeDocument"], "Resource": "*"}
        ],
    }
)
_MISSING_CODES = frozenset({"ResourceNotFoundException", "InvalidDocument", "InvalidDocumentVersion"})


@dataclass(frozen=True)
class _Named:
    """A hook that names something to call, and the wave it belongs to."""

    wave_number: int
    hook: LambdaHook | SsmAutomationHook


def _hooks(plan: RecoveryPlan) -> dict[int, list[Hook]]:
    return {w.waveNumber: [*w.hooks.before, *w.hooks.after] for w in plan.waves if w.hooks is not None}


def _targets(plan: RecoveryPlan) -> dict[int, drs.DrsTarget]:
    """Each wave's target, as its run's hooks use it (a wave whose group is gone has none: readiness
    ``server_exists`` FAILs it already)."""
    waves = [w for w in plan.waves if w.hooks is not None]
    groups = ProtectionGroupRepository().get_many([w.protectionGroupId for w in waves])
    found: dict[int, drs.DrsTarget] = {}
    for wave in waves:
        group = groups.get(wave.protectionGroupId)
        if group is not None and group.accountId == plan.accountId:
            found[wave.waveNumber] = drs.target_for(group, plan)
    return found


def checks(plan: RecoveryPlan) -> list[Check]:
    """``hooks_resolvable`` for the plan: FAILs and WARNs naming what, or one PASS."""
    named: dict[drs.DrsTarget, list[_Named]] = defaultdict(list)
    targets = _targets(plan)
    for number, hooks in _hooks(plan).items():
        for hook in hooks:
            if isinstance(hook, LambdaHook | SsmAutomationHook) and number in targets:
                named[targets[number]].append(_Named(number, hook))
    if not named:
        return []
    problems: list[Check] = []
    functions: set[str] = set()
    documents: set[str] = set()
    for target, found in named.items():
        problems += _look_up(plan, target, found)
        functions |= {n.hook.functionName for n in found if isinstance(n.hook, LambdaHook)}
        documents |= {n.hook.documentName for n in found if isinstance(n.hook, SsmAutomationHook)}
    if problems:
        return problems
    where = ", ".join(sorted(f"account {t.account_id} ({t.region})" for t in named))
    message = (
        f"every hook's function and document exists in {where}: {len(functions)} function(s), "
        f"{len(documents)} automation document(s)"
    )
    return [Check(check=CHECK, status="PASS", message=message)]


def _look_up(plan: RecoveryPlan, target: drs.DrsTarget, hooks: list[_Named]) -> list[Check]:
    where = f"account {target.account_id} ({target.region})"
    session = f"readiness-{plan.planId}-hooks"
    try:
        lambdas = drs.service_client("lambda", target, session, LOOKUP_SESSION_POLICY, attempts=3)
        ssm = drs.service_client("ssm", target, session, LOOKUP_SESSION_POLICY, attempts=3)
    except (ClientError, BotoCoreError) as exc:
        message = (
            f"the hooks' functions and documents in {where} could not be looked up: the role "
            f"{target.role_arn} could not be assumed ({_cause(exc)})"
        )
        return [Check(check=CHECK, status="WARN", message=message)]
    answers: dict[tuple[str, str], Check | None] = {}  # one look-up per name, however many hooks use it
    problems: list[Check] = []
    for named in hooks:
        hook = named.hook
        if isinstance(hook, LambdaHook):
            key = ("function", hook.functionName)
            if key not in answers:
                answers[key] = _function(lambdas, hook.functionName, where)
        else:
            key = ("document", hook.documentName)
            if key not in answers:
                answers[key] = _document(ssm, hook.documentName, where)
        found = answers[key]
        if found is not None:
            head = f"wave {named.wave_number}: hook {hook.name} ({hook.type}): "
            problems.append(
                found.model_copy(update={"message": head + found.message, "waveNumber": named.wave_number})
            )
    return problems


def _function(client: Any, name: str, where: str) -> Check | None:
    try:
        client.get_function(FunctionName=name)
    except (ClientError, BotoCoreError) as exc:
        if _code(exc) in _MISSING_CODES:
            message = f"the Lambda function {name} does not exist in {where}: deploy it there or fix the name"
            return Check(check=CHECK, status="FAIL", message=message)
        return _unchecked(f"the Lambda function {name}", "lambda:GetFunction", exc, where)
    return None


def _document(client: Any, name: str, where: str) -> Check | None:
    try:
        document = client.describe_document(Name=name)["Document"]
    except (ClientError, BotoCoreError) as exc:
        if _code(exc) in _MISSING_CODES:
            message = f"the SSM document {name} does not exist in {where}: create it there or fix the name"
            return Check(check=CHECK, status="FAIL", message=message)
        return _unchecked(f"the SSM document {name}", "ssm:DescribeDocument", exc, where)
    kind = str(document.get("DocumentType") or "")
    if kind and kind != "Automation":
        message = f"the SSM document {name} in {where} is a {kind} document, not an Automation document"
        return Check(check=CHECK, status="FAIL", message=message)
    return None


def _unchecked(what: str, action: str, exc: ClientError | BotoCoreError, where: str) -> Check:
    message = (
        f"{what} could not be looked up in {where} ({_cause(exc)}); allow {action} on it to the role "
        "drs-chatops uses there so readiness can check it"
    )
    return Check(check=CHECK, status="WARN", message=message)


def _code(exc: ClientError | BotoCoreError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "")) if isinstance(exc, ClientError) else ""


def _cause(exc: ClientError | BotoCoreError) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Unknown')}: {error.get('Message', '')}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


# --- what the hooks add to readiness ``permissions`` --------------------------------------------


def needs(plan: RecoveryPlan, target: drs.DrsTarget) -> tuple[Need, ...]:
    """The requests the hooks of the plan's waves in ``target`` make there (as the run's role):
    ``lambda:InvokeFunction`` on each function, ``ssm:StartAutomationExecution`` on each document's
    automation definition and ``ssm:Get/StopAutomationExecution`` on its executions,
    ``ec2:DescribeInstanceStatus`` for an ``instanceStatus`` hook (``launchActions`` reads
    ``drs:DescribeJobs``, which every run needs)."""
    targets = _targets(plan)
    hooks = [h for number, found in _hooks(plan).items() if targets.get(number) == target for h in found]
    if not hooks:
        return ()
    base = f"{target.region}:{target.account_id}"
    found: dict[Need, None] = {}
    for hook in hooks:
        if isinstance(hook, LambdaHook):
            found[Need("lambda:InvokeFunction", arn=f"lambda:{base}:function:{hook.functionName}")] = None
        elif isinstance(hook, SsmAutomationHook):
            definition = f"ssm:{base}:automation-definition/{hook.documentName}:$DEFAULT"
            found[Need("ssm:StartAutomationExecution", arn=definition)] = None
            for action in ("ssm:GetAutomationExecution", "ssm:StopAutomationExecution"):
                found[Need(action, arn=f"ssm:{base}:automation-execution/*")] = None
        elif isinstance(hook, InstanceStatusHook):
            found[Need("ec2:DescribeInstanceStatus")] = None
    return tuple(found)
