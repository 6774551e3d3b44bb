"""The sandbox's in-process Lambda runtime: each function sees its own environment; a raising
handler becomes an ``Unhandled`` payload; the Invoke API answers as Lambda does."""

from __future__ import annotations

import json
import os
from typing import Any

from handlers.settings import get_settings
from sandbox.invoke_api import invoke
from sandbox.lambdas import LambdaRuntime

HERE = __name__


def settings_handler(event: Any, context: Any) -> dict[str, Any]:
    return {"table": get_settings().protection_groups_table, "function": context.function_name}


def raising_handler(event: Any, context: Any) -> None:
    raise RuntimeError("handler blew up")


class FakeLambda:
    def __init__(self, functions: dict[str, tuple[str, dict[str, str]]]) -> None:
        self.functions = functions

    def get_function(self, FunctionName: str) -> dict[str, Any]:
        if FunctionName not in self.functions:
            raise LookupError(FunctionName)
        handler, variables = self.functions[FunctionName]
        return {
            "Configuration": {
                "FunctionName": FunctionName,
                "FunctionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{FunctionName}",
                "Handler": handler,
                "Environment": {"Variables": variables},
                "Timeout": 10,
            }
        }


def runtime() -> LambdaRuntime:
    return LambdaRuntime(
        FakeLambda(
            {
                "one": (f"{HERE}.settings_handler", {"PROTECTION_GROUPS_TABLE": "table-one"}),
                "two": (f"{HERE}.settings_handler", {"PROTECTION_GROUPS_TABLE": "table-two"}),
                "boom": (f"{HERE}.raising_handler", {}),
            }
        ),
        endpoint="http://127.0.0.1:1",
    )


def test_each_function_runs_with_its_own_environment() -> None:
    sandbox_runtime = runtime()
    before = os.environ.get("PROTECTION_GROUPS_TABLE")

    one = json.loads(sandbox_runtime.invoke("one", {}).payload)
    two = json.loads(sandbox_runtime.invoke("two", {}).payload)

    assert one == {"table": "table-one", "function": "one"}
    assert two == {"table": "table-two", "function": "two"}
    assert os.environ.get("PROTECTION_GROUPS_TABLE") == before


def test_a_raising_handler_is_an_unhandled_function_error() -> None:
    status, headers, body = invoke(runtime(), "boom", b"{}", None)

    assert status == 200
    assert headers["X-Amz-Function-Error"] == "Unhandled"
    assert json.loads(body)["errorMessage"] == "handler blew up"


def test_an_unknown_function_is_resource_not_found() -> None:
    status, headers, _ = invoke(runtime(), "nope", b"{}", None)

    assert status == 404
    assert headers["x-amzn-ErrorType"] == "ResourceNotFoundException"


def test_an_event_invocation_is_accepted_and_runs_later() -> None:
    sandbox_runtime = runtime()

    status, _, body = invoke(sandbox_runtime, "one", b"{}", "Event")
    sandbox_runtime.join()

    assert (status, body) == (202, b"")
