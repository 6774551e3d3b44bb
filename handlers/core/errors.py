"""Domain errors. Each carries the API error code and HTTP status it maps to, so entry points map
errors in one place (by type, never by message)."""

from __future__ import annotations


class DomainError(Exception):
    code = "INTERNAL_ERROR"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, object]:
        """The error as REST and direct invocation answer it."""
        return {"error": self.code, "message": self.message}


class ValidationError(DomainError):
    code = "VALIDATION_ERROR"
    status = 400


class ForbiddenError(DomainError):
    """The caller's identity does not allow the request at all (no account claim)."""

    code = "FORBIDDEN"
    status = 403


class NotFoundError(DomainError):
    code = "NOT_FOUND"
    status = 404


class ConflictError(DomainError):
    code = "CONFLICT"
    status = 409


class PayloadTooLargeError(DomainError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413


class GoneError(DomainError):
    """The thing existed but is no longer actionable (an expired approval)."""

    code = "GONE"
    status = 410


class NotReadyError(DomainError):
    """A start refused because readiness checks FAIL; ``checks`` are the failing ones (dicts as the
    API shows them)."""

    code = "NOT_READY"
    status = 409

    def __init__(self, message: str, checks: list[dict[str, object]]) -> None:
        super().__init__(message)
        self.checks = checks

    def body(self) -> dict[str, object]:
        return {**super().body(), "checks": self.checks}
