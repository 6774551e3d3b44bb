"""Walk the project's CloudFormation templates: references, functions, roles and their statements."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tests.support.cfn import CFN_DIR, load_template

CONCERNS = ("data", "notifications", "api", "orchestration", "bot", "monitoring")
ALL_TEMPLATES = tuple(sorted(p.name for p in CFN_DIR.glob("*.yaml")))
_SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")


def references(value: Any) -> set[str]:
    """Parameter / resource names a value refers to (``Ref``, ``Fn::Sub`` variables, ``Fn::GetAtt``)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref":
                found.add(str(inner))
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found |= {v.split(".")[0] for v in _SUB_VARIABLE.findall(str(text))}
                if isinstance(inner, list):
                    found |= references(inner[1])
            elif key == "Fn::GetAtt":
                target = inner if isinstance(inner, list) else str(inner).split(".")
                found.add(str(target[0]))
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_of(function: dict[str, Any]) -> str:
    role = function["Properties"]["Role"]
    return str(role["Fn::GetAtt"][0] if isinstance(role["Fn::GetAtt"], list) else role["Fn::GetAtt"])


def permission_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    """Statements of the role's inline policies and of AWS::IAM::Policy resources attached to it."""
    role = template["Resources"][role_id]["Properties"]
    statements = [s for p in role.get("Policies", []) for s in as_list(p["PolicyDocument"]["Statement"])]
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            statements += as_list(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def all_permission_statements() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(template, role or policy id, statement) for every permission statement in every template."""
    for name in ALL_TEMPLATES:
        template = load_template(name)
        for logical_id, resource in template["Resources"].items():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::IAM::Role":
                for policy in props.get("Policies", []):
                    for statement in as_list(policy["PolicyDocument"]["Statement"]):
                        yield name, logical_id, statement
            elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                for statement in as_list(props["PolicyDocument"]["Statement"]):
                    yield name, logical_id, statement


def functions() -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(template, function id, function resource, template) for every Lambda function."""
    for name in ALL_TEMPLATES:
        template = load_template(name)
        for logical_id, resource in resources(template, "AWS::Lambda::Function").items():
            yield name, logical_id, resource, template


def invoked_asynchronously(template: dict[str, Any], function_id: str, function: dict[str, Any]) -> bool:
    """Subscribed to an SNS topic, or invoking itself (Bolt's lazy listeners: InvocationType=Event)."""
    subscribed = any(
        s["Properties"]["Protocol"] == "lambda" and function_id in references(s["Properties"]["Endpoint"])
        for s in resources(template, "AWS::SNS::Subscription").values()
    )
    own_name = str(function["Properties"]["FunctionName"]["Fn::Sub"])
    invokes_itself = any(
        "lambda:InvokeFunction" in as_list(s["Action"]) and own_name in str(s["Resource"])
        for s in permission_statements(template, role_of(function))
    )
    return subscribed or invokes_itself
