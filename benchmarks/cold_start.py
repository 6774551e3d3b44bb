"""Cold start: importing ``handlers.api`` vs importing its third-party dependencies alone.

Each measurement is a fresh interpreter timing its own imports (interpreter start-up excluded), the
kinds interleaved so drift on the machine hits all alike. Target: ratio <= 1.25.

``handlers.api`` creates AWS clients lazily, so it does not import ``boto3`` itself (only
``botocore.exceptions``); the first request does. The third figure adds ``boto3`` to show the cost
including that first client's import."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 15
TARGET = 1.25
DEPENDENCIES = (
    "boto3",
    "botocore",
    "pydantic",
    "pydantic_settings",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
)
TIMER = "import time; t = time.perf_counter(); import {modules}; print(time.perf_counter() - t)"


def import_seconds(modules: str) -> float:
    env = {**os.environ, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [sys.executable, "-c", TIMER.format(modules=modules)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.strip())


def measure(runs: int = RUNS) -> dict[str, float]:
    samples: dict[str, list[float]] = {"deps_ms": [], "api_ms": [], "api_boto3_ms": []}
    for _ in range(runs):
        samples["deps_ms"].append(import_seconds(", ".join(DEPENDENCIES)))
        samples["api_ms"].append(import_seconds("handlers.api"))
        samples["api_boto3_ms"].append(import_seconds("handlers.api, boto3"))
    figures = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    figures["ratio"] = figures["api_ms"] / figures["deps_ms"]
    figures["ratio_with_boto3"] = figures["api_boto3_ms"] / figures["deps_ms"]
    return figures


def main() -> dict[str, float]:
    figures = measure()
    print(f"[cold start] median of {RUNS} fresh interpreters each")
    print(f"  import handlers.api            {figures['api_ms']:7.1f} ms")
    print(f"  import handlers.api and boto3  {figures['api_boto3_ms']:7.1f} ms")
    print(f"  import its dependencies alone  {figures['deps_ms']:7.1f} ms")
    verdict = "met" if figures["ratio"] <= TARGET else "MISSED"
    print(f"  ratio {figures['ratio']:.2f}x (target <= {TARGET}x: {verdict})")
    print(f"  ratio with boto3 {figures['ratio_with_boto3']:.2f}x")
    return figures


if __name__ == "__main__":
    main()
