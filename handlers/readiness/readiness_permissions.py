"""Readiness of an account for a run: may the run's role do what the run needs there
(``permissions``), and is DRS initialized there (``drs_initialized``)?

**The role the run uses** is the one :func:`handlers.aws.drs.target_for` chooses for a group: a role
assumed in the group's account (its ``assumeRoleName``, else the plan's, else
``DRS_DEFAULT_ROLE_NAME``; with the group's ``ExternalId``), or, in the deployment's own account
with no role named, the orchestrator function's own role (setting ``ORCHESTRATOR_ROLE_ARN``).

**What the run needs** is :data:`RUN_NEEDS`, the one list: the DRS and Service Quotas calls the
orchestrator's code makes, and, because DRS launches and terminates recovery instances with the
caller's credentials, the EC2 calls and ``iam:PassRole`` AWS's managed policy
``AWSElasticDisasterRecoveryConsoleFullAccess_v2`` grants DRS for that, each with the context DRS's
requests carry (``aws:ViaAWSService``, ``aws:CalledVia`` = drs.amazonaws.com, the
``AWSElasticDisasterRecoveryManaged`` tag). ``tests/unit/test_readiness_permissions.py`` proves it
equals what ``tests/support/iam.py`` derives from the code and the vendored managed policy, so the
two cannot drift.

**How it is checked.** The role is assumed (the same ``AssumeRole`` the run makes, with a session
that may only simulate and read DRS's replication templates), then ``iam:SimulatePrincipalPolicy``
for that role, one call per request context, decides every need. A denied need is a FAIL naming the
role and each action; a simulation the caller may not run is a WARN naming
``iam:SimulatePrincipalPolicy``; an ``AssumeRole`` that is refused or cannot be made is a FAIL naming
the account, the role and the call; IAM not answering is a WARN. Never an exception: readiness
answers.

``drs_initialized``: DRS is initialized in an account and region when it holds a replication
configuration template (``DescribeReplicationConfigurationTemplates``); without one no server can
replicate or launch there.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers import aws
from handlers.accounts.account_context import Caller
from handlers.aws import drs
from handlers.core.settings import get_settings
from handlers.models.readiness import Check
from handlers.repositories.protection_groups import ProtectionGroupRepository

Context = tuple[tuple[str, str | tuple[str, ...]], ...]

MANAGED_TAG = "AWSElasticDisasterRecoveryManaged"
_VIA_DRS: Context = (("aws:CalledVia", ("drs.amazonaws.com",)), ("aws:ViaAWSService", "true"))
_MANAGED = (f"aws:ResourceTag/{MANAGED_TAG}", f"ec2:ResourceTag/{MANAGED_TAG}")
_LAUNCH_INTO = ("aws:ResourceTag/AWSDRS", "ec2:ResourceTag/AWSDRS")


@dataclass(frozen=True)
class Need:
    """One request the run makes (or DRS makes with its credentials): an action on a resource type
    (``""``: the action's own, or none) with a request context."""

    action: str
    resource_type: str = ""
    context: Context = ()
    arn: str = ""  # one resource's ARN after "arn:<partition>:" (a wave hook's function or document)

    def resource_arn(self, partition: str, region: str, account: str) -> str:
        """An ARN of ``resource_type`` in ``account`` for the simulation (``*`` for none)."""
        if self.arn:
            return f"arn:{partition}:{self.arn}"
        if self.action == "iam:PassRole":
            return f"arn:{partition}:iam::{account}:role/service-role/{self.resource_type}"
        if not self.resource_type:
            return "*"
        service, _, kind = self.resource_type.partition(":")
        owner = "" if kind in {"image", "snapshot"} else account  # AWS-owned or shared: no account
        return f"arn:{partition}:{service}:{region}:{owner}:{kind}/*"


def _via(action: str, resource_type: str, *extra: tuple[str, str | tuple[str, ...]]) -> Need:
    return Need(action, resource_type, tuple(sorted(_VIA_DRS + tuple(extra))))


def _tagged(action: str, resource_type: str) -> Need:
    """On a resource DRS tagged ``AWSElasticDisasterRecoveryManaged``."""
    return _via(action, resource_type, *((key, "drs.amazonaws.com") for key in _MANAGED))


def _tagging(action: str, resource_type: str) -> Need:
    """Creating a resource with the ``AWSElasticDisasterRecoveryManaged`` tag."""
    return _via(action, resource_type, (f"aws:RequestTag/{MANAGED_TAG}", "drs.amazonaws.com"))


def _launching_into(action: str) -> Need:
    """On an existing instance its owner tagged ``AWSDRS = AllowLaunchingIntoThisInstance``."""
    return _via(action, "ec2:instance", *((key, "AllowLaunchingIntoThisInstance") for key in _LAUNCH_INTO))


def _created_by(resource_type: str, create_action: str) -> Need:
    return _via("ec2:CreateTags", resource_type, ("ec2:CreateAction", create_action))


_INSTANCE_ACTIONS = (
    "ec2:AssociateIamInstanceProfile",
    "ec2:AttachVolume",
    "ec2:DetachVolume",
    "ec2:GetConsoleOutput",
    "ec2:GetConsoleScreenshot",
    "ec2:ModifyInstanceAttribute",
    "ec2:StartInstances",
    "ec2:StopInstances",
    "ec2:TerminateInstances",
)
_LAUNCH_TEMPLATE_ACTIONS = (
    "ec2:CreateLaunchTemplateVersion",
    "ec2:CreateTags",
    "ec2:DeleteLaunchTemplateVersions",
    "ec2:DeleteTags",
    "ec2:ModifyLaunchTemplate",
)
_UNTAGGED = {  # via DRS, on any resource of the type
    "ec2:CreateFleet": ("fleet", "image", "instance", "launch-template", "subnet", "volume"),
    "ec2:RunInstances": (
        "image",
        "launch-template",
        "network-interface",
        "security-group",
        "subnet",
        "volume",
    ),
    "ec2:CreateNetworkInterface": ("security-group", "subnet"),
    "ec2:CreateSecurityGroup": ("vpc",),
    "ec2:DetachVolume": ("volume",),
}
DRS_INSTANCE_ROLES = (
    "AWSElasticDisasterRecoveryConversionServerRole",
    "AWSElasticDisasterRecoveryRecoveryInstanceRole",
    "AWSElasticDisasterRecoveryRecoveryInstanceWithLaunchActionsRole",
)

# The one list of what a run needs of its role (see the module docstring).
RUN_NEEDS: tuple[Need, ...] = (
    # what the orchestrator's code calls (a drill's cleanup included)
    Need("drs:DescribeJobLogItems", "drs:job"),
    Need("drs:DescribeJobs"),
    Need("drs:DescribeRecoveryInstances"),
    Need("drs:DescribeRecoverySnapshots"),
    Need("drs:DescribeSourceServers"),
    Need("drs:StartRecovery", "drs:source-server"),
    Need(
        "drs:TagResource",
        "drs:job",
        (("aws:TagKeys", ("drs-chatops",)), ("drs:CreateAction", "StartRecovery")),
    ),
    Need("drs:TerminateRecoveryInstances", "drs:recovery-instance"),
    Need("servicequotas:ListServiceQuotas"),
    # a FAILBACK run's on-premises waves (handlers/failback/launch.py)
    Need("drs:StartFailbackLaunch", "drs:recovery-instance"),
    Need(
        "drs:TagResource",
        "drs:job",
        (("aws:TagKeys", ("drs-chatops",)), ("drs:CreateAction", "StartFailbackLaunch")),
    ),
    # what DRS does with the caller's credentials when it launches and terminates
    *(_tagged(action, "ec2:instance") for action in _INSTANCE_ACTIONS),
    *(
        _launching_into(action)
        for action in (
            "ec2:AttachVolume",
            "ec2:DetachVolume",
            "ec2:GetConsoleOutput",
            "ec2:GetConsoleScreenshot",
            "ec2:StartInstances",
        )
    ),
    *(
        _tagged(action, "ec2:volume")
        for action in ("ec2:AttachVolume", "ec2:CreateSnapshot", "ec2:DeleteVolume")
    ),
    *(_tagged(action, "ec2:snapshot") for action in ("ec2:CreateVolume", "ec2:DeleteSnapshot")),
    *(_tagged(action, "ec2:launch-template") for action in _LAUNCH_TEMPLATE_ACTIONS),
    *(
        _tagged(action, "ec2:security-group")
        for action in (
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupEgress",
        )
    ),
    _tagged("ec2:CreateNetworkInterfacePermission", "ec2:network-interface"),
    _tagging("ec2:CreateLaunchTemplate", "ec2:launch-template"),
    _tagging("ec2:CreateNetworkInterface", "ec2:network-interface"),
    _tagging("ec2:CreateSecurityGroup", "ec2:security-group"),
    _tagging("ec2:CreateSnapshot", "ec2:snapshot"),
    _tagging("ec2:CreateVolume", "ec2:volume"),
    _tagging("ec2:RunInstances", "ec2:instance"),
    *(_via(action, f"ec2:{kind}") for action, kinds in _UNTAGGED.items() for kind in kinds),
    *(
        _created_by(f"ec2:{kind}", "CreateFleet")
        for kind in ("instance", "security-group", "snapshot", "volume")
    ),
    *(
        _created_by(f"ec2:{kind}", "CreateSecurityGroup")
        for kind in ("instance", "network-interface", "security-group", "snapshot", "volume")
    ),
    _created_by("ec2:launch-template", "CreateLaunchTemplate"),
    *(
        Need("iam:PassRole", role, (("iam:PassedToService", "ec2.amazonaws.com"),))
        for role in DRS_INSTANCE_ROLES
    ),
)

# The session of the checks: simulate the role's policies and read DRS's replication templates,
# nothing else (a session policy only narrows what the role itself allows).
CHECK_SESSION_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:SimulatePrincipalPolicy", "drs:DescribeReplicationConfigurationTemplates"],
                "Resource": "*",
            }
        ],
    }
)
SIMULATE = "iam:SimulatePrincipalPolicy"
_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


