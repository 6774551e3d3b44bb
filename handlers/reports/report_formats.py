"""The report as an auditor reads it: an autoescaped, printable HTML page, or CSV (one row per server).

Size: every format is one response. Lambda returns at most 6 MB (API Gateway's 10 MB never binds
first); a server costs about 250 bytes of JSON and 300 of HTML, so even DRS's largest account
(3,000 source servers, several attempts) stays near 1-2 MB. A report over :data:`MAX_BYTES` is
refused with a 413 that points at the CSV and the copy in the reports bucket. The HTML page stays
usable for big runs: per wave, servers that did not launch are listed first and always shown, the
launched ones fold into a ``<details>`` beyond :data:`EXPAND_LIMIT`, and a timeline of more than
:data:`TIMELINE_LIMIT` events shows one line per wave for its launches (the JSON and CSV keep
every server and event).

People read the page and the CSV: their times are in one format, UTC, to the second
(handlers/core/timestamps.py ``human``; the page says "All times UTC" once, the CSV in its column
name), and durations read ``4 min 05 s`` / ``1 h 02 min`` (handlers/reports/rto.py ``duration``).
The JSON report is data and keeps the record's ISO 8601 timestamps. The page opens with the
timeline picture (handlers/reports/timeline_svg.py)."""

from __future__ import annotations

import csv
import io
from typing import Any

from handlers.core.errors import PayloadTooLargeError
from handlers.core.rendering import render_html
from handlers.core.timestamps import human, now_iso
from handlers.models.execution import Rto
from handlers.reports import timeline_svg
from handlers.reports.rto import duration, summary

MAX_BYTES = 5 * 1024 * 1024
EXPAND_LIMIT = 50
TIMELINE_LIMIT = 300
CSV_COLUMNS = (
    "executionId",
    "planName",
    "mode",
    "waveNumber",
    "groupName",
    "waveStatus",
    "sourceServerId",
    "launchStatus",
    "recoverySnapshotId",
    "recoveryInstanceId",
    "launchedAt (UTC)",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def checked_size(text: str) -> str:
    if len(text.encode()) > MAX_BYTES:
        raise PayloadTooLargeError(
            f"this report is larger than {MAX_BYTES // (1024 * 1024)} MB: ask for ?format=csv, or read "
            "its copy in the reports bucket"
        )
    return text


def to_csv(report: dict[str, Any]) -> str:
    """One row per server; a cell that a spreadsheet would run as a formula is quoted with ``'``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for wave in report["waves"]:
        for server in wave["servers"]:
            row = {**report, **wave, "waveStatus": wave["status"], **server}
            row["launchedAt (UTC)"] = human(server.get("launchedAt"))
            writer.writerow([safe_cell(row.get(column, "")) for column in CSV_COLUMNS])
    return checked_size(out.getvalue())


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def to_html(report: dict[str, Any], *, for_response: bool = True) -> str:
    """The page; ``for_response=False`` (the bucket copy) skips the response size limit."""
    rto = Rto.model_validate(report["rto"]) if report.get("rto") else None
    timeline, note = folded_timeline(report)
    servers = [s for wave in report["waves"] for s in wave["servers"]]
    launched = sum(1 for s in servers if s["launchStatus"] == "LAUNCHED")
    generated_at = now_iso()
    page = render_html(
        "reports/execution.html.j2",
        report=report,
        rto_line=summary(rto),
        duration=duration,
        human=human,
        picture=timeline_svg.picture(report, until=generated_at),
        counts={"total": len(servers), "launched": launched, "failed": len(servers) - launched},
        timeline=timeline,
        timeline_note=note,
        expand_limit=EXPAND_LIMIT,
        generated_at=generated_at,
    )
    return checked_size(page) if for_response else page


def folded_timeline(report: dict[str, Any]) -> tuple[list[dict[str, str]], str]:
    """The timeline, with each wave's launches folded into one line when it is long."""
    events: list[dict[str, str]] = report["timeline"]
    if len(events) <= TIMELINE_LIMIT:
        return events, ""
    kept = [e for e in events if e["event"] != "server_launched"]
    folded = len(events) - len(kept)
    kept.extend(filter(None, (_launch_line(wave) for wave in report["waves"])))
    note = f"The {folded} server launches are shown one line per wave; the JSON and CSV list each."
    return sorted(kept, key=lambda e: e["at"]), note


def _launch_line(wave: dict[str, Any]) -> dict[str, str] | None:
    times = [s["launchedAt"] for s in wave["servers"] if s.get("launchedAt")]
    if not times:
        return None
    detail = (
        f"{len(times)} servers of wave {wave['waveNumber']} ({wave['groupName']}) launched, "
        f"the first at {human(min(times))}"
    )
    return {"at": max(times), "event": "servers_launched", "detail": detail}
