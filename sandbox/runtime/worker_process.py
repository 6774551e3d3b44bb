"""The sandbox's end of one Lambda worker process (the worker's own end is
:mod:`sandbox.runtime.worker_main`).

A worker is ``python -m sandbox.runtime.worker_main`` with exactly the environment it is given, two pipes
(requests on its stdin, replies on its stdout; stderr shared with the sandbox, so its logs land in
the sandbox log) and one invocation at a time. The pipes are the worker's lifeline: when the sandbox
closes them, or dies, the worker reads end-of-file and exits.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sandbox.emulators import faults

log = logging.getLogger("sandbox.runtime.lambdas")
ROOT = Path(__file__).resolve().parents[2]  # where `sandbox`, `handlers` and `bot` are importable
# What a worker inherits from the sandbox besides its function's environment: the basics a Python
# process needs, and where the faults in force are kept (sandbox/emulators/faults.py), so every process reads
# the same faults.
PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", faults.ENV_VAR)


class WorkerError(RuntimeError):
    """The worker failed to start, died, or overran the function's timeout."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def process_environment(variables: dict[str, str]) -> dict[str, str]:
    """``variables`` plus what a Python process needs to find this code; nothing else leaks in."""
    inherited = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
    python_path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**inherited, "PYTHONPATH": python_path, "PYTHONUNBUFFERED": "1", **variables}


class Worker:
    def __init__(self, function: str, environment: dict[str, str]) -> None:
        self.function = function
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        try:
            self.process = subprocess.Popen(  # this interpreter, a module of this package
                [sys.executable, "-m", "sandbox.runtime.worker_main"],
                stdin=request_read,
                stdout=reply_write,
                env=process_environment(environment),
                close_fds=True,
            )
        finally:
            os.close(request_read)
            os.close(reply_write)
        self._requests = Connection(request_write, readable=False)
        self._replies = Connection(reply_read, writable=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float) -> None:
        """Lambda's init phase: setup hooks and the handler's import."""
        reply = self._receive(timeout, "Sandbox.InitTimeout", f"init did not finish in {timeout:.0f} s")
        if "initError" in reply:
            error = reply["initError"]
            self.stop()
            raise WorkerError(f"Runtime.{error['errorType']}", f"init failed: {error['errorMessage']}")

    def run(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """One invocation: ``{"payload": <JSON text>, "functionError": None | "Unhandled"}``."""
        try:
            self._requests.send_bytes(json.dumps(request).encode())
        except OSError as exc:
            self.stop()
            raise WorkerError("Sandbox.WorkerExited", f"the worker is gone ({exc})") from exc
        return self._receive(timeout, "Sandbox.Timeout", f"Task timed out after {timeout:.2f} seconds")

    def _receive(self, timeout: float, error_type: str, message: str) -> dict[str, Any]:
        try:
            if self._replies.poll(timeout):
                return dict(json.loads(self._replies.recv_bytes()))
        except (EOFError, OSError) as exc:
            self.stop()
            raise WorkerError("Sandbox.WorkerExited", f"the worker exited ({exc or 'end of file'})") from exc
        self.stop()  # a worker that overran its timeout is not reused, as in Lambda
        raise WorkerError(error_type, message)

    def stop(self) -> None:
        """Ask the worker to end (SIGTERM); :meth:`reap` waits for it."""
        for connection in (self._requests, self._replies):
            with contextlib.suppress(OSError):
                connection.close()
        if self.process.poll() is None:
            self.process.terminate()

    def reap(self, deadline: float) -> None:
        try:
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
