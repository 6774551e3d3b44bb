"""Route AWS calls the emulator cannot serve to in-process code, as ARCHITECTURE section 4 says:
``lambda.Invoke`` to the handler functions (moto's Lambda wants Docker) and DRS to a small stub
(moto has no DRS). Both are botocore ``before-send`` hooks on boto3's default session, registered
first, so they answer before moto does."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import MockRawResponse

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


class DrsStub:
    """A stub of the DRS API: jobs complete on their second ``DescribeJobs``; servers listed in
    ``failing`` fail to launch. Records every StartRecovery call."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.failing = failing or set()
        self.started: list[dict[str, Any]] = []
        self._jobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def handle(self, request: Any, **_: Any) -> AWSResponse:
        operation = request.url.rstrip("/").rsplit("/", 1)[-1]
        body = json.loads(request.body or b"{}")
        with self._lock:
            if operation == "StartRecovery":
                return _response(request, 202, {"job": self._start(body)})
            if operation == "DescribeJobs":
                ids = body.get("filters", {}).get("jobIDs", [])
                return _response(request, 200, {"items": [self._poll(i) for i in ids if i in self._jobs]})
        return _response(request, 400, {"message": f"stub does not implement {operation}"})

    def _start(self, body: dict[str, Any]) -> dict[str, Any]:
        self.started.append(body)
        job_id = f"drsjob-{len(self._jobs) + 1:017x}"
        servers = [s["sourceServerID"] for s in body["sourceServers"]]
        self._jobs[job_id] = {"jobID": job_id, "status": "PENDING", "servers": servers, "polls": 0}
        return {"jobID": job_id, "status": "PENDING", "type": "LAUNCH"}

    def _poll(self, job_id: str) -> dict[str, Any]:
        job = self._jobs[job_id]
        job["polls"] += 1
        done = job["polls"] >= 2
        launch = {
            s: ("FAILED" if s in self.failing else "LAUNCHED") if done else "IN_PROGRESS"
            for s in job["servers"]
        }
        return {
            "jobID": job_id,
            "status": "COMPLETED" if done else "STARTED",
            "type": "LAUNCH",
            "participatingServers": [{"sourceServerID": s, "launchStatus": v} for s, v in launch.items()],
        }


@contextmanager
def drs_stub(stub: DrsStub) -> Iterator[DrsStub]:
    events = _session().events
    events.register_first("before-send.drs", stub.handle)
    try:
        yield stub
    finally:
        events.unregister("before-send.drs", stub.handle)
