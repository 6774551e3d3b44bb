"""Build Lambda events from the JSON fixtures in tests/events."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

EVENTS = Path(__file__).resolve().parents[1] / "events"


@cache
def _fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def fixture(name: str) -> dict[str, Any]:
    return copy.deepcopy(_fixture(name))


def api_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    account: str | None = "111111111111",
    user: str = "oncall@example.com",
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event; ``account=None`` drops the Cognito account claim. ``user``
    is the verified ``email`` claim, or (without an ``@``) the ``cognito:username``."""
    event = fixture("api_gateway_rest.json")
    parts = urlsplit(path)
    event["httpMethod"] = method
    event["path"] = parts.path
    event["requestContext"]["httpMethod"] = method
    if parts.query:
        event["queryStringParameters"] = dict(p.split("=", 1) for p in parts.query.split("&"))
    claims = event["requestContext"]["authorizer"]["claims"]
    if "@" in user:  # a Cognito user with a verified email is known by it
        claims["email"] = user
    else:  # one without is known by its username
        claims["cognito:username"] = user
        del claims["email"], claims["email_verified"]
    if account is None:
        claims.pop("custom:accountId")
    else:
        claims["custom:accountId"] = account
    if headers:
        event["headers"].update(headers)
    event["body"] = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    return event


class LambdaContext:
    function_name = "drs-chatops-api-test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:999999999999:function:drs-chatops-api-test"
    aws_request_id = "req-0001"


def call_api(method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
    """Send an API Gateway event through ``handlers.api.lambda_handler``; returns (status, json)."""
    from handlers.api import lambda_handler

    response = lambda_handler(api_event(method, path, body, **kwargs), LambdaContext())
    payload = response.get("body")
    return response["statusCode"], json.loads(payload) if payload else None


def get_raw(path: str, account: str = "111111111111") -> tuple[int, str, dict[str, str]]:
    """(status, body text, headers) of a REST GET whose answer may not be JSON (a report's HTML or CSV)."""
    from handlers.api import lambda_handler

    response = lambda_handler(api_event("GET", path, account=account), LambdaContext())
    headers = {k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()}
    return response["statusCode"], response.get("body") or "", {**headers, **(response.get("headers") or {})}


DIRECT_ACTOR = "runbook@example.com"


def invoke_direct(operation: str, body: dict[str, Any], *, requested_by: str | None = DIRECT_ACTOR) -> Any:
    """Direct invocation, naming ``requested_by`` as the actor (as a runbook must for operations that
    record who acted) unless the body names one or ``requested_by`` is None."""
    from handlers.api import lambda_handler

    if requested_by is not None and not {"requestedBy", "decidedBy"} & body.keys():
        body = {"requestedBy": requested_by, **body}
    return lambda_handler({"operation": operation, "body": body}, LambdaContext())


def call_page(method: str, path: str, form: str | None = None) -> tuple[int, str, dict[str, str]]:
    """An HTML route (no Cognito claims, as for email links); returns (status, body, headers)."""
    from handlers.api import lambda_handler

    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else None
    event = api_event(method, path, account=None, raw_body=form, headers=headers)
    event["requestContext"].pop("authorizer")
    response = lambda_handler(event, LambdaContext())
    flat = {k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()}
    return response["statusCode"], response.get("body") or "", {**flat, **(response.get("headers") or {})}
