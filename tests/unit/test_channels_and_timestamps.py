"""One caller-source -> channel mapping and one timestamp format, used wherever the product records
who decided and when."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.accounts.account_context import Caller, channel_of
from handlers.core import timestamps
from handlers.models.execution import Execution
from handlers.runs.lifecycle import _event_extra


@pytest.mark.parametrize(
    ("source", "channel"),
    [("api_gateway", "api"), ("direct", "direct"), ("slack", "slack"), ("email", "email"), ("system", "api")],
)
def test_each_caller_source_is_recorded_under_one_channel(source: str, channel: str) -> None:
    assert channel_of(Caller(account_id="111111111111", principal="p", source=source)) == channel  # type: ignore[arg-type]


def test_a_cancel_without_a_recorded_decision_names_the_callers_channel_not_its_source() -> None:
    # Given a running execution (no pause, so no decision recorded) cancelled through the API
    execution = Execution(
        executionId="e",
        planId="p",
        planName="P",
        accountId="111111111111",
        startedBy="ana",
        startedVia="api_gateway",
        startTime=timestamps.now_iso(),
        waves=[],
    )
    by = Caller(account_id="111111111111", principal="oncall@example.com", source="api_gateway")
    # When its cancel event is prepared
    extra = _event_extra(execution, "CANCELLED", "", by)
    # Then it says the API decided (as every other record of an API decision does)
    assert extra["decidedVia"] == "api" and extra["decidedBy"] == "oncall@example.com"
    assert timestamps.parse_iso(extra["decidedAt"]) <= timestamps.now()


def test_timestamps_are_utc_with_a_z_and_parse_back() -> None:
    moment = datetime(2026, 5, 1, 14, 2, 9, 123456, tzinfo=UTC)
    assert timestamps.format_iso(moment) == "2026-05-01T14:02:09.123456Z"
    assert timestamps.parse_iso("2026-05-01T14:02:09.123456Z") == moment
    assert timestamps.now_iso().endswith("Z") and len(timestamps.now_iso()) == 27


def test_older_seconds_only_timestamps_still_parse() -> None:
    # Given an approval expiry stored before the one format (seconds, Z)
    assert timestamps.parse_iso("2026-05-01T14:02:09Z") == datetime(2026, 5, 1, 14, 2, 9, tzinfo=UTC)
    assert timestamps.has_passed("2000-01-01T00:00:00Z") and not timestamps.has_passed("2999-01-01T00:00:00Z")
