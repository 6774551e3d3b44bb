"""Route AWS calls the emulator cannot serve to in-process code:
``lambda.Invoke`` to the handler functions (moto's Lambda wants Docker) and DRS to the sandbox's
DRS emulator (moto has no DRS; see tests/support/drs.py). Both are botocore ``before-send`` hooks on boto3's default session, registered
first, so they answer before moto does."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import MockRawResponse

from sandbox.emulators.drs import DrsEmulator
from tests.support.drs import drs_emulator
from tests.support.events import LambdaContext

Handler = Callable[[dict[str, Any], Any], Any]


def _response(request: Any, status: int, body: Any, headers: dict[str, str] | None = None) -> AWSResponse:
    raw = json.dumps(body).encode()
    return AWSResponse(
        request.url, status, {"Content-Type": "application/json", **(headers or {})}, MockRawResponse(raw)
    )


def _session() -> Any:
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    return boto3.DEFAULT_SESSION


@contextmanager
def lambda_functions(functions: dict[str, Handler]) -> Iterator[list[dict[str, Any]]]:
    """While active, ``lambda.Invoke`` of a function named in ``functions`` runs it in process.
    Yields the list of invocations (function name and payload)."""
    calls: list[dict[str, Any]] = []

    def invoke(request: Any, **_: Any) -> AWSResponse | None:
        name = unquote(request.url.split("/functions/")[1].split("/")[0]).split(":function:")[-1]
        name = name.split(":")[0]
        if name not in functions:
            return None
        payload = json.loads(request.body or b"{}")
        calls.append({"function": name, "payload": payload})
        try:
            result = functions[name](payload, LambdaContext())
        except Exception as exc:  # the Lambda runtime reports any exception as a function error
            error = {"errorMessage": str(exc), "errorType": type(exc).__name__}
            return _response(request, 200, error, {"X-Amz-Function-Error": "Unhandled"})
        return _response(request, 200, result)

    events = _session().events
    events.register_first("before-send.lambda.Invoke", invoke)
    try:
        yield calls
    finally:
        events.unregister("before-send.lambda.Invoke", invoke)


@contextmanager
def drs_calls_answered(drs: DrsEmulator) -> Iterator[DrsEmulator]:
    """While active, DRS calls are answered by ``drs`` (the sandbox's emulator, tests/support/drs.py)."""
    with drs_emulator(drs, _session()):
        yield drs
