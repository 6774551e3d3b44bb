"""Helpers every route uses: body parsing with size limits, the caller, JSON responses."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Router

from handlers.accounts.account_context import caller_for_invocation
from handlers.core.errors import ForbiddenError, PayloadTooLargeError, ValidationError
from handlers.core.observability import count
from handlers.core.validation import loads_object
from handlers.entry.operations import run

MAX_BODY_BYTES = 256 * 1024


def json_body(app: APIGatewayRestResolver | Router) -> dict[str, Any]:
    raw = app.current_event.body or ""
    if len(raw.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"the request body is larger than {MAX_BODY_BYTES // 1024} KB")
    if not raw.strip():
        return {}
    return loads_object(raw)


def query(app: APIGatewayRestResolver | Router) -> dict[str, Any]:
    return dict(app.current_event.query_string_parameters or {})


def with_path_id(body: dict[str, Any], key: str, value: str) -> dict[str, Any]:
    """The id in the path is the id acted on; a different one in the body is refused."""
    if key in body and body[key] != value:
        raise ValidationError(f"{key} cannot be changed (the body says {str(body[key])[:64]!r})")
    return {**body, key: value}


def call(
    app: APIGatewayRestResolver | Router, operation: str, body: dict[str, Any], status: int = 200
) -> Response[str]:
    result = invoke(app, operation, body)
    return Response(status_code=status, content_type="application/json", body=json.dumps(result))


def invoke(app: APIGatewayRestResolver | Router, operation: str, body: dict[str, Any]) -> Any:
    """Run ``operation`` as the request's caller; the result as the operation returns it."""
    try:
        caller = caller_for_invocation(app.current_event.raw_event, body)
    except (ValidationError, ForbiddenError):
        count("AccountValidationErrors")
        raise
    return run(operation, caller, body)
