"""Recovering from a point in time: reading the time asked for, and each server's snapshot for it.

A point in time is ISO 8601 in UTC (``2026-11-30T10:00Z``, seconds and an offset allowed; without
an offset it is read as UTC). DRS keeps point-in-time snapshots for :data:`RETENTION`, so a time
older than that, or one in the future, is refused, saying which. A server recovers from its latest
recovery snapshot taken at or before the time (``DescribeRecoverySnapshots``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.core.errors import ValidationError
from handlers.core.timestamps import format_iso, parse_iso

RETENTION = timedelta(days=7)  # how long DRS keeps point-in-time snapshots
PAGE = 10  # snapshots asked for per call; the first at or before the time is the one


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    taken: datetime

    @property
    def taken_iso(self) -> str:
        return format_iso(self.taken)


def read_time(text: str) -> datetime:
    """``text`` (ISO 8601; without an offset, UTC) as an aware UTC time, with no judgement of when it
    is; 400 ``VALIDATION_ERROR`` when it is no such time, or when its UTC form falls outside the
    calendar (``0001-01-01T00:00+01:00`` is in year 0 in UTC, ``9999-12-31T23:59-01:00`` in 10000).
    The one reader of a point in time: the start, readiness and ``/dr run … at`` all use it."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            f"pointInTime {text[:64]!r} is not a time: give an ISO 8601 time (2026-11-30T10:00Z)"
        ) from None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            f"pointInTime {text[:64]!r} is outside the calendar in UTC (before year 1 or after 9999): "
            "give a time within DRS's snapshot retention"
        ) from None


def parse_point_in_time(text: str, now: datetime) -> datetime:
    """``text`` (:func:`read_time`) when DRS can still hold a snapshot for it: not in the future, not
    older than :data:`RETENTION`; else 400 ``VALIDATION_ERROR`` saying which."""
    moment = read_time(text)
    if moment > now:
        raise ValidationError(f"pointInTime {format_iso(moment)} is in the future (now {format_iso(now)})")
    if moment < now - RETENTION:
        raise ValidationError(
            f"pointInTime {format_iso(moment)} is older than DRS's snapshot retention of "
            f"{RETENTION.days} days (earliest {format_iso(now - RETENTION)})"
        )
    return moment


def latest_snapshot(client: Any, server_id: str, moment: datetime) -> Snapshot | None:
    """The latest recovery snapshot of ``server_id`` taken at or before ``moment``, if any. DRS
    filters by ``toDateTime`` and orders newest first; the snapshot's own time is checked again
    here, so a looser filter never picks one taken after the time."""
    response = client.describe_recovery_snapshots(
        sourceServerID=server_id,
        filters={"toDateTime": format_iso(moment)},
        order="DESC",
        maxResults=PAGE,
    )
    taken = [s for s in (_snapshot(item) for item in response.get("items", [])) if s and s.taken <= moment]
    return max(taken, key=lambda s: s.taken, default=None)


def _snapshot(item: dict[str, Any]) -> Snapshot | None:
    stamp = item.get("timestamp") or item.get("expectedTimestamp")
    try:
        return Snapshot(str(item["snapshotID"]), parse_iso(str(stamp)))
    except (KeyError, ValueError):
        return None
