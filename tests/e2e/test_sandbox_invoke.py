"""Direct invocation of the api Lambda through the sandbox's Lambda Invoke API, with boto3."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import RunningSandbox

pytestmark = pytest.mark.e2e


def invoke(sandbox: RunningSandbox, event: dict[str, object]) -> tuple[dict[str, object], object]:
    response = sandbox.lambda_client().invoke(
        FunctionName=sandbox.info["functions"]["api"], Payload=json.dumps(event).encode()
    )
    return response, json.loads(response["Payload"].read())


def test_direct_invocation_with_account_id_returns_the_result_itself(sandbox: RunningSandbox) -> None:
    account = sandbox.info["accounts"][0]

    response, payload = invoke(
        sandbox, {"operation": "list_protection_groups", "body": {"accountId": account}}
    )

    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert isinstance(payload, dict)
    assert {g["accountId"] for g in payload["items"]} == {account}
    assert len(payload["items"]) >= 3  # the seeded demo groups


def test_direct_invocation_without_account_id_says_it_is_required(sandbox: RunningSandbox) -> None:
    response, payload = invoke(sandbox, {"operation": "list_protection_groups", "body": {}})

    assert response["StatusCode"] == 200
    assert isinstance(payload, dict)
    assert payload["error"] == "VALIDATION_ERROR"
    assert "accountId is required" in str(payload["message"])


def test_invoking_an_unknown_function_is_resource_not_found(sandbox: RunningSandbox) -> None:
    client = sandbox.lambda_client()

    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="no-such-function", Payload=b"{}")
