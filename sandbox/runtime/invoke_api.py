"""The Lambda Invoke API (``POST /2015-03-31/functions/{name}/invocations``), answered by the
function's worker processes (:mod:`sandbox.runtime.lambdas`). Shared by the botocore hook (moto's Step
Functions engine calling ``lambda.Invoke`` in the sandbox process) and by the sandbox's web port
(the workers' own ``lambda.Invoke``, e.g. Bolt's lazy listeners; ``aws lambda invoke --endpoint-url``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.awsrequest import AWSPreparedRequest

from sandbox.runtime.lambdas import LambdaRuntime

PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
Answer = tuple[int, dict[str, str], bytes]


def function_name_from_path(path: str) -> str | None:
    match = PATH.match(urlsplit(path).path)
    return unquote(match.group("name")) if match else None


def invoke(runtime: LambdaRuntime, name: str, body: bytes, invocation_type: str | None) -> Answer:
    try:
        event: Any = json.loads(body) if body.strip() else {}
    except (ValueError, RecursionError):  # RecursionError: brackets nested deeper than json can read
        return _error(400, "InvalidRequestContentException", "Could not parse request body into json")
    try:
        runtime.config(name)
    except Exception:
        return _error(404, "ResourceNotFoundException", f"Function not found: {name}")
    if invocation_type == "DryRun":
        return 204, {}, b""
    if invocation_type == "Event":
        runtime.invoke_async(name, event)
        return 202, {}, b""
    result = runtime.invoke(name, event)
    headers = {"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"}
    if result.function_error:
        headers["X-Amz-Function-Error"] = result.function_error
    return 200, headers, result.payload


def responder(runtime: LambdaRuntime) -> Callable[[str, AWSPreparedRequest], Answer | None]:
    """A :mod:`sandbox.emulators.hooks` responder for the ``lambda`` service: ``Invoke`` only."""

    def respond(operation: str, request: AWSPreparedRequest) -> Answer | None:
        if operation != "Invoke":
            return None
        name = function_name_from_path(request.url)
        if name is None:
            return None
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):
            body = body.read()
        return invoke(runtime, name, body, request.headers.get("X-Amz-Invocation-Type"))

    return respond


def _error(status: int, code: str, message: str) -> Answer:
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code}
    return status, headers, json.dumps({"Type": "User", "message": message}).encode()
