"""Who a simulated DRS call acts as, read from the credentials that signed it.

Keys moto's STS issued by ``AssumeRole`` act in the assumed role's account, limited by the session
policy passed to ``AssumeRole`` if any; every other key is the deployment's own and acts in the
deployment's own account: the one moto's ``GetCallerIdentity`` reports for such keys
(``MOTO_ACCOUNT_ID``, else moto's default account).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Answer = tuple[int, dict[str, str], bytes]
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


class DrsError(Exception):
    """An error DRS answers with; ``extra``: more members of the error's shape in botocore's model
    (e.g. ``ServiceQuotaExceededException``'s ``serviceCode``, ``quotaCode``, ``resourceType``)."""

    def __init__(self, status: int, code: str, message: str, extra: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.extra = dict(extra or {})

    def answer(self) -> Answer:
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": self.code}
        body = {"message": self.message, "code": self.code, **self.extra}
        return self.status, headers, json.dumps(body).encode()


@dataclass(frozen=True)
class Call:
    operation: str
    account: str
    role_arn: str = ""  # "" for the deployment's own credentials
    session_policy: str = ""

    def check_allowed(self) -> None:
        """A session policy narrows what assumed credentials may do (as IAM intersects it)."""
        if not self.session_policy:
            return
        action = f"drs:{self.operation}"
        statements = json.loads(self.session_policy).get("Statement", [])
        allowed = {
            a
            for s in (statements if isinstance(statements, list) else [statements])
            if s.get("Effect") == "Allow"
            for a in ([s["Action"]] if isinstance(s.get("Action"), str) else s.get("Action", []))
        }
        if action not in allowed and "drs:*" not in allowed:
            raise DrsError(403, "AccessDeniedException", f"the session policy does not allow {action}")


def deployment_account() -> str:
    from moto.core.models import DEFAULT_ACCOUNT_ID

    return os.environ.get("MOTO_ACCOUNT_ID") or DEFAULT_ACCOUNT_ID


def caller_of(operation: str, headers: Mapping[str, Any]) -> Call:
    match = _CREDENTIAL.search(str(headers.get("Authorization", "")))
    if match:
        from moto.sts.models import sts_backends

        for account in list(sts_backends.keys()):
            role: Any = sts_backends[account]["aws"].get_assumed_role_from_access_key(match.group(1))
            if role is not None:
                return Call(operation, str(role.account_id), str(role.role_arn), str(role.policy or ""))
    return Call(operation, deployment_account())


def account_of(request: Any) -> str:
    """The account a DRS call (a botocore request) acts in."""
    return caller_of("", request.headers).account
