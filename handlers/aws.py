"""Lazily created AWS clients, one per process (Lambda container).

Nothing is created at import time: cold start stays small and tests can swap endpoints.
``reset()`` drops every cached client (tests, the sandbox)."""

from __future__ import annotations

import functools
from typing import Any

from handlers.settings import get_settings


@functools.cache
def _session() -> Any:
    import boto3

    return boto3.session.Session(region_name=get_settings().aws_region)


@functools.cache
def client(service: str) -> Any:
    """A boto3 client for ``service`` in the deployment region."""
    return _session().client(service)


@functools.cache
def table(name: str) -> Any:
    """A DynamoDB ``Table`` resource for the table named by setting ``name``."""
    return _session().resource("dynamodb").Table(get_settings().require(name))


def reset() -> None:
    for cached in (_session, client, table):
        cached.cache_clear()
