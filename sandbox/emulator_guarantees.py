"""Make the AWS emulator keep the guarantees real AWS gives and the product relies on.

moto's DynamoDB does not make a conditional write atomic across threads: measured, 20 threads racing
one ``PENDING -> DECIDED`` conditional update produced two winners in 1 trial of 30. Real DynamoDB
never does. Rather than weaken the product's checks to suit the emulator, every mutating call of
moto's DynamoDB backend is serialized under one lock, so condition check and write happen together
as they do in AWS. Used by the tests and by the sandbox.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_MUTATING = (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "batch_write_item",
    "execute_transaction",
)
_lock = threading.RLock()
_installed = False


def make_dynamodb_writes_atomic() -> None:
    """Idempotent: patch moto's DynamoDB backend once per process."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend

    for name in _MUTATING:
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def serialized(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _lock:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, serialized)
    _installed = True
