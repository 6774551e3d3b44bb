"""``drs-chatops demo``: the whole story once, against a fresh sandbox on free ports.

The sandbox runs as a subprocess (``drs-chatops sandbox --empty``), so the demo sees it exactly as a
user does: over HTTP. The story itself is :mod:`sandbox.demo_story`. Exit status 0 only if every
step checked out; otherwise 1, the failed step, why, and the end of the sandbox's log.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

START_TIMEOUT_SECONDS = 40
ROOT = Path(__file__).resolve().parents[1]


class StepFailed(RuntimeError):
    pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep", action="store_true", help="keep the sandbox running after the story")
    parser.add_argument("--timeout", type=float, default=45.0, help="seconds any one step may wait")


def run(args: argparse.Namespace) -> int:
    from sandbox.demo_story import Story

    print("drs-chatops demo: the whole story against a fresh sandbox (DRS and Slack simulated)", flush=True)
    timeline = Timeline()
    with tempfile.TemporaryDirectory(prefix="drs-chatops-demo-") as tmp:
        log_path = Path(tmp) / "sandbox.log"
        try:
            with running_sandbox(log_path, timeline) as info:
                Story(info, timeline, step_timeout=args.timeout).play()
                if args.keep:
                    print(f"sandbox kept running at {info['lambdaEndpoint']} - Ctrl-C stops it", flush=True)
                    _wait_for_interrupt()
        except StepFailed as exc:
            timeline.fail(str(exc))
            _print_log_tail(log_path)
            return 1
        except KeyboardInterrupt:
            print("demo: interrupted", flush=True)
            return 130
    timeline.done()
    return 0


class Timeline:
    """Prints each step as it checks out, with the seconds since the demo began."""

    def __init__(self) -> None:
        self.began = time.monotonic()
        self.current = ""
        self.steps = 0

    def stamp(self) -> str:
        return f"[{time.monotonic() - self.began:6.1f}s]"

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """``with timeline.step("..") as notes: notes.append("detail")``; any exception fails it."""
        self.current = name
        notes: list[str] = []
        try:
            yield notes
        except StepFailed:
            raise
        except Exception as exc:
            raise StepFailed(f"{type(exc).__name__}: {exc}") from exc
        self.steps += 1
        print(f"{self.stamp()} ok   {name}", flush=True)
        for note in notes:
            print(f"{'':10}      {note}", flush=True)

    def skip(self, name: str, why: str) -> None:
        print(f"{self.stamp()} skip {name}: {why}", flush=True)

    def fail(self, why: str) -> None:
        print(f"{self.stamp()} FAIL {self.current}\n{'':15}{why}", flush=True)
        print("demo: FAILED (exit 1)", flush=True)

    def done(self) -> None:
        print(
            f"demo: all {self.steps} steps checked out in {time.monotonic() - self.began:.1f} s", flush=True
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_sandbox(log_path: Path, timeline: Timeline) -> Iterator[dict[str, Any]]:
    port, aws_port = free_port(), free_port()
    command = [sys.executable, "-m", "scripts.cli", "sandbox", "--empty"]
    command += ["--port", str(port), "--aws-port", str(aws_port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            with timeline.step(f"start a fresh sandbox on ports {port} (web) and {aws_port} (AWS)") as notes:
                info = _wait_for_info(f"http://127.0.0.1:{port}/_sandbox/info", process)
                notes.append(f"ready in {info['startedInSeconds']} s; {info['drs']['label']}")
            yield info
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_info(url: str, process: subprocess.Popen[bytes]) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StepFailed(f"the sandbox exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local sandbox
                return dict(json.loads(response.read()))
        except (urllib.error.URLError, OSError, ValueError):
            time.sleep(0.2)
    raise StepFailed(f"the sandbox was not ready in {START_TIMEOUT_SECONDS} s")


def _print_log_tail(log_path: Path, lines: int = 40) -> None:
    if log_path.is_file():
        tail = log_path.read_text(errors="replace").splitlines()[-lines:]
        print("--- last lines of the sandbox log ---\n" + "\n".join(tail), file=sys.stderr, flush=True)


def _wait_for_interrupt() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
