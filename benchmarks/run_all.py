"""``make bench``: every benchmark, one after the other (``python -m benchmarks.run_all``)."""

from __future__ import annotations

from benchmarks import (
    cold_start,
    concurrency,
    decisions,
    executions,
    failback,
    fanout,
    hooks,
    latency,
    native_import,
    readiness,
    reports,
    slack,
    slack_votes,
    tags,
)


def main() -> None:
    for benchmark in (
        cold_start,
        latency,
        concurrency,
        decisions,
        slack_votes,
        executions,
        fanout,
        slack,
        tags,
        reports,
        readiness,
        hooks,
        native_import,
        failback,
    ):
        benchmark.main()
        print()


if __name__ == "__main__":
    main()
