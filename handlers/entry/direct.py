"""Direct invocation of the api Lambda: ``{"operation": "<name>", "body": {...}}``.

Success returns the result object itself; failure returns ``{"error", "message"}``
(docs/architecture.md, 3.1).
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from handlers.accounts.account_context import caller_for_invocation
from handlers.core.errors import DomainError, ForbiddenError, ValidationError
from handlers.core.observability import count, logger
from handlers.core.validation import check_nesting, parse
from handlers.entry.operations import ACTOR_OPERATIONS, OPERATIONS, run
from handlers.models.base import Model


class DirectEvent(Model):
    model_config = ConfigDict(extra="ignore")

    operation: str = Field(min_length=1, max_length=64)
    body: dict[str, Any] = Field(default_factory=dict)


def handle(event: Any, default_account_id: str | None = None) -> Any:
    try:
        check_nesting(event, "the event")
        request = parse(DirectEvent, event)
        if request.operation not in OPERATIONS:
            raise ValidationError(
                f"unknown operation {request.operation[:64]!r}; valid operations: {', '.join(OPERATIONS)}"
            )
        try:
            caller = caller_for_invocation(
                event,
                request.body,
                default_account_id=default_account_id,
                actor_required=request.operation in ACTOR_OPERATIONS,
            )
        except (ValidationError, ForbiddenError):
            count("AccountValidationErrors")
            raise
        return run(request.operation, caller, request.body)
    except DomainError as exc:
        return error_body(exc)
    except Exception:
        logger.exception("direct invocation failed")
        return {"error": "INTERNAL_ERROR", "message": "an internal error occurred; see the function's logs"}


def error_body(exc: DomainError) -> dict[str, object]:
    return exc.body()