def target_checks(target: drs.DrsTarget, session_name: str, extra: tuple[Need, ...] = ()) -> list[Check]:
    """``permissions`` and ``drs_initialized`` for one account and region, as the run's role
    (``extra``: what the plan's wave hooks need there besides :data:`RUN_NEEDS`,
    handlers/readiness/hooks_resolvable.py)."""
    where = f"account {target.account_id} ({target.region})"
    role_arn = run_role_arn(target)
    try:
        iam, drs_client = _clients(target, session_name)
    except (ClientError, BotoCoreError) as exc:
        message = (
            f"role {target.role_arn} in {where} cannot be assumed: sts:AssumeRole failed ({_cause(exc)}); "
            "the run would fail the same way: check the role exists there, trusts the drs-chatops roles "
            "and that the group's externalId is the role's ExternalId"
        )
        return [
            Check(check="permissions", status="FAIL", message=message),
            Check(check="drs_initialized", status="WARN", message=f"not checked in {where}: {message}"),
        ]
    return [_permissions(iam, role_arn, target, where, extra), _initialized(drs_client, where)]


def run_role_arn(target: drs.DrsTarget) -> str:
    """The role a run uses for ``target``: the assumed one, else the orchestrator's own ("" unknown)."""
    return target.role_arn if target.assume_role_name else get_settings().orchestrator_role_arn or ""


