"""Hostile and malformed input: stored verbatim or refused clearly, never executed, never a crash."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ACCOUNT_A
from tests.support.data import group_body
from tests.support.events import call_api, invoke_direct

PAYLOADS = [
    "'; DROP TABLE groups; --",
    '{"$ne": null}',
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "attribute_not_exists(groupId) OR 1=1",
    "#version = :v",
]


@pytest.mark.parametrize("name", PAYLOADS)
def test_injection_shaped_names_are_stored_verbatim(aws, name):
    status, group = call_api("POST", "/protection-groups", group_body(name))
    assert status == 201
    assert call_api("GET", f"/protection-groups/{group['groupId']}")[1]["groupName"] == name


def test_an_oversized_body_is_413_not_a_crash(aws):
    body = json.dumps({"groupName": "x", "description": "y" * (300 * 1024), "sourceServerIds": []})
    status, error = call_api("POST", "/protection-groups", raw_body=body)
    assert status == 413 and error["error"] == "PAYLOAD_TOO_LARGE"


def test_invalid_json_is_a_400(aws):
    status, error = call_api("POST", "/protection-groups", raw_body="{not json")
    assert status == 400 and "not valid JSON" in error["message"]


def test_a_json_array_body_is_a_400(aws):
    status, error = call_api("POST", "/protection-groups", raw_body="[1, 2]")
    assert status == 400 and "JSON object" in error["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("groupName", 42), ("sourceServerIds", "s-0123456789abcdef0"), ("description", ["a"]), ("region", 7)],
)
def test_wrong_json_types_are_a_400_naming_the_field(aws, field, value):
    status, error = call_api("POST", "/protection-groups", {**group_body(), field: value})
    assert status == 400 and error["error"] == "VALIDATION_ERROR"
    assert field in error["message"]


@pytest.mark.parametrize("name", ["", " ", "x" * 256, "tab\there", "nul\x00byte", "bell\x07"])
def test_bad_names_are_refused(aws, name):
    status, error = call_api("POST", "/protection-groups", group_body(name))
    assert status == 400 and "groupName" in error["message"]


@pytest.mark.parametrize(
    "server", ["s-123", "S-0123456789ABCDEF0", "i-0123456789abcdef0", "s-0123456789abcdef0 "]
)
def test_malformed_source_server_ids_are_refused(aws, server):
    status, error = call_api("POST", "/protection-groups", {"groupName": "G", "sourceServerIds": [server]})
    assert status == 400 and "sourceServerIds" in error["message"]


def test_duplicate_source_servers_are_refused_naming_them(aws):
    server = "s-0123456789abcdef0"
    status, error = call_api(
        "POST", "/protection-groups", {"groupName": "G", "sourceServerIds": [server, server]}
    )
    assert status == 400 and server in error["message"]


def test_an_unknown_operation_lists_the_valid_ones(aws):
    result = invoke_direct("drop_everything", {"accountId": "111111111111"})
    assert result["error"] == "VALIDATION_ERROR" and "create_protection_group" in result["message"]


def test_a_direct_event_without_operation_is_a_validation_error(aws):
    from handlers.api import lambda_handler
    from tests.support.events import LambdaContext

    result = lambda_handler({"body": {"accountId": "111111111111"}}, LambdaContext())
    assert result["error"] == "VALIDATION_ERROR" and "operation" in result["message"]


def test_an_unknown_route_is_a_json_404(aws):
    status, error = call_api("GET", "/admin")
    assert status == 404 and error["error"] == "NOT_FOUND"


def test_a_bad_next_token_is_a_400(aws):
    status, error = call_api("GET", "/protection-groups?nextToken=%%%garbage")
    assert status == 400 and "nextToken" in error["message"]


def _nested(depth: int = 50_000) -> list[object]:
    value: list[object] = []
    for _ in range(depth):
        value = [value]
    return value


DEEP_BRACKETS = "[" * 50_000 + "]" * 50_000


@pytest.mark.parametrize(
    "raw", [DEEP_BRACKETS, '{"groupName": ' + DEEP_BRACKETS + "}", '{"a":' * 40 + "1" + "}" * 40]
)
def test_deeply_nested_json_through_rest_is_a_400_not_a_500(aws, raw):
    # Given a body that nests objects or arrays far deeper than any request of the API
    # When it is posted through API Gateway
    status, error = call_api("POST", "/protection-groups", raw_body=raw)
    # Then it is refused clearly
    assert status == 400 and error["error"] == "VALIDATION_ERROR"
    assert "nests objects and arrays deeper than" in error["message"]


@pytest.mark.parametrize("key", ["accountId", "requestedBy", "groupName", "assumeRoleName"])
def test_deeply_nested_values_through_direct_invocation_are_a_validation_error(aws, key):
    result = invoke_direct(
        "create_protection_group", {"accountId": ACCOUNT_A, **group_body(), key: _nested()}
    )
    assert result["error"] == "VALIDATION_ERROR" and "nests objects and arrays deeper" in result["message"]


def test_deeply_nested_brackets_to_the_lambda_invoke_api_are_a_400():
    from sandbox.runtime.invoke_api import invoke

    status, headers, _ = invoke(None, "api", DEEP_BRACKETS.encode(), None)  # type: ignore[arg-type]
    assert status == 400 and headers["x-amzn-ErrorType"] == "InvalidRequestContentException"
