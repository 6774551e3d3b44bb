"""Business rules shared by several services: plain functions, testable without AWS."""

from __future__ import annotations

from handlers.core.errors import ConflictError


def expected_version(what: str, current: int, requested: int | None) -> int:
    """Optimistic locking: the version the caller last saw (defaults to the stored one); a stale
    one is a 409, never a silent overwrite. ``what`` names the item, e.g. "recovery plan p-1"."""
    expected = requested or current
    if expected != current:
        raise ConflictError(f"{what} is at version {current}, not {expected}; reload it and try again")
    return expected