def account_checks(caller: Caller) -> dict[str, Any]:
    """``check_permissions``: the two checks for every account and region the caller's groups use
    (direct invocation; ``drs-chatops doctor`` asks it for each account that has groups)."""
    targets = {
        drs.target_for(group) for group in ProtectionGroupRepository().all_in_account(caller.account_id)
    }
    found: list[Check] = []
    for target in sorted(targets, key=lambda t: (t.region, t.role_arn)):
        found += target_checks(target, f"check-{caller.account_id}")
    return {
        "accountId": caller.account_id,
        "checks": [c.model_dump(mode="json", exclude_none=True) for c in found],
    }


def _clients(target: drs.DrsTarget, session_name: str) -> tuple[Any, Any]:
    """IAM and DRS clients as the run's role (each assumes it, as the run does), or, with no role
    to assume, with the function's own credentials."""
    if not target.assume_role_name:
        return aws.client("iam"), drs.service_client("drs", target, session_name, attempts=3)
    policy = CHECK_SESSION_POLICY
    return (
        drs.service_client("iam", target, session_name, policy, attempts=3),
        drs.service_client("drs", target, session_name, policy, attempts=3),
    )


def _permissions(
    iam: Any, role_arn: str, target: drs.DrsTarget, where: str, extra: tuple[Need, ...] = ()
) -> Check:
    if not role_arn:
        message = (
            f"not checked in {where}: ORCHESTRATOR_ROLE_ARN (the orchestrator's role, which runs DRS "
            "in the deployment's own account) is not set in this function's environment"
        )
        return Check(check="permissions", status="WARN", message=message)
    unchecked = f"the permissions of role {role_arn} in {where} could not be simulated"
    try:
        denied = denied_needs(iam, role_arn, target, extra)
    except (ClientError, BotoCoreError) as exc:
        message = f"{unchecked}: {SIMULATE} failed ({_cause(exc)})"
        if isinstance(exc, ClientError) and _code(exc) in _DENIED_CODES:
            message = (
                f"{unchecked}: {SIMULATE} was refused ({_cause(exc)}); allow {SIMULATE} on {role_arn} "
                "to the role readiness uses there so it can check them"
            )
        return Check(check="permissions", status="WARN", message=message)
    if denied:
        actions = sorted(dict.fromkeys(n.action for n in denied))
        message = (
            f"role {role_arn} in {where} is denied {len(actions)} action(s) the run needs (simulated "
            f"with the via-DRS context): {', '.join(actions)}; the run would fail there: grant them "
            "as cfn/drs-target-role.yaml's drs-launches and drs-recovery policies do"
        )
        return Check(check="permissions", status="FAIL", message=message)
    count = len({n.action for n in (*RUN_NEEDS, *extra)})
    message = (
        f"role {role_arn} in {where} may make all {count} actions the run needs (simulated with the "
        "via-DRS context)"
    )
    return Check(check="permissions", status="PASS", message=message)


