"""The point-in-time snapshot chosen for a server is the latest taken at or before the time, at every
boundary (equal times, a microsecond either side), whether DRS's ``toDateTime`` filter is inclusive,
exclusive, or not applied at all, and whatever order DRS answers in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.aws.snapshots import latest_snapshot
from handlers.core.timestamps import format_iso, parse_iso
from sandbox.data import drs_snapshots

BASE = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
OFFSETS = st.integers(min_value=-3 * 3600 * 10**6, max_value=3 * 3600 * 10**6)  # microseconds from BASE


class FakeDrs:
    """``DescribeRecoverySnapshots`` over given snapshot times, filtering as told."""

    def __init__(self, times: list[datetime], mode: str) -> None:
        self.times, self.mode = times, mode

    def describe_recovery_snapshots(self, **request: Any) -> dict[str, Any]:
        latest = parse_iso(request["filters"]["toDateTime"])
        kept = {
            "inclusive": [t for t in self.times if t <= latest],
            "exclusive": [t for t in self.times if t < latest],
            "none": list(self.times),
        }[self.mode]
        kept.sort(reverse=request.get("order") == "DESC")
        items = [{"snapshotID": f"pit-{t.timestamp()}", "timestamp": format_iso(t)} for t in kept]
        return {"items": items[: request.get("maxResults", 1000)]}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(OFFSETS, min_size=0, max_size=8, unique=True),
    OFFSETS,
    st.sampled_from(["inclusive", "exclusive", "none"]),
    st.booleans(),
)
def test_the_chosen_snapshot_is_the_latest_at_or_before_the_time(offsets, at, mode, on_a_snapshot):
    times = [BASE + timedelta(microseconds=o) for o in offsets]
    moment = times[0] if on_a_snapshot and times else BASE + timedelta(microseconds=at)
    chosen = latest_snapshot(FakeDrs(times, mode), "s-00000000000000001", moment)
    before = [t for t in times if t <= moment]
    if mode == "exclusive":  # a DRS that leaves out the snapshot taken exactly at the time
        before = [t for t in before if t < moment]
    if not before or (mode == "none" and len([t for t in times if t > moment]) >= 10):
        return  # nothing at or before it was answered
    assert chosen is not None and chosen.taken == max(before) and chosen.taken <= moment


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=7 * 24 * 3600 - 1), st.sampled_from([-1, 0, 1]))
def test_against_the_emulators_hourly_snapshots_at_each_boundary(seconds_ago, nudge):
    # Given the emulator's hourly snapshots, and a time on (or a microsecond off) one of them
    now = BASE
    hour = (now - timedelta(seconds=seconds_ago)).replace(minute=0, second=0, microsecond=0)
    moment = min(hour + timedelta(microseconds=nudge), now)

    class Emulator:
        def describe_recovery_snapshots(self, **request: Any) -> dict[str, Any]:
            return drs_snapshots.describe(request["sourceServerID"], request, now)

    chosen = latest_snapshot(Emulator(), "s-00000000000000001", moment)
    expected = hour - timedelta(hours=1) if nudge < 0 else hour
    if expected < now - drs_snapshots.RETENTION:
        assert chosen is None
        return
    assert chosen is not None and chosen.taken == expected
    assert chosen.snapshot_id == drs_snapshots.snapshot_id("s-00000000000000001", expected)
