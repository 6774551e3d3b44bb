"""Which account a request acts on, and who acts, decided by how the Lambda was invoked.

- API Gateway (the event has ``requestContext``): the account is only the verified Cognito claim
  ``custom:accountId`` (set by administrators; the app client cannot write it, see docs/deploy.md).
  An identity without the claim is refused (403): the request never names the account for it, and
  a request naming another account than the claim's is refused too.
- Direct invocation: ``accountId`` is required in the body (there is no identity to default from),
  and operations that record who acted require ``requestedBy`` (or ``decidedBy``).

Who a person is, the same on every channel (:func:`identity_key`): the verified email address when
one is known (an API caller's Cognito ``email`` claim only when ``email_verified`` is true; a Slack
user's email as Slack reports it, see bot/identity.py), else the channel's own id. An unverified
email names nobody: anyone may type one into their profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from pydantic import ConfigDict

from handlers.core.errors import ForbiddenError, ValidationError
from handlers.core.settings import get_settings
from handlers.core.timestamps import now_iso
from handlers.core.validation import parse
from handlers.models.approval import Channel
from handlers.models.base import Model
from handlers.models.fields import Actor, is_valid_account_id

InvocationSource = Literal["api_gateway", "direct"]
ACCOUNT_CLAIM = "custom:accountId"
ACTOR_FIELDS = frozenset({"requestedBy", "decidedBy"})  # who acts, on a direct invocation

DIRECT_ACCOUNT_REQUIRED = (
    "accountId is required for direct Lambda invocation: without API Gateway there is no caller "
    "identity to take the account from, so put the 12-digit accountId in the event body"
)
NO_ACCOUNT_CLAIM = (
    f"the signed-in identity carries no {ACCOUNT_CLAIM} claim, so it may act on no account; an "
    "administrator must set that attribute on the user (a request cannot name the account itself)"
)
DIRECT_ACTOR_REQUIRED = (
    "requestedBy is required for direct invocation of this operation: it records who acted "
    "(1-128 printable characters, no markup or links; decidedBy is accepted too)"
)


class DirectActors(Model):
    """Who acts in a direct invocation; the same field rules wherever an actor is recorded."""

    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True)

    requestedBy: Actor | None = None
    decidedBy: Actor | None = None


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
    user_id: str = ""  # the Slack user id of a Slack caller (who votes, see approval_policy)
    # The caller's verified email address, when one is known: a Cognito ``email`` claim with
    # ``email_verified`` true, or the email Slack reports for a Slack user. Never set for direct
    # invocation (``decidedBy`` is whatever the invoker wrote).
    email: str = ""


def identity_key(caller: Caller) -> str:
    """The person behind ``caller``, the same on every channel: ``email:<address, lower-cased>``
    when a verified email is known, else the channel's own id (``slack:<user id>``,
    ``api:<cognito username>``, ``direct:<decidedBy>``). Votes are counted, and the starter is
    recognised, by this key."""
    if caller.email and caller.source in ("slack", "api_gateway"):
        return email_key(caller.email)
    if caller.source == "slack":
        return f"slack:{caller.user_id or caller.principal}"
    return f"{_KEY_PREFIX[caller.source]}:{caller.principal}"


# Never "email:" for anything but a verified address (an email link's holder is "link:").
_KEY_PREFIX = {"api_gateway": "api", "direct": "direct", "email": "link", "system": "system"}


def identity_keys(caller: Caller) -> tuple[str, ...]:
    """:func:`identity_key` first, then the other keys the same person may be known by on this
    channel: a Slack user's ``slack:<user id>`` (what they are when Slack does not report their
    email), so one Slack user never votes twice nor escapes the starter rule, whether or not Slack
    answered at the time."""
    key = identity_key(caller)
    if caller.source == "slack" and caller.user_id and key != f"slack:{caller.user_id}":
        return key, f"slack:{caller.user_id}"
    return (key,)


def email_key(address: str) -> str:
    return f"email:{address.strip().lower()}"


def principal_key(name: str) -> str:
    """The identity key an ``approverPrincipals`` entry names: an email address names whoever
    verified it (through any channel), anything else a Cognito username."""
    return email_key(name) if "@" in name else f"api:{name}"


_CHANNELS: dict[str, Channel] = {"direct": "direct", "slack": "slack", "email": "email"}


def channel_of(caller: Caller) -> Channel:
    """The channel a caller's decision or action is recorded under (``decidedVia``): ``direct``,
    ``slack`` and ``email`` are themselves; API Gateway and anything else is ``api``."""
    return _CHANNELS.get(caller.source, "api")


def detect_invocation_source(event: Any) -> InvocationSource:
    return "api_gateway" if isinstance(event, dict) and "requestContext" in event else "direct"


def _claims(event: dict[str, Any]) -> dict[str, Any]:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = authorizer.get("claims") or {}
    return claims if isinstance(claims, dict) else {}


def verified_email(event: dict[str, Any]) -> str:
    """The Cognito ``email`` claim of an API Gateway request when ``email_verified`` is true (the
    string ``"true"`` as API Gateway passes claims, or a boolean), else ``""``."""
    claims = _claims(event)
    email, verified = claims.get("email"), claims.get("email_verified")
    if isinstance(email, str) and email and (verified is True or str(verified).lower() == "true"):
        return email
    return ""


def caller_identity(event: dict[str, Any]) -> str | None:
    """The human (or system) behind an API Gateway request, from its Cognito claims: the verified
    email, else the Cognito username (never an unverified email: anyone may claim one)."""
    email = verified_email(event)
    if email:
        return email
    claims = _claims(event)
    for key in ("cognito:username", "username", "sub"):
        if claims.get(key):
            return str(claims[key])
    identity = (event.get("requestContext") or {}).get("identity") or {}
    return identity.get("cognitoIdentityId") or identity.get("userArn")


def get_invocation_metadata(event: dict[str, Any]) -> dict[str, Any]:
    """Source, time, request id, API id and caller identity, for logs and audit."""
    source = detect_invocation_source(event)
    metadata: dict[str, Any] = {
        "invocation_source": source,
        "timestamp": now_iso(),
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


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def claimed_account(event: dict[str, Any]) -> str:
    """The account of an API Gateway caller: its verified claim, or a 403 if it has none."""
    claimed = _claims(event).get(ACCOUNT_CLAIM)
    if not isinstance(claimed, str) or not claimed:
        raise ForbiddenError(NO_ACCOUNT_CLAIM)
    return claimed


def validate_account_context_for_invocation(
    event: dict[str, Any], body: dict[str, Any], *, default_account_id: str | None = None
) -> AccountContextDict:
    """Return the account context for this request or raise :class:`ValidationError` (or
    :class:`ForbiddenError` for an API Gateway identity without an account claim).

    ``default_account_id`` (the function's own account) is used for direct invocations only when
    the ``REQUIRE_ACCOUNT_ID_FOR_DIRECT_INVOCATION`` flag is off."""
    settings = get_settings()
    requested = body.get("accountId")
    if detect_invocation_source(event) == "direct":
        if requested is not None and not isinstance(requested, str):
            raise ValidationError("accountId must be a string of exactly 12 digits")
        account_id = requested
        if not account_id:
            if settings.require_account_id_for_direct_invocation or not default_account_id:
                raise ValidationError(DIRECT_ACCOUNT_REQUIRED)
            account_id = default_account_id
    else:
        # Isolation, not format: ENABLE_ACCOUNT_CONTEXT_VALIDATION never lets a caller leave its account.
        account_id = claimed_account(event)
        if requested and requested != account_id:
            raise ValidationError("accountId must be the account of the signed-in caller")
    if settings.enable_account_context_validation and not is_valid_account_id(account_id):
        raise ValidationError(f"accountId must be exactly 12 digits, got {account_id[:40]!r}")
    return AccountContextDict(
        accountId=account_id,
        assumeRoleName=_text(body.get("assumeRoleName")),
        externalId=_text(body.get("externalId")),
    )


def direct_actor(body: dict[str, Any], *, required: bool) -> str | None:
    """``requestedBy`` (or ``decidedBy``) of a direct invocation, checked as an :data:`Actor`."""
    actors = parse(DirectActors, body)
    if actors.requestedBy and actors.decidedBy and actors.requestedBy != actors.decidedBy:
        raise ValidationError("give requestedBy or decidedBy, not two different names")
    actor = actors.requestedBy or actors.decidedBy
    if actor is None and required:
        raise ValidationError(DIRECT_ACTOR_REQUIRED)
    return actor


def caller_for_invocation(
    event: dict[str, Any],
    body: dict[str, Any],
    *,
    default_account_id: str | None = None,
    actor_required: bool = False,
) -> Caller:
    """The caller of a REST request (identity from the claims) or of a direct invocation (identity
    from ``requestedBy``/``decidedBy``, required when ``actor_required``)."""
    context = validate_account_context_for_invocation(event, body, default_account_id=default_account_id)
    source = detect_invocation_source(event)
    if source == "api_gateway":
        named = sorted(ACTOR_FIELDS & body.keys())
        if named:  # the signed-in caller acts; nobody names someone else through the API
            raise ValidationError(f"{named[0]} is the signed-in caller here; leave it out of the request")
        principal = caller_identity(event) or "api-user"
        email = verified_email(event)
    else:
        principal = direct_actor(body, required=actor_required) or "direct-invocation"
        email = ""
    return Caller(account_id=context["accountId"], principal=principal, source=source, email=email)
