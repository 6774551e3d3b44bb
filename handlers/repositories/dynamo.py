"""What every repository shares: ClientError → domain error mapping, pagination tokens, and
turning pydantic models into items."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

from handlers.core.errors import ConflictError, DomainError, ValidationError
from handlers.models.base import STORED

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of models and the opaque token of the next (None on the last page). How a page is
    shown to a caller is the entry points' business (``handlers.entry.operations.list_response``)."""

    items: list[T]
    next_token: str | None = None


@contextlib.contextmanager
def dynamo_errors(conflict_message: str = "the item was changed by someone else") -> Iterator[None]:
    """Map DynamoDB client errors to domain errors: a failed condition is a conflict."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in {"ConditionalCheckFailedException", "TransactionCanceledException"}:
            raise ConflictError(conflict_message) from exc
        if code == "ValidationException":
            raise ValidationError("the request could not be applied to the table") from exc
        raise DomainError("the data store failed; try again") from exc


def conditional_update(write: Callable[[], Any]) -> dict[str, Any] | None:
    """Run a conditional write: its response if it happened, None if its condition failed.
    Other errors are mapped as in :func:`dynamo_errors`."""
    try:
        response: dict[str, Any] = write() or {}
        return response
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return None
        with dynamo_errors():
            raise


def conditional_write(write: Callable[[], Any]) -> bool:
    """Run a conditional write: True if it happened, False if its condition failed."""
    return conditional_update(write) is not None


def to_item(model: BaseModel) -> dict[str, Any]:
    """A model as a DynamoDB item: JSON types, no empty optional keys."""
    return {k: v for k, v in model.model_dump(mode="json", context={STORED: True}).items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB numbers come back as Decimal: make them ints again."""
    plain: dict[str, Any] = json.loads(
        json.dumps(item, default=lambda d: int(d) if isinstance(d, Decimal) else str(d))
    )
    return plain


def encode_token(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(from_item(key)).encode()).decode()


def decode_token(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("nextToken is not a token this API issued") from exc
    if not isinstance(key, dict) or not all(isinstance(v, str) for v in key.values()):
        raise ValidationError("nextToken is not a token this API issued")
    return key


ACCOUNT_INDEX = "accountId-index"


def query_account(
    table: Any, account_id: str, *, limit: int, token: str | None, newest_first: bool = False
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of an account's items through the ``accountId`` index."""
    from boto3.dynamodb.conditions import Key

    kwargs: dict[str, Any] = {
        "IndexName": ACCOUNT_INDEX,
        "KeyConditionExpression": Key("accountId").eq(account_id),
        "Limit": limit,
        "ScanIndexForward": not newest_first,
    }
    start = decode_token(token)
    if start:
        if start.get("accountId") != account_id:
            raise ValidationError("nextToken is not a token this API issued")
        kwargs["ExclusiveStartKey"] = start
    with dynamo_errors():
        response = table.query(**kwargs)
    return [from_item(i) for i in response.get("Items", [])], encode_token(response.get("LastEvaluatedKey"))


def query_all_of_account(table: Any, account_id: str) -> list[dict[str, Any]]:
    """Every item of an account (for rule checks such as "which plans use this group")."""
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page, token = query_account(table, account_id, limit=500, token=token)
        items.extend(page)
        if not token:
            return items


def scan_all(table: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    while True:
        with dynamo_errors():
            response = table.scan(**kwargs)
        items.extend(from_item(i) for i in response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return items
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def set_expression(fields: dict[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """``SET #a = :a, ...`` for ``fields``, whose names come from code (model fields), never requests."""
    names = {f"#{k}": k for k in fields}
    values = {f":{k}": v for k, v in fields.items()}
    return "SET " + ", ".join(f"#{k} = :{k}" for k in fields), names, values


def expected_version(what: str, current: int, requested: int | None) -> int:
    """Optimistic locking: the version the caller last saw (defaults to the stored one); a stale
    one is a 409, never a silent overwrite. ``what`` names the item, e.g. "recovery plan p-1"."""
    expected = requested or current
    if expected != current:
        raise ConflictError(f"{what} is at version {current}, not {expected}; reload it and try again")
    return expected
