"""Make the AWS emulator keep the guarantees real AWS gives and the product relies on.

moto's DynamoDB does not make a conditional write atomic across threads: measured, 20 threads racing
one ``PENDING -> DECIDED`` conditional update produced two winners in 1 trial of 30. Real DynamoDB
never does. Rather than weaken the product's checks to suit the emulator, every mutating call of
moto's DynamoDB backend is serialized under one lock, so condition check and write happen together
as they do in AWS. So is every whole DynamoDB request: moto turns an item into its response after
the backend call returns, and a concurrent write to the same item then broke that with
"dictionary changed size during iteration" (seen in a racing-plans test); real DynamoDB reads and
returns an item atomically. SNS: see :func:`make_sns_subscriptions_like_aws`. Used by the tests and by the
sandbox.
"""

from __future__ import annotations

import functools
import json
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # moto is imported at run time only once the embedded AWS has set it up
    from moto.core.responses import ActionResult

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
    from moto.dynamodb.responses import DynamoHandler

    original_call = DynamoHandler.call_action

    @functools.wraps(original_call)
    def call_serialized(self: Any) -> Any:
        with _lock:
            return original_call(self)

    setattr(DynamoHandler, "call_action", call_serialized)  # noqa: B010
    _installed = True


_sns_installed = False
_ALREADY_EXISTS = (
    "Invalid parameter: Attributes Reason: Subscription already exists with different attributes"
)


def make_sns_subscriptions_like_aws() -> None:
    """Idempotent: make moto's SNS keep two promises of real SNS the product designs around.

    One subscription per (topic, protocol, endpoint): moto returns the existing subscription and
    then silently overwrites its attributes (so a second plan's filter policy replaced the first's);
    SNS refuses a subscribe with different attributes. And filter policies match the way SNS
    matches them: a string rule equals a ``String`` attribute's value or one element of a
    ``String.Array`` attribute, where moto also matches strings found inside a JSON ``String``.
    """
    global _sns_installed
    if _sns_installed:
        return
    from moto.sns.exceptions import SNSInvalidParameter
    from moto.sns.responses import SNSResponse
    from moto.sns.utils import FilterPolicyMatcher

    original_subscribe = SNSResponse.subscribe
    original_field_match = FilterPolicyMatcher._field_match

    def subscribe(self: SNSResponse) -> ActionResult:
        existing = self.backend._find_subscription(
            self._get_param("TopicArn"), self._get_param("Endpoint"), self._get_param("Protocol")
        )
        if existing is not None and _differs(existing.attributes, self._get_attributes() or {}):
            raise SNSInvalidParameter(_ALREADY_EXISTS)
        return original_subscribe(self)

    def attributes_match(message_attributes: dict[str, Any], source: dict[str, Any]) -> bool:
        return all(
            _string_rules_match(field, rules, message_attributes)
            if isinstance(rules, list) and all(isinstance(rule, str) for rule in rules)
            else original_field_match(field, rules, message_attributes)
            for field, rules in source.items()
        )

    # Patched on the classes (setattr: mypy rightly refuses assigning to a method otherwise).
    setattr(SNSResponse, "subscribe", subscribe)  # noqa: B010
    setattr(FilterPolicyMatcher, "_attributes_based_match", staticmethod(attributes_match))  # noqa: B010
    _sns_installed = True


def _differs(existing: dict[str, Any], requested: dict[str, Any]) -> bool:
    for name, value in requested.items():
        have = existing.get(name, "MessageAttributes" if name == "FilterPolicyScope" else None)
        if name == "FilterPolicy":
            if (json.loads(have) if have else None) != (json.loads(value) if value else None):
                return True
        elif str(have).lower() != str(value).lower():
            return True
    return False


def _string_rules_match(field: str, rules: list[str], attributes: dict[str, Any]) -> bool:
    attribute = attributes.get(field)
    if attribute is None:
        return False
    if attribute.get("Type") == "String":
        return attribute.get("Value") in rules
    if attribute.get("Type") == "String.Array":
        try:
            values = json.loads(attribute.get("Value", ""))
        except ValueError:
            return False
        return isinstance(values, list) and any(isinstance(v, str) and v in rules for v in values)
    return False
