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

The environment is a Lambda's (``LAMBDA_TASK_ROOT`` set), so the Tracer patches as it does there.
Every module, project or third-party, loads from bytecode cached by the probe run (a private
``PYTHONPYCACHEPREFIX``): like for like, whatever ``PYTHONDONTWRITEBYTECODE`` says.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 15
TARGET = 1.15
ENTRIES = ("handlers.api", "handlers.orchestrator", "bot.app", "bot.notifier")
PROJECT = ("handlers", "bot", "sandbox", "scripts", "benchmarks", "tests")
ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "LAMBDA_TASK_ROOT": str(ROOT),
    "AWS_LAMBDA_FUNCTION_NAME": "cold-start-benchmark",
    "POWERTOOLS_TRACE_DISABLED": "false",
}
PROBE = """
import json, sys
before = set(sys.modules)
import boto3, {entry}
project = {project!r}
print(json.dumps([m for m in sys.modules if m not in before and m.split(".")[0] not in project]))
"""
TIMER = """
import importlib, sys, time
entry, names = sys.argv[1], sys.argv[2:]
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


def _python(code: str, *args: str, cache: str) -> str:
    env = {**os.environ, **ENV, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": cache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def floor_modules(entry: str, cache: str) -> list[str]:
    """The non-project modules ``import boto3, <entry>`` loads, in the order they were loaded."""
    return list(json.loads(_python(PROBE.format(entry=entry, project=PROJECT), cache=cache)))


def import_seconds(entry: str, floor: list[str], cache: str) -> tuple[float, float]:
    """CPU seconds to import the floor, and the floor plus the entry, in one fresh interpreter."""
    floor_s, entry_s = _python(TIMER, entry, *floor, cache=cache).split()
    return float(floor_s), float(entry_s)


def measure(runs: int = RUNS) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="cold-start-pycache-") as cache:
        floors = {entry: floor_modules(entry, cache) for entry in ENTRIES}
        samples: dict[str, list[tuple[float, float]]] = {entry: [] for entry in ENTRIES}
        for _ in range(runs):
            for entry in ENTRIES:
                samples[entry].append(import_seconds(entry, floors[entry], cache))
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
    print(f"[cold start] boto3 + entry vs its floor, CPU ms, median of {RUNS} fresh interpreters")
    print(f"  {'entry':<24}{'entry ms':>10}{'floor ms':>10}{'ratio':>8}")
    for entry, f in figures.items():
        verdict = "" if f["ratio"] <= TARGET else "  MISSED"
        print(f"  {entry:<24}{f['entry_ms']:>10.1f}{f['floor_ms']:>10.1f}{f['ratio']:>7.2f}x{verdict}")
    print(f"  target <= {TARGET}x each")
    return figures


if __name__ == "__main__":
    main()
