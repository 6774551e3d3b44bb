"""The evidence report of a 1,000-server execution (10 waves, a pause, some failed launches): the
time to build its JSON and HTML (``build_report`` + ``json.dumps`` + ``to_html``, what every ending
writes to the reports bucket and ``GET /executions/{id}/report`` serves) vs the floor measured in
the same run: reading the stored record into the model and ``json.dumps`` of it (what
``GET /executions/{id}`` costs on the same record).
Pure CPU, no AWS. Also prints the sizes, against Lambda's 6 MB response limit."""

from __future__ import annotations

import json
import time
from typing import Any

from benchmarks.support import median_ms, verdict

SERVERS = 1000
WAVES = 10
SAMPLES = 20
TARGET_RATIO = 10.0  # a page row and a JSON entry per server against reading + dumping the record
TARGET_MS = 1000.0


def _time(work: Any) -> list[float]:
    samples = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return samples


def measure() -> dict[str, float]:
    from handlers.models.execution import Execution
    from handlers.reports.report_formats import to_csv, to_html
    from handlers.reports.reports import build_report
    from tests.support.data import big_execution

    record = big_execution(SERVERS, WAVES).model_dump(mode="json")
    sizes: dict[str, int] = {}

    def report() -> None:
        built = build_report(Execution.model_validate(record))
        sizes["json"] = len(json.dumps(built).encode())
        sizes["html"] = len(to_html(built).encode())

    def get_execution() -> None:
        json.dumps(Execution.model_validate(record).model_dump(mode="json"))

    sizes["csv"] = len(to_csv(build_report(Execution.model_validate(record))).encode())  # also compiles
    floor = median_ms(_time(get_execution))
    built = median_ms(_time(report))
    return {
        "report_ms": built,
        "floor_ms": floor,
        "ratio": built / floor,
        **{f"{k}_kb": v / 1024 for k, v in sizes.items()},
    }


def main() -> dict[str, float]:
    figures = measure()
    print(f"[reports] {SERVERS} servers in {WAVES} waves, median of {SAMPLES}")
    print(f"  JSON + HTML report (read, build, dump, render)     {figures['report_ms']:7.2f} ms median")
    print(f"  floor: read the record + json.dumps (GET execution) {figures['floor_ms']:7.2f} ms median")
    ratio, ms = figures["ratio"], figures["report_ms"]
    print(f"  ratio {ratio:.1f}x (target <= {TARGET_RATIO:.0f}x: {verdict(ratio, TARGET_RATIO)}); ", end="")
    print(f"{ms:.0f} ms (target < {TARGET_MS:.0f} ms: {verdict(ms, TARGET_MS)})")
    kb = {k: f"{figures[f'{k}_kb']:.0f} KB" for k in ("json", "html", "csv")}
    print(f"  sizes: JSON {kb['json']}, HTML {kb['html']}, CSV {kb['csv']} (Lambda response limit 6 MB)")
    return figures


if __name__ == "__main__":
    main()
