"""One Lambda worker process: ``python -m sandbox.runtime.worker_main``, started by
:mod:`sandbox.runtime.lambdas`.

Like a Lambda execution environment it serves one function and one invocation at a time, its
environment fixed when it started (the function's template ``Environment`` plus the runtime's and
the sandbox's ``AWS_*`` variables); ``_HANDLER`` names the handler. Init runs once
(:func:`sandbox.runtime.worker_setup.setup`, then the handler's import); each invocation then gets a fresh
context and the same warm module state - cached settings, clients, the Bolt app - as a warm Lambda.

Protocol, over the pipes the parent made: requests arrive as ``multiprocessing.connection`` frames
on stdin, replies leave on the original stdout. The handler's own ``print`` goes to stderr (the
sandbox log), never into the protocol. End of stdin - the sandbox stopped or died - ends the worker.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any


class LambdaContext:
    """The attributes handler code (and Powertools) read from a Lambda context."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = str(request["invokedFunctionArn"])
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))
        self.aws_request_id = str(request["requestId"])
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = "sandbox-worker"
        self._deadline = time.monotonic() + int(request["timeoutMs"]) / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def error_body(exc: BaseException) -> dict[str, Any]:
    """Lambda's ``Unhandled`` error payload."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_exception(exc)[-5:],
    }


def _pipes() -> tuple[Connection, Connection]:
    """The protocol's two ends; stdout becomes stderr so a handler's ``print`` stays out of it."""
    requests = Connection(os.dup(0), writable=False)
    replies = Connection(os.dup(1), readable=False)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return requests, replies


def _load_handler(path: str) -> Any:
    module_name, _, attribute = path.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def _invoke(handler: Any, request: dict[str, Any]) -> dict[str, Any]:
    try:
        result = handler(request["event"], LambdaContext(request))
    except Exception as exc:
        traceback.print_exc()
        return {"payload": json.dumps(error_body(exc)), "functionError": "Unhandled"}
    return {"payload": json.dumps(result, default=str), "functionError": None}


def main() -> int:
    # Ctrl-C in a terminal reaches the whole process group: the sandbox stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests, replies = _pipes()
    try:
        from sandbox.runtime.worker_setup import setup

        setup()
        handler = _load_handler(os.environ["_HANDLER"])
    except Exception as exc:  # Lambda's Runtime.ImportModuleError: reported, then this worker ends
        traceback.print_exc()
        replies.send_bytes(json.dumps({"initError": error_body(exc)}).encode())
        return 1
    replies.send_bytes(json.dumps({"ready": True}).encode())
    while True:
        try:
            request = json.loads(requests.recv_bytes())
        except (EOFError, OSError):
            return 0
        replies.send_bytes(json.dumps(_invoke(handler, request)).encode())


if __name__ == "__main__":
    sys.exit(main())
