"""The sandbox's Lambda runtime: every function runs in worker processes of its own, its
environment fixed at start; invocations of different functions, and of one function, overlap;
warm workers are reused; a raising handler is an ``Unhandled`` payload; the Invoke API answers as
Lambda does. (Workers are local processes on pipes: no network.)"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from sandbox.runtime.invoke_api import invoke
from sandbox.runtime.lambdas import LambdaRuntime

HANDLERS = "tests.support.lambda_handlers"
AWS_ENVIRONMENT = {"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_REGION": "us-east-1"}


class FakeLambda:
    """``get_function`` as moto answers it for the functions a template deploys."""

    def __init__(self, functions: dict[str, tuple[str, dict[str, str], int]]) -> None:
        self.functions = functions

    def get_function(self, FunctionName: str) -> dict[str, Any]:
        if FunctionName not in self.functions:
            raise LookupError(FunctionName)
        handler, variables, timeout = self.functions[FunctionName]
        return {
            "Configuration": {
                "FunctionName": FunctionName,
                "FunctionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{FunctionName}",
                "Handler": f"{HANDLERS}.{handler}",
                "Environment": {"Variables": variables},
                "Timeout": timeout,
            }
        }


FUNCTIONS = {
    "one": ("settings_handler", {"PROTECTION_GROUPS_TABLE": "table-one"}, 10),
    "two": ("settings_handler", {"PROTECTION_GROUPS_TABLE": "table-two", "DRS_POLL_SECONDS": "9"}, 10),
    "env": ("environment_handler", {"FROM_TEMPLATE": "template"}, 10),
    "count": ("counting_handler", {}, 10),
    "sleep-a": ("sleeping_handler", {}, 10),
    "sleep-b": ("sleeping_handler", {}, 10),
    "short": ("sleeping_handler", {}, 1),
    "boom": ("raising_handler", {}, 10),
}


@pytest.fixture
def runtime() -> Iterator[LambdaRuntime]:
    sandbox_runtime = LambdaRuntime(
        FakeLambda(FUNCTIONS), AWS_ENVIRONMENT, defaults={"DRS_POLL_SECONDS": "2"}, cap=2
    )
    yield sandbox_runtime
    sandbox_runtime.stop()


def run(runtime: LambdaRuntime, name: str, event: Any = None) -> Any:
    result = runtime.invoke(name, event or {})
    assert result.function_error is None, result.payload
    return json.loads(result.payload)


def in_parallel(runtime: LambdaRuntime, *calls: tuple[str, Any]) -> list[Any]:
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: run(runtime, *call), calls))


def overlap(first: dict[str, float], second: dict[str, float]) -> float:
    return min(first["ended"], second["ended"]) - max(first["started"], second["started"])


def test_each_function_runs_with_its_own_environment(runtime: LambdaRuntime) -> None:
    before = os.environ.get("PROTECTION_GROUPS_TABLE")

    one, two = in_parallel(runtime, ("one", {}), ("two", {}))

    assert one == {"table": "table-one", "function": "one"}
    assert two == {"table": "table-two", "function": "two"}
    assert os.environ.get("PROTECTION_GROUPS_TABLE") == before


def test_a_worker_environment_is_the_template_the_aws_endpoints_and_the_runtime_only(
    runtime: LambdaRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANDBOX_PROCESS_ONLY", "leak")
    names = ["FROM_TEMPLATE", "DRS_POLL_SECONDS", "AWS_ENDPOINT_URL", "AWS_LAMBDA_FUNCTION_NAME"]

    seen = run(runtime, "env", {"names": [*names, "SANDBOX_PROCESS_ONLY"]})

    assert seen == {
        "FROM_TEMPLATE": "template",
        "DRS_POLL_SECONDS": "2",  # the sandbox default, beneath the template's variables
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
        "AWS_LAMBDA_FUNCTION_NAME": "env",
        "SANDBOX_PROCESS_ONLY": None,
    }


def test_a_template_variable_wins_over_the_sandbox_default(runtime: LambdaRuntime) -> None:
    assert runtime.config("two").environment["DRS_POLL_SECONDS"] == "9"


def test_two_functions_run_at_the_same_time(runtime: LambdaRuntime) -> None:
    run(runtime, "sleep-a", {"seconds": 0})  # warm both, so the overlap is not a cold start's
    run(runtime, "sleep-b", {"seconds": 0})

    a, b = in_parallel(runtime, ("sleep-a", {"seconds": 1}), ("sleep-b", {"seconds": 1}))

    assert overlap(a, b) > 0.5


def test_two_invocations_of_one_function_run_at_the_same_time_in_two_workers(
    runtime: LambdaRuntime,
) -> None:
    first, second = in_parallel(runtime, ("sleep-a", {"seconds": 1}), ("sleep-a", {"seconds": 1}))

    assert first["pid"] != second["pid"]
    assert overlap(first, second) > 0.5


def test_a_function_never_has_more_workers_than_its_cap(runtime: LambdaRuntime) -> None:
    calls = [("sleep-a", {"seconds": 0.5})] * 3  # cap is 2: the third waits for a free worker

    results = in_parallel(runtime, *calls)

    assert len({r["pid"] for r in results}) == 2
    ordered = sorted(results, key=lambda r: r["started"])
    assert ordered[2]["started"] >= min(r["ended"] for r in ordered[:2])


def test_a_warm_worker_is_reused_with_its_module_state(runtime: LambdaRuntime) -> None:
    first = run(runtime, "count")
    second = run(runtime, "count")

    assert second["pid"] == first["pid"]
    assert (first["invocations"], second["invocations"]) == (1, 2)


def test_a_timed_out_invocation_is_an_error_and_its_worker_is_replaced(runtime: LambdaRuntime) -> None:
    before = run(runtime, "short", {"seconds": 0})["pid"]

    result = runtime.invoke("short", {"seconds": 3})
    after = run(runtime, "short", {"seconds": 0})["pid"]

    assert result.function_error == "Unhandled"
    assert "Task timed out after 1.00 seconds" in json.loads(result.payload)["errorMessage"]
    assert after != before


def test_a_raising_handler_is_an_unhandled_function_error(runtime: LambdaRuntime) -> None:
    status, headers, body = invoke(runtime, "boom", b"{}", None)

    assert status == 200
    assert headers["X-Amz-Function-Error"] == "Unhandled"
    assert json.loads(body)["errorMessage"] == "handler blew up"


def test_an_unknown_function_is_resource_not_found(runtime: LambdaRuntime) -> None:
    status, headers, _ = invoke(runtime, "nope", b"{}", None)

    assert status == 404
    assert headers["x-amzn-ErrorType"] == "ResourceNotFoundException"


def test_an_event_invocation_is_accepted_and_runs_later(runtime: LambdaRuntime) -> None:
    status, _, body = invoke(runtime, "count", b"{}", "Event")
    runtime.join()

    assert (status, body) == (202, b"")
    assert run(runtime, "count")["invocations"] == 2


def test_stopping_the_runtime_ends_every_worker(runtime: LambdaRuntime) -> None:
    pids = {
        r["pid"] for r in in_parallel(runtime, ("sleep-a", {"seconds": 0.2}), ("sleep-b", {"seconds": 0}))
    }

    runtime.stop()

    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped: the process is gone
