"""``make bench``: every benchmark, one after the other (``python -m benchmarks.run_all``)."""

from __future__ import annotations

from benchmarks import cold_start, concurrency, latency


def main() -> None:
    cold_start.main()
    print()
    latency.main()
    print()
    concurrency.main()


if __name__ == "__main__":
    main()