def denied_needs(iam: Any, role_arn: str, target: drs.DrsTarget, extra: tuple[Need, ...] = ()) -> list[Need]:
    """The needs of :data:`RUN_NEEDS` (and ``extra``) the role's policies do not allow: one
    ``SimulatePrincipalPolicy`` per request context, each with its actions and resources."""
    partition = role_arn.split(":")[1] if role_arn.startswith("arn:") else "aws"
    by_context: dict[Context, list[Need]] = defaultdict(list)
    for need in (*RUN_NEEDS, *extra):
        by_context[need.context].append(need)
    denied: list[Need] = []
    for context, needs in by_context.items():
        arns = {n: n.resource_arn(partition, target.region, target.account_id) for n in needs}
        decisions = _simulate(iam, role_arn, needs, sorted(set(arns.values())), context)
        denied += [n for n in needs if decisions.get((n.action, arns[n])) != "allowed"]
    return denied


def _simulate(
    iam: Any, role_arn: str, needs: list[Need], resources: list[str], context: Context
) -> dict[tuple[str, str], str]:
    """(action, resource) -> IAM's decision (``allowed``, ``implicitDeny``, ``explicitDeny``)."""
    kwargs: dict[str, Any] = {
        "PolicySourceArn": role_arn,
        "ActionNames": sorted({n.action for n in needs}),
        "ResourceArns": resources,
    }
    if context:
        kwargs["ContextEntries"] = [_entry(key, value) for key, value in context]
    decisions: dict[tuple[str, str], str] = {}
    for page in iam.get_paginator("simulate_principal_policy").paginate(**kwargs):
        for result in page.get("EvaluationResults", []):
            action = str(result.get("EvalActionName", ""))
            resource = str(result.get("EvalResourceName", "*"))
            decisions[(action, resource)] = str(result.get("EvalDecision", ""))
            for specific in result.get("ResourceSpecificResults") or []:
                key = (action, str(specific.get("EvalResourceName", "")))
                decisions[key] = str(specific.get("EvalResourceDecision", ""))
        if len(resources) == 1:  # a result without a resource name is about the one resource asked for
            for (action, _), decision in list(decisions.items()):
                decisions.setdefault((action, resources[0]), decision)
    return decisions


def _entry(key: str, value: str | tuple[str, ...]) -> dict[str, Any]:
    if isinstance(value, tuple):
        return {"ContextKeyName": key, "ContextKeyValues": list(value), "ContextKeyType": "stringList"}
    kind = "boolean" if value in {"true", "false"} else "string"
    return {"ContextKeyName": key, "ContextKeyValues": [value], "ContextKeyType": kind}


def _initialized(client: Any, where: str) -> Check:
    try:
        templates = client.describe_replication_configuration_templates().get("items", [])
    except (ClientError, BotoCoreError) as exc:
        message = (
            f"not checked in {where}: DRS DescribeReplicationConfigurationTemplates failed ({_cause(exc)}); "
            "allow drs:DescribeReplicationConfigurationTemplates to the role readiness uses there"
        )
        return Check(check="drs_initialized", status="WARN", message=message)
    if not templates:
        message = (
            f"DRS is not initialized in {where}: it has no replication configuration template. "
            "Initialize it there: in the DRS console choose 'Set default replication settings' "
            "(or call InitializeService and CreateReplicationConfigurationTemplate)"
        )
        return Check(check="drs_initialized", status="FAIL", message=message)
    return Check(check="drs_initialized", status="PASS", message=f"DRS is initialized in {where}")


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _cause(exc: ClientError | BotoCoreError) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Unknown')}: {error.get('Message', '')}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


def needed_actions(needs: Iterable[Need] = RUN_NEEDS) -> list[str]:
    return sorted({n.action for n in needs})
