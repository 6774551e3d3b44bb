"""Times and durations as the report's readers see them: one human format, UTC, to the second
(handlers/core/timestamps.py ``human``), durations as ``4 min 05 s`` / ``1 h 02 min``
(handlers/reports/rto.py ``duration``), the same in the HTML page, the CSV and the Slack blocks;
the JSON report keeps the record's ISO timestamps."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.blocks.reports import report_blocks
from handlers.core.timestamps import human
from handlers.reports import report_formats
from handlers.reports.reports import build_report
from handlers.reports.rto import duration
from tests.support.data import big_execution

ISO_WITH_FRACTION = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+")


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        ("2026-12-07T14:03:27.123456Z", "2026-12-07 14:03:27"),
        ("2026-12-07T14:03:27Z", "2026-12-07 14:03:27"),
        ("2026-12-07T16:03:27.5+02:00", "2026-12-07 14:03:27"),  # another zone: shown in UTC
        ("2026-12-07T23:30:00-05:00", "2026-12-08 04:30:00"),  # and the date moves with it
        ("2026-12-07T14:03:27.999999Z", "2026-12-07 14:03:27"),  # cut, never rounded up
        (datetime(2026, 12, 7, 14, 3, 27, 999, tzinfo=timezone(timedelta(hours=1))), "2026-12-07 13:03:27"),
        (datetime(2026, 12, 7, 14, 3, 27, 999), "2026-12-07 14:03:27"),  # naive: taken as UTC
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01 00:00:00"),
    ],
)
def test_a_time_is_shown_in_utc_to_the_second(moment: str | datetime, shown: str) -> None:
    assert human(moment) == shown


def test_no_time_is_shown_as_nothing_and_a_text_that_is_no_time_as_it_is() -> None:
    assert human("") == "" and human(None) == ""
    assert human("latest data") == "latest data"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "not measured"),
        (0, "0 s"),
        (45.4, "45 s"),
        (245, "4 min 05 s"),
        (3599.6, "1 h 00 min"),
        (3720, "1 h 02 min"),
        (3749, "1 h 02 min"),  # from an hour on, to the nearest minute
        (3751, "1 h 03 min"),
        (26 * 3600 + 5 * 60, "26 h 05 min"),
    ],
)
def test_a_duration_reads_in_hours_minutes_and_seconds(seconds: float | None, shown: str) -> None:
    assert duration(seconds) == shown


def test_the_html_page_shows_every_time_in_the_human_format_and_says_utc_once() -> None:
    # Given a finished run whose record holds microsecond ISO timestamps
    report = build_report(big_execution(servers=20, waves=2, failed_every=1000))
    # When its page is rendered
    page = report_formats.to_html(report)
    # Then no timestamp of the record shows with its fraction or its T, and the zone is said once
    assert not ISO_WITH_FRACTION.search(page)
    assert "2026-11-30 10:00:00" in page and "2026-11-30T10" not in page
    assert page.count("All times UTC") == 2  # the page's header, and the picture's description
    assert "(UTC)" not in page
    # and durations read as people say them
    assert "50 min 00 s" in page and "4 min 00 s" in page


def test_the_csv_says_utc_in_its_column_and_shows_launch_times_to_the_second() -> None:
    report = build_report(big_execution(servers=20, waves=2, failed_every=1000))
    rows = list(csv.DictReader(io.StringIO(report_formats.to_csv(report))))
    launched = [r["launchedAt (UTC)"] for r in rows if r["launchStatus"] == "LAUNCHED"]
    assert launched and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", t) for t in launched)
    assert [r["launchedAt (UTC)"] for r in rows if r["launchStatus"] != "LAUNCHED"] == [""]


def test_the_json_report_keeps_the_records_iso_timestamps() -> None:
    report = build_report(big_execution(servers=20, waves=2, failed_every=1000))
    assert report["startTime"] == "2026-11-30T10:00:00.000000Z"
    assert report["decisions"][0]["decidedAt"] == "2026-11-30T10:20:00.000000Z"
    assert all(ISO_WITH_FRACTION.match(e["at"]) for e in report["timeline"])


def test_the_slack_report_shows_times_and_durations_in_the_same_format() -> None:
    report = build_report(big_execution(servers=20, waves=2, failed_every=1000))
    text = str([b.to_dict() for b in report_blocks(report, api_url="https://api", bucket="reports")])
    assert "started 2026-11-30 10:00:00 by ana" in text and "at 2026-11-30 10:20:00" in text
    assert "All times UTC" in text and "4 min 00 s" in text and "50 min 00 s" in text
    assert not ISO_WITH_FRACTION.search(text) and "50.0 min" not in text
