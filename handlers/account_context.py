"""Which account a request acts on, decided by how the Lambda was invoked.

- API Gateway (the event has ``requestContext``): ``accountId`` may be omitted and then defaults to
  the caller's Cognito claim ``custom:accountId``. A caller with a claim acts on that account only.
- Direct invocation: ``accountId`` is required in the body (there is no identity to default from).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypedDict

from handlers.errors import ValidationError
from handlers.models.fields import is_valid_account_id
from handlers.settings import get_settings

InvocationSource = Literal["api_gateway", "direct"]
ACCOUNT_CLAIM = "custom:accountId"

DIRECT_ACCOUNT_REQUIRED = (
    "accountId is required for direct Lambda invocation: without API Gateway there is no caller "
    "identity to take the account from, so put the 12-digit accountId in the event body"
)


class AccountContextDict(TypedDict):
    accountId: str
    assumeRoleName: str
    externalId: str


@dataclass(frozen=True)
class Caller:
    """Who is calling and for which account; passed to every service function."""

    account_id: str
    principal: str
    source: InvocationSource | Literal["slack", "email", "system"]


def detect_invocation_source(event: Any) -> InvocationSource:
    return "api_gateway" if isinstance(event, dict) and "requestContext" in event else "direct"


def _claims(event: dict[str, Any]) -> dict[str, Any]:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = authorizer.get("claims") or {}
    return claims if isinstance(claims, dict) else {}


def caller_identity(event: dict[str, Any]) -> str | None:
    """The human (or system) behind an API Gateway request, from its Cognito claims."""
    claims = _claims(event)
    for key in ("email", "cognito:username", "username", "sub"):
        if claims.get(key):
            return str(claims[key])
    identity = (event.get("requestContext") or {}).get("identity") or {}
    return identity.get("cognitoIdentityId") or identity.get("userArn")


def get_invocation_metadata(event: dict[str, Any]) -> dict[str, Any]:
    """Source, time, request id, API id and caller identity, for logs and audit."""
    source = detect_invocation_source(event)
    metadata: dict[str, Any] = {
        "invocation_source": source,
        "timestamp": datetime.now(UTC).isoformat(),
    }
    if source == "api_gateway":
        request_context = event.get("requestContext") or {}
        metadata.update(
            request_id=request_context.get("requestId", "unknown"),
            api_id=request_context.get("apiId", "unknown"),
            caller_identity=caller_identity(event),
        )
    else:
        metadata.update(request_id=event.get("requestId", "unknown"), caller_identity=None)
    return metadata


def validate_account_context_for_invocation(
    event: dict[str, Any], body: dict[str, Any], *, default_account_id: str | None = None
) -> AccountContextDict:
    """Return the account context for this request or raise :class:`ValidationError`.

    ``default_account_id`` (the function's own account) is used for direct invocations only when
    the ``REQUIRE_ACCOUNT_ID_FOR_DIRECT_INVOCATION`` flag is off."""
    settings = get_settings()
    requested = body.get("accountId")
    if detect_invocation_source(event) == "direct":
        account_id = requested
        if not account_id:
            if settings.require_account_id_for_direct_invocation or not default_account_id:
                raise ValidationError(DIRECT_ACCOUNT_REQUIRED)
            account_id = default_account_id
    else:
        claimed = _claims(event).get(ACCOUNT_CLAIM)
        account_id = requested or claimed
        if not account_id:
            raise ValidationError(
                "accountId is missing: the request has none and the caller's identity carries no "
                f"{ACCOUNT_CLAIM} claim"
            )
        # Isolation, not format: ENABLE_ACCOUNT_CONTEXT_VALIDATION never lets a caller leave its account.
        if claimed and requested and requested != claimed:
            raise ValidationError("accountId must be the account of the signed-in caller")
    if settings.enable_account_context_validation and not is_valid_account_id(account_id):
        raise ValidationError(f"accountId must be exactly 12 digits, got {str(account_id)[:40]!r}")
    return AccountContextDict(
        accountId=str(account_id),
        assumeRoleName=str(body.get("assumeRoleName") or ""),
        externalId=str(body.get("externalId") or ""),
    )


def caller_for_invocation(
    event: dict[str, Any], body: dict[str, Any], *, default_account_id: str | None = None
) -> Caller:
    context = validate_account_context_for_invocation(event, body, default_account_id=default_account_id)
    source = detect_invocation_source(event)
    if source == "api_gateway":
        principal = caller_identity(event) or "api-user"
    else:
        principal = str(body.get("requestedBy") or "direct-invocation")[:128]
    return Caller(account_id=context["accountId"], principal=principal, source=source)
