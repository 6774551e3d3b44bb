"""The product's one timestamp format: UTC, ISO 8601, microseconds and a ``Z``
(``2026-05-01T14:02:09.123456Z``), written by :func:`format_iso` / :func:`now_iso` and read back
by :func:`parse_iso`. Records, events, emails and logs all carry this form, so two timestamps
compare as strings in time order and any of them parses back with one function.

People read the other form, :func:`human` (``2026-05-01 14:02:09``: UTC, to the second, the zone
said once by the page or message that shows it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def now() -> datetime:
    return datetime.now(UTC)


def format_iso(moment: datetime) -> str:
    """``moment`` (aware; a naive one is taken as UTC) in :data:`FORMAT`."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    # isoformat, not strftime: strftime writes year 1 as "1", which no reader takes back
    return aware.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def now_iso() -> str:
    """The current time in :data:`FORMAT`."""
    return format_iso(now())


def after(seconds: float) -> datetime:
    """The time ``seconds`` from now."""
    return now() + timedelta(seconds=seconds)


def parse_iso(text: str) -> datetime:
    """A timestamp this product wrote (also the older seconds-only ``...09Z`` form, or ``+00:00``),
    as an aware UTC datetime; ``ValueError`` for anything else."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def has_passed(text: str) -> bool:
    """True once the time ``text`` names is now or past."""
    return now() >= parse_iso(text)


def human(moment: str | datetime | None) -> str:
    """``moment`` as people read it: UTC, to the second (``2026-05-01 14:02:09``; fractions of a
    second are dropped, not rounded, so a time never reads later than it was). ``""`` for no time;
    a text that is not a timestamp comes back as it is, so a report shows what was recorded."""
    if not moment:
        return ""
    if isinstance(moment, str):
        try:
            return human(parse_iso(moment))
        except ValueError:
            return moment
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return f"{aware.year:04d}-{aware:%m-%d %H:%M:%S}"
