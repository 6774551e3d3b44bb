"""Turn pydantic's errors into one readable sentence that names the fields."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic

from handlers.errors import ValidationError

M = TypeVar("M", bound=pydantic.BaseModel)


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
