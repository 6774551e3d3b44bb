"""AWS clients, created lazily (never at import time: cold start stays small, tests and the
sandbox can route calls) and from boto3's default session, so hooks registered on that session
(the sandbox's in-process Lambda and DRS emulator, test stubs) see every call the product makes.
``reset()`` drops every cached client (and the cached own account id)."""

from __future__ import annotations

import functools
import threading
from typing import Any

from handlers.core.settings import get_settings

_lock = threading.Lock()  # botocore sessions are not safe for concurrent client creation


def _default_session() -> Any:
    import boto3

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    return boto3.DEFAULT_SESSION


def new_client(service: str, **kwargs: Any) -> Any:
    """An uncached client (e.g. with assumed-role credentials or another region)."""
    kwargs.setdefault("region_name", get_settings().aws_region)
    with _lock:
        return _default_session().client(service, **kwargs)


@functools.cache
def client(service: str) -> Any:
    """A boto3 client for ``service`` in the deployment region."""
    return new_client(service)


@functools.cache
def table(name: str) -> Any:
    """A DynamoDB ``Table`` resource for the table named by setting ``name``."""
    with _lock:
        resource = _default_session().resource("dynamodb", region_name=get_settings().aws_region)
    return resource.Table(get_settings().require(name))


@functools.cache
def own_account_id() -> str:
    """The account this deployment runs in: the one its own credentials act in, asked of STS
    (``GetCallerIdentity`` needs no IAM permission) once per container."""
    return str(client("sts").get_caller_identity()["Account"])


def reset() -> None:
    for cached in (client, table, own_account_id):
        cached.cache_clear()
