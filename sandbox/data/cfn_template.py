"""Read the project's CloudFormation templates and adapt them to what moto's CloudFormation can
deploy - the in-memory equivalent of ``aws cloudformation package``, nothing more.

- YAML short-form tags (``!Ref``, ``!Sub`` ...) become their long forms; the result is sent as JSON.
- A state machine's ``DefinitionS3Location`` / ``Definition`` (+ ``DefinitionSubstitutions``) becomes
  ``DefinitionString`` with ``Fn::Sub``: moto reads only ``DefinitionString``.
- A Lambda ``Code`` given as a local path points at the sandbox's uploaded code bundle instead.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import yaml

from handlers.core.package_data import data_dir

log = logging.getLogger("sandbox.runtime.deploy")
CFN_DIR = data_dir("cfn", "data.yaml")


class _Loader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix == "Ref" or suffix == "Condition" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        problem = f"unexpected node after !{suffix}"
        raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark)
    return {name: value}


_Loader.add_multi_constructor("!", _tag)


def load(path: Path) -> dict[str, Any]:
    return dict(yaml.load(path.read_text(), Loader=_Loader))  # noqa: S506 - SafeLoader subclass


def adapt(template: dict[str, Any], code_bucket: str, code_key: str) -> list[str]:
    """Rewrite ``template`` in place for moto; returns what was changed, for the log."""
    notes: list[str] = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        props = resource.get("Properties") or {}
        kind = resource.get("Type")
        if kind == "AWS::StepFunctions::StateMachine" and "DefinitionString" not in props:
            definition = _definition_text(props)
            if definition is not None:
                substitutions = props.pop("DefinitionSubstitutions", None) or {}
                props["DefinitionString"] = _substituted(definition, substitutions)
                notes.append(f"{logical_id}: definition inlined as DefinitionString (moto reads only that)")
        elif kind == "AWS::Lambda::Function" and isinstance(props.get("Code"), str):
            props["Code"] = {"S3Bucket": code_bucket, "S3Key": code_key}
            notes.append(f"{logical_id}: local Code path -> sandbox code bundle")
    return notes


def _definition_text(props: dict[str, Any]) -> str | None:
    if "Definition" in props:
        return json.dumps(props.pop("Definition"), indent=2)
    location = props.pop("DefinitionS3Location", None) or props.pop("DefinitionUri", None)
    if location is None:
        return None
    relative = location if isinstance(location, str) else str(location.get("Key", ""))
    for candidate in (CFN_DIR / relative, CFN_DIR / "statemachine" / Path(relative).name):
        if candidate.is_file():
            return candidate.read_text()
    raise FileNotFoundError(f"state machine definition {relative!r} not found under {CFN_DIR}")


def _substituted(definition: str, substitutions: dict[str, Any]) -> Any:
    """``DefinitionSubstitutions`` as an ``Fn::Join``. Not ``Fn::Sub``: moto implements that with
    ``string.Template``, which turns the ASL context object's ``$$`` into ``$``."""
    if not substitutions:
        return definition
    pattern = re.compile(r"\$\{(" + "|".join(re.escape(k) for k in substitutions) + r")\}")
    parts: list[Any] = []
    position = 0
    for match in pattern.finditer(definition):
        parts += [definition[position : match.start()], substitutions[match.group(1)]]
        position = match.end()
    parts.append(definition[position:])
    return {"Fn::Join": ["", parts]}


def resource_types(template: dict[str, Any]) -> set[str]:
    return {str(r.get("Type")) for r in (template.get("Resources") or {}).values()}
