"""``iam:SimulatePrincipalPolicy`` for the sandbox and the tests: moto has none.

**How it is routed.** moto answers a query-protocol call with the method of its service's response
class named after the action, so this module adds ``simulate_principal_policy`` to moto's
``IamResponse``. Every IAM call then still goes to moto - from the sandbox's Lambda workers over
HTTP like any other IAM call, from tests under ``mock_aws`` in process - and moto answers this one
action too; no endpoint, proxy or botocore hook of its own. :func:`install` adds it (the sandbox at
start, in the process that runs moto; ``tests/support/iam_roles.py`` for the tests).

**What it answers.** The role named by ``PolicySourceArn`` is looked up in moto's IAM, in the role's
account (what the deployed templates created there: ``cfn/*.yaml`` by the sandbox, the same
templates' policies seeded by the tests); an unknown role is IAM's ``NoSuchEntity``. An action is
``allowed`` when one of the role's policies (inline or attached) has an Allow statement whose
``Action`` pattern matches it and no Deny statement's does; ``Resource`` and ``Condition`` are taken
as met (readiness simulates the requests DRS makes, with the via-DRS context those conditions ask
for). Deliberately simple: it does not evaluate resources or conditions, which the offline IAM proof
(``tests/unit/test_iam_drs_permissions.py``) does. ``denied()`` (the sandbox's ``deniedActions``
fault) lists actions denied to every role (``explicitDeny``).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

Denied = Callable[[], Iterable[str]]


def decide(policies: Iterable[dict[str, Any]], action: str, denied: Iterable[str] = ()) -> str:
    """IAM's decision for ``action`` under ``policies`` (``allowed``, ``explicitDeny``, ``implicitDeny``)."""
    if action.lower() in {d.lower() for d in denied}:
        return "explicitDeny"
    effects = {
        str(statement.get("Effect"))
        for policy in policies
        for statement in _as_list(policy.get("Statement"))
        if any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in _as_list(statement.get("Action")))
    }
    if "Deny" in effects:
        return "explicitDeny"
    return "allowed" if "Allow" in effects else "implicitDeny"


def role_policies(role: Any) -> list[dict[str, Any]]:
    """The policy documents of a moto role: inline, and attached managed ones."""
    documents = [_document(d) for d in role.policies.values()]
    for managed in role.managed_policies.values():
        documents.append(_document(managed.default_version.document))
    return documents


def install(denied: Denied) -> None:
    """Make moto answer ``SimulatePrincipalPolicy``, denying ``denied()`` to every role."""
    from moto.core.responses import ActionResult
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends
    from moto.iam.responses import IamResponse

    def simulate_principal_policy(self: Any) -> Any:
        source = str(self._get_param("PolicySourceArn"))
        actions = [str(a) for a in self._get_param("ActionNames", [])]
        resources = [str(r) for r in self._get_param("ResourceArns", [])] or ["*"]
        parts = source.split(":")
        if len(parts) < 6 or not parts[5].startswith("role/"):
            raise NotFoundException(f"The role with ARN {source} cannot be found.")
        backend = iam_backends[parts[4]][self.partition]
        try:
            role = backend.get_role_by_arn(source)
        except Exception as exc:  # moto's own not-found, worded as IAM words it
            raise NotFoundException(f"The role with ARN {source} cannot be found.") from exc
        policies, refused = role_policies(role), list(denied())
        results = [
            {
                "EvalActionName": action,
                "EvalResourceName": resource,
                "EvalDecision": decide(policies, action, refused),
            }
            for action in actions
            for resource in resources
        ]
        return ActionResult({"EvaluationResults": results, "IsTruncated": False})

    IamResponse.simulate_principal_policy = simulate_principal_policy  # type: ignore[attr-defined]


def uninstall() -> None:
    from moto.iam.responses import IamResponse

    if "simulate_principal_policy" in vars(IamResponse):
        del IamResponse.simulate_principal_policy  # type: ignore[attr-defined]


def _document(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    text = str(value)
    try:
        return dict(json.loads(text))
    except ValueError:
        return dict(json.loads(unquote(text)))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
