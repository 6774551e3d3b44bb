"""Cold start of the four Lambda entry points, each against the floor of its own dependencies.

What a Lambda pays at cold start is its entry module *including* ``boto3`` (every invocation needs
a client), so an entry's cost is ``import boto3, <entry>``. Its floor is what the project cannot
avoid: ``boto3`` plus exactly the third-party and standard-library modules that importing the entry
loads, read from ``sys.modules`` of a probe interpreter (project packages left out). The ratio
entry / floor is the price of the project's own modules (their code, the pydantic models they
build, the Tracer they configure). Target: ratio <= 1.15 for each entry.

Each measurement is a fresh interpreter that imports the floor, then the entry (which then loads
only project modules), timing both in CPU time: the floor and the entry's cost (floor + the rest)
come from the same process, so load on a shared machine hits both alike. Entries are interleaved,
and the figures are medians over the runs (the ratio: the median of the runs' ratios).

What is measured is what ships: the bundle as ``scripts/package.sh`` builds it (offline, for this
host's Python, with the AWS SDK inside so that it too loads from the bundle), unzipped and made
read-only as ``/var/task`` is, imported by ``python -I -S`` with only the bundle on ``sys.path``.
Project and third-party modules alike load from the bytecode the bundle ships; a module without it
would be compiled at every import, as it would at every cold start in Lambda. The environment is a
Lambda's (``LAMBDA_TASK_ROOT`` set), so the Tracer patches as it does there.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from scripts import lambda_bundle

ROOT = Path(__file__).resolve().parents[1]
RUNS = 15
TARGET = 1.15
ENTRIES = ("handlers.api", "handlers.orchestrator", "bot.app", "bot.notifier")
PROJECT = ("handlers", "bot", "sandbox", "scripts", "benchmarks", "tests")
ENV = {
    "PATH": "/usr/bin:/bin",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_LAMBDA_FUNCTION_NAME": "cold-start-benchmark",
    "POWERTOOLS_TRACE_DISABLED": "false",
    "PYTHONDONTWRITEBYTECODE": "1",
}
# ``-S`` skips site, which would have imported os: both scripts import it before anything is
# measured, as every interpreter with site does at start-up.
PROBE = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
before = set(sys.modules)
import boto3, {entry}
project = {project!r}
print(json.dumps([m for m in sys.modules if m not in before and m.split(".")[0] not in project]))
"""
TIMER = """
import importlib, os, sys, time
sys.path.insert(0, sys.argv[1])
entry, names = sys.argv[2], sys.argv[3:]
t = time.process_time()
for name in names:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
floor = time.process_time() - t
importlib.import_module(entry)
print(floor, time.process_time() - t)
"""


def _python(code: str, bundle: str, *args: str) -> str:
    env = {**ENV, "LAMBDA_TASK_ROOT": bundle}
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, bundle, *args],
        cwd=bundle,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"the measuring interpreter failed:\n{result.stderr[-2000:]}")
    return result.stdout.strip()


def build_bundle(directory: Path) -> Path:
    """The bundle as scripts/package.sh builds it, unzipped read-only into ``directory``."""
    archive = directory / "bundle.zip"
    subprocess.run(
        [
            str(ROOT / "scripts" / "package.sh"),
            "--from-installed",
            "--with-sdk",
            "--no-check",
            "--out",
            str(archive),
        ],
        check=True,
        capture_output=True,
    )
    unpacked = directory / "task"
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(unpacked)
    lambda_bundle.read_only(unpacked)
    return unpacked


def floor_modules(entry: str, bundle: str) -> list[str]:
    """The non-project modules ``import boto3, <entry>`` loads, in the order they were loaded."""
    return list(json.loads(_python(PROBE.format(entry=entry, project=PROJECT), bundle)))


def import_seconds(entry: str, floor: list[str], bundle: str) -> tuple[float, float]:
    """CPU seconds to import the floor, and the floor plus the entry, in one fresh interpreter."""
    floor_s, entry_s = _python(TIMER, bundle, entry, *floor).split()
    return float(floor_s), float(entry_s)


def measure(runs: int = RUNS) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="cold-start-bundle-") as work:
        unpacked = build_bundle(Path(work))
        bundle = str(unpacked)
        try:
            floors = {entry: floor_modules(entry, bundle) for entry in ENTRIES}
            samples: dict[str, list[tuple[float, float]]] = {entry: [] for entry in ENTRIES}
            for _ in range(runs):
                for entry in ENTRIES:
                    samples[entry].append(import_seconds(entry, floors[entry], bundle))
        finally:
            lambda_bundle.writable(unpacked)
    return {
        entry: {
            "entry_ms": statistics.median(e for _, e in pairs) * 1000,
            "floor_ms": statistics.median(f for f, _ in pairs) * 1000,
            "ratio": statistics.median(e / f for f, e in pairs),
        }
        for entry, pairs in samples.items()
    }


def main() -> dict[str, dict[str, float]]:
    figures = measure()
    print(
        f"[cold start] the shipped bundle (read-only, bytecode included): boto3 + entry vs its floor, "
        f"CPU ms, median of {RUNS} fresh interpreters"
    )
    print(f"  {'entry':<24}{'entry ms':>10}{'floor ms':>10}{'ratio':>8}")
    for entry, f in figures.items():
        verdict = "" if f["ratio"] <= TARGET else "  MISSED"
        print(f"  {entry:<24}{f['entry_ms']:>10.1f}{f['floor_ms']:>10.1f}{f['ratio']:>7.2f}x{verdict}")
    print(f"  target <= {TARGET}x each")
    return figures


if __name__ == "__main__":
    main()
