"""Recovery snapshots of the simulated DRS: every source server has one at the top of every hour
for the last 7 days (DRS keeps point-in-time snapshots for its retention period), computed from the
clock when asked, so none is stored. Answers ``DescribeRecoverySnapshots`` as botocore's ``drs``
model shapes it: filter ``fromDateTime``/``toDateTime``, ``order`` ASC|DESC, ``maxResults`` paging."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.data.drs_calls import DrsError
from sandbox.data.drs_shapes import iso

RETENTION = timedelta(days=7)
INTERVAL = timedelta(hours=1)
MAX_RESULTS = 1000


def snapshot_times(now: datetime) -> list[datetime]:
    """The snapshot times kept at ``now``, oldest first: every full hour of the retention."""
    latest = now.replace(minute=0, second=0, microsecond=0)
    count = int(RETENTION / INTERVAL)
    return [latest - INTERVAL * n for n in range(count, -1, -1)]


def snapshot_id(server_id: str, taken: datetime) -> str:
    digest = hashlib.sha256(f"{server_id}:{taken.isoformat()}".encode()).hexdigest()
    return "pit-" + digest[:17]


def describe(server_id: str, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    filters = body.get("filters") or {}
    earliest = _when(filters.get("fromDateTime"), "fromDateTime")
    latest = _when(filters.get("toDateTime"), "toDateTime")
    times = [
        t
        for t in snapshot_times(now)
        if (earliest is None or t >= earliest) and (latest is None or t <= latest)
    ]
    if str(body.get("order") or "ASC") == "DESC":
        times.reverse()
    start = _start(body.get("nextToken"))
    size = int(body.get("maxResults") or MAX_RESULTS)
    if not 1 <= size <= MAX_RESULTS:
        raise DrsError(400, "ValidationException", f"maxResults must be 1 to {MAX_RESULTS}")
    page = times[start : start + size]
    answer: dict[str, Any] = {"items": [_shape(server_id, t) for t in page]}
    if start + size < len(times):
        answer["nextToken"] = str(start + size)
    return answer


def _shape(server_id: str, taken: datetime) -> dict[str, Any]:
    stamp = iso(taken.timestamp())
    return {
        "snapshotID": snapshot_id(server_id, taken),
        "sourceServerID": server_id,
        "expectedTimestamp": stamp,
        "timestamp": stamp,
        "ebsSnapshots": ["snap-" + snapshot_id(server_id, taken)[4:]],
    }


def _when(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise DrsError(400, "ValidationException", f"{name} is not an ISO 8601 time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _start(token: Any) -> int:
    if token in (None, ""):
        return 0
    if not str(token).isdigit():
        raise DrsError(400, "ValidationException", "nextToken is not one this API returned")
    return int(str(token))


def now() -> datetime:
    return datetime.now(UTC)


__all__ = ["RETENTION", "describe", "now", "snapshot_id", "snapshot_times"]
