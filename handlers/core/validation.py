"""Turn pydantic's errors into one readable sentence that names the fields."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import pydantic

from handlers.core.errors import ValidationError

M = TypeVar("M", bound=pydantic.BaseModel)

# Deeper than any document the API takes (an import document is about 6 levels); a limit so that a
# body of 50,000 nested brackets is a clear 400, not a RecursionError somewhere downstream.
MAX_NESTING = 32


def check_nesting(value: Any, what: str = "the request body", limit: int = MAX_NESTING) -> None:
    """Refuse ``value`` (parsed JSON) if its objects and arrays nest more than ``limit`` deep.
    Iterative, so the check itself cannot exhaust the stack."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            raise ValidationError(f"{what} nests objects and arrays deeper than {limit} levels")
        stack.extend((child, depth + 1) for child in children)


def loads_object(raw: str, what: str = "the request body") -> dict[str, Any]:
    """Parse ``raw`` as one JSON object of bounded nesting, or raise a 400 that says what is wrong."""
    try:
        parsed = json.loads(raw)
    except RecursionError as exc:
        raise ValidationError(f"{what} nests objects and arrays deeper than {MAX_NESTING} levels") from exc
    except ValueError as exc:
        raise ValidationError(f"{what} is not valid JSON") from exc
    if not isinstance(parsed, dict):
        raise ValidationError(f"{what} must be a JSON object")
    check_nesting(parsed, what)
    return parsed


def describe(exc: pydantic.ValidationError, *, limit: int = 5) -> str:
    seen: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        location = ".".join(str(p) for p in error["loc"] if not _is_union_branch(p)) or "body"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "is not a field you can set here"
        elif error["type"] == "missing":
            message = "is required"
        seen.setdefault(location, message.removeprefix("Value error, "))
    parts = [f"{loc}: {msg}" for loc, msg in list(seen.items())[:limit]]
    more = len(seen) - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _is_union_branch(part: Any) -> bool:
    """pydantic names union members in the location (``str``, ``literal['']``); callers don't care."""
    return isinstance(part, str) and (part in {"str", "int", "function-after[_email(), str]"} or "[" in part)


def parse(model: type[M], data: Any) -> M:
    """Validate ``data`` against ``model`` or raise a 400 naming the offending fields."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationError(describe(exc)) from exc
