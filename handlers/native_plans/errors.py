"""How a DRS failure reads to the caller of a native plan operation."""

from __future__ import annotations

from handlers.aws import drs
from handlers.core.errors import DomainError


class DrsUnavailableError(DomainError):
    """DRS refused or did not answer (after botocore's retries): nothing here is the caller's input."""

    code = "DRS_ERROR"
    status = 502


def drs_failed(exc: drs.DrsCallError, what: str) -> DrsUnavailableError:
    return DrsUnavailableError(f"{what} could not be read from DRS: {exc}")
