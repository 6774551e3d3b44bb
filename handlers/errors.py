"""Domain errors. Each carries the API error code and HTTP status it maps to, so entry points map
errors in one place (by type, never by message)."""

from __future__ import annotations


class DomainError(Exception):
    code = "INTERNAL_ERROR"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
