"""``drs-chatops demo``: the whole story once, against a fresh sandbox on free ports.

The sandbox runs as a subprocess (``drs-chatops sandbox --empty``), so the demo sees it exactly as a
user does: over HTTP. It opens as a deployment should: ``drs-chatops doctor --sandbox <url>``
(scripts/doctor.py, a subprocess too) checks the sandbox and its table is shown; the step checks out
only when nothing FAILs. The story itself is :mod:`sandbox.entry.demo_story`. Exit status 0 only if every
step checked out; otherwise 1, the failed step, why, and the end of the sandbox's log.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from sandbox.data import extra
from sandbox.entry.demo_cycle import DrillCycle
from sandbox.entry.demo_timeline import StepFailed, Timeline
from sandbox.entry.subprocess_sandbox import ROOT, sandbox_subprocess

START_TIMEOUT_SECONDS = 40
DOCTOR_TIMEOUT_SECONDS = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep", action="store_true", help="keep the sandbox running after the story")
    parser.add_argument("--timeout", type=float, default=45.0, help="seconds any one step may wait")


def run(args: argparse.Namespace) -> int:
    if message := extra.missing_message("demo"):
        print(message, file=sys.stderr)
        return 2
    print("drs-chatops demo: the whole story against a fresh sandbox (DRS and Slack simulated)", flush=True)
    timeline = Timeline()
    with tempfile.TemporaryDirectory(prefix="drs-chatops-demo-") as tmp:
        log_path = Path(tmp) / "sandbox.log"
        try:
            with running_sandbox(log_path, timeline) as info:
                doctor(info, timeline)
                DrillCycle(info, timeline, step_timeout=args.timeout).play()
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


@contextmanager
def running_sandbox(log_path: Path, timeline: Timeline) -> Iterator[dict[str, Any]]:
    with ExitStack() as stack:
        with timeline.step("start a fresh sandbox on free ports") as notes:
            info = stack.enter_context(sandbox_subprocess(log_path, "--empty", timeout=START_TIMEOUT_SECONDS))
            notes.append(f"{info['lambdaEndpoint']} ready in {info['startedInSeconds']} s")
            notes.append(str(info["drs"]["label"]))
        yield info


def doctor(info: dict[str, Any], timeline: Timeline) -> None:
    """``drs-chatops doctor --sandbox <url>`` as a user runs it; its table becomes the step's notes."""
    url = str(info["lambdaEndpoint"])
    with timeline.step(f"drs-chatops doctor --sandbox {url}: nothing FAILs") as notes:
        done = subprocess.run(  # noqa: S603 - this interpreter running the project's own CLI
            [sys.executable, "-m", "scripts.cli", "doctor", "--sandbox", url],
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            capture_output=True,
            text=True,
            timeout=DOCTOR_TIMEOUT_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"doctor exited {done.returncode}:\n{done.stdout}{done.stderr[-2000:]}")
        notes.extend(done.stdout.rstrip().splitlines())


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
