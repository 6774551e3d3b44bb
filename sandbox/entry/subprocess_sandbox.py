"""A sandbox as a user runs it: ``drs-chatops sandbox`` in a subprocess on free ports, reached only
over HTTP. Shared by ``drs-chatops demo`` and the e2e tests; also the Chromium settings both the
e2e tests and the README screenshots use."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; never `playwright install`
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # this machine's closed network refuses Chromium's own calls
    "--disable-component-update",
    "--disable-sync",
]


class SandboxNotReady(RuntimeError):
    """The sandbox exited or did not answer ``/_sandbox/info`` in time."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def sandbox_subprocess(log_path: Path, *extra_args: str, timeout: float = 40) -> Iterator[dict[str, Any]]:
    """Start a sandbox (its output to ``log_path``), yield its ``/_sandbox/info``, stop it with
    SIGTERM (kill after 15 s). The child gets no AWS_* variables: it makes its own fake ones."""
    port, aws_port = free_port(), free_port()
    command = [sys.executable, "-m", "scripts.cli", "sandbox", "--port", str(port)]
    command += ["--aws-port", str(aws_port), *extra_args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            yield wait_for_info(f"http://127.0.0.1:{port}/_sandbox/info", process, timeout)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for_info(url: str, process: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SandboxNotReady(f"the sandbox exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - the local sandbox
                return dict(json.loads(response.read()))
        except (urllib.error.URLError, OSError, ValueError):
            time.sleep(0.2)
    raise SandboxNotReady(f"the sandbox was not ready in {timeout:.0f} s")
