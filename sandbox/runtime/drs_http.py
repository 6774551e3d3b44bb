"""The simulated DRS over HTTP, at ``/_sandbox/drs/...`` on the sandbox's web port.

Lambda workers are processes of their own (:mod:`sandbox.runtime.lambdas`); their boto3 reaches DRS at
``AWS_ENDPOINT_URL_DRS`` = this prefix, the way it would reach ``drs.<region>.amazonaws.com``. The
emulator itself stays in the sandbox process, where moto's STS backends tell the accounts apart by
the access key that signed the call. DRS speaks REST-JSON: the operation is named by the request's
method and path, as in botocore's ``drs`` service model (``POST /StartRecovery``, ...).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable

from botocore.awsrequest import AWSPreparedRequest, HeadersDict

PREFIX = "/_sandbox/drs"
Answer = tuple[int, dict[str, str], bytes]
Responder = Callable[[str, AWSPreparedRequest], Answer | None]


@functools.cache
def _routes() -> list[tuple[str, re.Pattern[str], str]]:
    """(method, path pattern, operation) for every operation in botocore's DRS model."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("drs")
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        template = http["requestUri"].split("?")[0]
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        routes.append((http["method"], re.compile(f"^{pattern}$"), name))
    return routes


def operation(method: str, path: str) -> str | None:
    """The DRS operation a request under :data:`PREFIX` calls, or None."""
    if not path.startswith(PREFIX + "/"):
        return None
    rest = path[len(PREFIX) :]
    return next((name for m, pattern, name in _routes() if m == method and pattern.match(rest)), None)


def serve(respond: Responder, method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
    path = url.split("?")[0]
    name = operation(method, path)
    if name is None:
        message = f"{method} {path} is no operation of botocore's DRS model"
        return _error(404, "UnknownOperationException", message)
    request = AWSPreparedRequest(method, url, HeadersDict(headers), body, stream_output=False)
    answer = respond(name, request)
    return answer if answer is not None else _error(400, "ValidationException", f"{name}: no answer")


def _error(status: int, code: str, message: str) -> Answer:
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code}
    return status, headers, json.dumps({"message": message}).encode()
