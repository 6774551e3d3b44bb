"""api Lambda: the REST routes (API Gateway REST v1 proxy events) and direct invocation.

Thin by design: routing and error mapping here, everything else in ``handlers.entry.operations``."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from handlers.accounts.account_context import detect_invocation_source
from handlers.core.errors import DomainError
from handlers.core.observability import logger, metrics, tracer
from handlers.entry import direct
from handlers.entry.routes import callback, executions, group_servers, native_plans, readiness
from handlers.entry.routes.crud import crud_router

app = APIGatewayRestResolver()
app.include_router(crud_router("/protection-groups", "groupId", "protection_group"))
app.include_router(crud_router("/recovery-plans", "planId", "recovery_plan"))
app.include_router(group_servers.router)
app.include_router(executions.router)
app.include_router(readiness.router)
app.include_router(native_plans.router)
app.include_router(callback.router)


def _error(status: int, code: str, message: str) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps({"error": code, "message": message}),
    )


@app.exception_handler(DomainError)  # type: ignore[untyped-decorator]
def domain_error(exc: DomainError) -> Response[str]:
    return Response(status_code=exc.status, content_type="application/json", body=json.dumps(exc.body()))


@app.not_found
def not_found(_: Exception) -> Response[str]:
    return _error(404, "NOT_FOUND", "no such route")


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def unexpected(_: Exception) -> Response[str]:
    logger.exception("request failed")
    if app.current_event.path.endswith("/execution-callback"):  # a person in a browser
        return callback.failure_page()
    return _error(500, "INTERNAL_ERROR", "an internal error occurred; see the function's logs")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    if detect_invocation_source(event) == "direct":
        return direct.handle(event, default_account_id=_own_account(context))
    return app.resolve(event, context)


def _own_account(context: Any) -> str | None:
    arn = getattr(context, "invoked_function_arn", "") or ""
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else None
