"""The report's CSV and HTML forms (handlers/reports/report_formats.py): formula-safe cells,
autoescaping, and a 1,000-server run that stays usable and within Lambda's response limit."""

from __future__ import annotations

import csv
import io

from handlers.reports import report_formats
from handlers.reports.reports import build_report
from tests.support.data import big_execution


def test_cells_a_spreadsheet_would_run_are_quoted() -> None:
    for hostile in ('=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"):
        assert report_formats.safe_cell(hostile) == "'" + hostile
    assert report_formats.safe_cell("Tier 1") == "Tier 1" and report_formats.safe_cell(None) == ""


def test_a_hostile_group_name_is_quoted_in_every_csv_row() -> None:
    execution = big_execution(servers=20, waves=2)
    execution.waves[0].protectionGroupName = '=cmd|"/c calc"!A1'
    rows = list(csv.DictReader(io.StringIO(report_formats.to_csv(build_report(execution)))))
    assert len(rows) == 20
    assert {r["groupName"] for r in rows[:10]} == {'\'=cmd|"/c calc"!A1'}


def test_a_thousand_server_report_renders_usable_html_within_the_response_limit() -> None:
    # Given a 1,000-server run over 10 waves with some servers that failed to launch
    report = build_report(big_execution())
    # When it is rendered
    page = report_formats.to_html(report)
    text = report_formats.to_csv(report)
    # Then every failed server is listed openly, the launched ones folded per wave
    failed = [s for w in report["waves"] for s in w["servers"] if s["launchStatus"] == "FAILED"]
    assert failed and all(s["sourceServerId"] in page for s in failed)
    assert page.count("<details>") == 10 and "<details open>" not in page
    # and the timeline folds the launches into one line per wave
    assert page.count("servers_launched") == 10 and "server launches are shown one line per wave" in page
    # and everything stays well under Lambda's 6 MB, CSV with one row per server
    assert len(page.encode()) < report_formats.MAX_BYTES / 5
    assert text.count("\r\n") == 1001
    # and user text is escaped
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "<b>failover" not in page
    assert "RTO 50 min (target 30) ✗" in page


def test_a_small_report_shows_every_server_and_event() -> None:
    report = build_report(big_execution(servers=20, waves=2, failed_every=1000))
    page = report_formats.to_html(report)
    assert page.count("<details open>") == 2 and "servers_launched" not in page
    assert page.count("server_launched") == 19  # the first server of wave 1 failed (index 0)


def test_a_report_over_the_response_limit_is_a_413_but_its_bucket_copy_is_still_rendered(monkeypatch) -> None:
    import pytest

    from handlers.core.errors import PayloadTooLargeError

    report = build_report(big_execution())
    monkeypatch.setattr(report_formats, "MAX_BYTES", 10_000)
    with pytest.raises(PayloadTooLargeError, match="format=csv"):
        report_formats.to_html(report)
    assert len(report_formats.to_html(report, for_response=False)) > 10_000
