"""Measured RTO: pure arithmetic over an execution's record (no I/O).

``measuredSeconds`` is wall clock from the execution's start to the last server launched.
``excludingApprovalSeconds`` subtracts the time the run waited in pauses for a decision: a pause
runs from when it opened (its decision's ``openedAt``, the pause's approval's ``createdAt``; on
records from before decisions kept it, the wave's ``pausedAt``, else the end of the wave before it,
or the start) to its decision's ``decidedAt``; a pause still open when the run ended lasts to
the end. Only the part of a pause before the last launch counts, and overlapping pauses count once.

``met`` compares the wall-clock measure with the plan's target (the conservative reading: the time
the business waited). It is None without a target, and False when a target exists but the run did
not recover everything (not SUCCEEDED, or a required server not launched): a recovery that did not
finish did not meet its objective, however fast its first waves were."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from handlers.core.timestamps import parse_iso
from handlers.models.execution import Execution, Rto

Interval = tuple[datetime, datetime]


def launch_times(execution: Execution) -> list[datetime]:
    return [
        parse_iso(s.launchedAt)
        for wave in execution.waves
        for s in wave.servers
        if s.launchStatus == "LAUNCHED" and s.launchedAt
    ]


def recovered(execution: Execution) -> bool:
    """Every wave ran and every required server launched (optional ones may fail)."""
    servers = [s for wave in execution.waves for s in wave.servers]
    required = [s for s in servers if not getattr(s, "optional", False)]
    return (
        execution.status == "SUCCEEDED"
        and bool(servers)
        and all(s.launchStatus == "LAUNCHED" for s in required)
    )


def pauses(execution: Execution, end_time: str = "") -> list[Interval]:
    """Every pause of the run as (opened, closed), in the order of the record."""
    spans = pause_spans(execution, end_time)
    found = [(parse_iso(s.openedAt), parse_iso(s.closedAt)) for s in spans if s.closedAt]
    return [(start, end) for start, end in found if end > start]


@dataclass(frozen=True)
class PauseSpan:
    """One pause as the record tells it: the wave it held, when it opened and closed (``""`` while
    it is open), and what closed it (the decision's action; ``""`` when the run ended in it)."""

    waveNumber: int
    openedAt: str
    closedAt: str
    decision: str = ""


def pause_spans(execution: Execution, end_time: str = "") -> list[PauseSpan]:
    """The pauses :func:`pauses` measures (the report draws them): each decided one, then the one
    still open, closed by the run's end when it ended."""
    found = [
        PauseSpan(d.waveNumber, opened, d.decidedAt, d.action)
        for d in execution.decisions
        if (opened := d.openedAt or _opened(execution, d.waveNumber))
    ]
    pending = execution.pendingApproval
    if pending is not None:
        found.append(PauseSpan(pending.waveNumber, pending.requestedAt, end_time or execution.endTime))
    return found


def _opened(execution: Execution, wave_number: int) -> str:
    if not 1 <= wave_number <= len(execution.waves):
        return ""
    wave = execution.waves[wave_number - 1]
    if wave.pausedAt:
        return wave.pausedAt
    if wave_number == 1:
        return execution.startTime
    return execution.waves[wave_number - 2].endTime


def overlap_seconds(intervals: Iterable[Interval], start: datetime, end: datetime) -> float:
    """Seconds of ``[start, end]`` that the intervals cover (overlaps counted once)."""
    clipped = sorted((max(a, start), min(b, end)) for a, b in intervals if b > start and a < end)
    total = 0.0
    current: Interval | None = None
    for a, b in clipped:
        if current is None or a > current[1]:
            if current is not None:
                total += (current[1] - current[0]).total_seconds()
            current = (a, b)
        else:
            current = (current[0], max(current[1], b))
    if current is not None:
        total += (current[1] - current[0]).total_seconds()
    return total


def compute(execution: Execution, target_minutes: int | None, *, end_time: str = "") -> Rto:
    """The RTO of ``execution`` (as recorded when it ends at ``end_time``) against the target."""
    target = target_minutes * 60 if target_minutes else None
    launched = launch_times(execution)
    if not launched:
        return Rto(targetSeconds=target, met=None if target is None else False)
    start, last = parse_iso(execution.startTime), max(launched)
    measured = max(0.0, (last - start).total_seconds())
    waited = overlap_seconds(pauses(execution, end_time), start, last)
    met = None if target is None else (recovered(execution) and measured <= target)
    return Rto(
        measuredSeconds=round(measured),
        excludingApprovalSeconds=round(max(0.0, measured - waited)),
        targetSeconds=target,
        met=met,
    )


def duration(seconds: float | None) -> str:
    """A length of time as the report says it: ``4 min 05 s``, ``1 h 02 min`` (from an hour on,
    to the nearest minute), ``45 s``; "not measured" for none."""
    if seconds is None:
        return "not measured"
    whole = max(0, round(seconds))
    if whole >= 3600:
        hours, minutes = divmod(round(whole / 60), 60)
        return f"{hours} h {minutes:02d} min"
    minutes, secs = divmod(whole, 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def summary(rto: Rto | None) -> str:
    """The line completion messages lead with (``Rto.line``), or "" before there is an RTO."""
    return rto.line() if rto is not None else ""
