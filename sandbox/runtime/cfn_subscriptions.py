"""``AWS::SNS::Subscription``: moto's CloudFormation skips the type, so after a stack is created the
sandbox makes each of its subscriptions itself, through the SNS API, with the template's own
``TopicArn``, ``Protocol``, ``Endpoint``, ``FilterPolicy`` and ``FilterPolicyScope``.

SNS keeps one subscription per (topic, protocol, endpoint), and so does the sandbox's SNS
(``sandbox/emulators/emulator_guarantees.py``): a template subscription that repeats an existing one
with other attributes is refused, reported in the log, and the existing one is kept, as in AWS.

Values may be literals, a ``Ref`` to a parameter or a resource, or ``Fn::GetAtt [<function>, Arn]``:
what subscription templates use. Anything else is reported in the log, not guessed.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import ClientError

log = logging.getLogger("sandbox.runtime.deploy")
KIND = "AWS::SNS::Subscription"


class Unresolvable(ValueError):
    pass


def create_subscriptions(
    concern: str, template: dict[str, Any], parameters: dict[str, str], physical: dict[str, str]
) -> int:
    """Subscribe what ``template`` declares; ``physical`` maps the stack's logical ids to physical ids."""
    import boto3

    sns, functions = boto3.client("sns"), boto3.client("lambda")
    made = 0
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != KIND:
            continue
        props = resource.get("Properties") or {}
        try:
            resolve = _resolver(parameters, physical, template, functions)
            attributes = {
                key: value if isinstance(value, str) else json.dumps(value)
                for key in ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery")
                if (value := props.get(key)) is not None
            }
            sns.subscribe(
                TopicArn=resolve(props["TopicArn"]),
                Protocol=resolve(props["Protocol"]),
                Endpoint=resolve(props["Endpoint"]),
                Attributes=attributes,
            )
        except (KeyError, Unresolvable, ClientError) as exc:
            log.warning("cfn/%s.yaml %s: cannot subscribe in the sandbox (%s)", concern, logical_id, exc)
            continue
        made += 1
        log.info(
            "cfn/%s.yaml %s: subscribed by the sandbox (moto's CloudFormation skips %s)",
            concern,
            logical_id,
            KIND,
        )
    return made


def _resolver(
    parameters: dict[str, str], physical: dict[str, str], template: dict[str, Any], functions: Any
) -> Any:
    resources = template.get("Resources") or {}

    def resolve(value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "Ref" in value:
            name = value["Ref"]
            if name in parameters:
                return str(parameters[name])
            if name in physical:
                return physical[name]
            raise Unresolvable(f"Ref {name}")
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            target, attribute = value["Fn::GetAtt"]
            kind = (resources.get(target) or {}).get("Type")
            if attribute == "Arn" and kind == "AWS::Lambda::Function" and target in physical:
                return str(
                    functions.get_function(FunctionName=physical[target])["Configuration"]["FunctionArn"]
                )
            raise Unresolvable(f"Fn::GetAtt {target}.{attribute}")
        raise Unresolvable(f"{value!r}")

    return resolve
