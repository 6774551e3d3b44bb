"""The timeline picture of the HTML report: an inline SVG the report draws itself (no script, no
external asset), so the page prints and archives as one file.

One row per wave: a bar from its start to its end (to the run's end, or the time the page was made,
while it runs), the pauses the RTO measures (handlers/reports/rto.py ``pause_spans``) shaded in the
row of the wave they held, each hook run (docs/hooks.md, a wave's ``hooks``) marked from its
start to its end, ``before`` hooks above the bar and ``after`` hooks below it, and the plan's RTO
target as a vertical line. The axis is labelled in the human format (UTC: the page says so once).

This module computes the geometry from the report dict; ``templates/reports/timeline.svg.j2`` draws
it, autoescaped like the page around it (a plan or group name is data, never markup). Every shape
carries a ``<title>`` (a tooltip, and what a screen reader says), the picture a ``<title>`` and a
``<desc>`` that says the same in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from handlers.core.rendering import render_html
from handlers.core.timestamps import human, parse_iso
from handlers.reports.rto import duration

WIDTH = 960  # the viewBox; the page scales it to its width (A4 landscape or portrait alike)
LABEL_WIDTH = 200
RIGHT_PAD = 40
TOP = 34  # room for the RTO target's label
ROW = 34
BAR = 14
HOOK = 5
AXIS = 46
LEGEND = 26
LABEL_CHARS = 28
MAX_TICKS = 6
# Tick steps, seconds: the smallest that keeps the axis at MAX_TICKS labels or fewer.
STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
_DECIDED = {"resume": "resumed", "cancel": "cancelled", "retry": "retried", "skip": "skipped"}


class HookMark(BaseModel):
    """What the picture reads of a hook run record (the rest of the record is the report's)."""

    model_config = ConfigDict(extra="ignore")

    name: str = ""
    type: str = ""
    phase: str = ""
    status: str = ""
    startedAt: str
    endedAt: str = ""


@dataclass(frozen=True)
class Shape:
    """A rectangle of the picture: where it is, its CSS class, what its ``<title>`` says."""

    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    time: str  # the human format's time of day
    date: str  # its date, on the first tick and where the day changes ("" elsewhere)


@dataclass(frozen=True)
class Row:
    y: float
    label: str
    title: str
    note: str = ""  # said in the row when there is no bar ("not started")


@dataclass(frozen=True)
class Target:
    x: float
    label: str
    anchor: str = "middle"  # "end" near the right edge, so the label stays in the picture


@dataclass
class Picture:
    title: str
    description: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    top: int = TOP - 4
    rows: list[Row] = field(default_factory=list)
    pauses: list[Shape] = field(default_factory=list)
    bars: list[Shape] = field(default_factory=list)
    hooks: list[Shape] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    target: Target | None = None
    axis_y: float = 0.0
    legend_y: float = 0.0


@dataclass(frozen=True)
class Scale:
    start: datetime
    end: datetime
    left: float
    right: float

    def x(self, moment: datetime) -> float:
        span = (self.end - self.start).total_seconds()
        share = (moment - self.start).total_seconds() / span
        return round(self.left + max(0.0, min(1.0, share)) * (self.right - self.left), 1)

    def shape(self, start: datetime, end: datetime, y: float, height: float, css: str, title: str) -> Shape:
        x1, x2 = self.x(start), self.x(end)
        return Shape(x1, y, max(2.0, round(x2 - x1, 1)), height, css, title)


def svg(report: dict[str, Any], *, until: str) -> str:
    """The picture of ``report`` as SVG markup; ``until`` ends what is still running (the time the
    page is made)."""
    return render_html("reports/timeline.svg.j2", picture=picture(report, until=until))


def picture(report: dict[str, Any], *, until: str) -> Picture:
    waves: list[dict[str, Any]] = report["waves"]
    start = parse_iso(report["startTime"])
    end = parse_iso(report.get("endTime") or until)
    target_seconds = (report.get("rto") or {}).get("targetSeconds")
    scale = Scale(start, _axis_end(report, start, end, target_seconds), LABEL_WIDTH, WIDTH - RIGHT_PAD)
    axis_y = TOP + ROW * max(1, len(waves))
    drawn = Picture(
        title=f"Timeline of {report['planName']}: {_count(len(waves), 'wave')}",
        description="",
        width=WIDTH,
        height=int(axis_y + AXIS + LEGEND),
        plot_left=LABEL_WIDTH,
        plot_right=WIDTH - RIGHT_PAD,
        axis_y=axis_y,
        legend_y=axis_y + AXIS,
    )
    rows = {w["waveNumber"]: TOP + ROW * i for i, w in enumerate(waves)}
    for wave in waves:
        _draw_wave(drawn, scale, wave, rows[wave["waveNumber"]], end)
    for pause in report.get("pauses") or []:
        if pause["waveNumber"] in rows:
            drawn.pauses.append(_pause(scale, pause, rows[pause["waveNumber"]], end))
    if target_seconds:
        at = start + timedelta(seconds=target_seconds)
        x = scale.x(at)
        anchor = "end" if x > WIDTH - RIGHT_PAD - 80 else "middle"
        drawn.target = Target(x, f"RTO target {duration(target_seconds)}", anchor)
    drawn.ticks = ticks(scale)
    drawn.description = _description(report, drawn)
    return drawn


def _axis_end(report: dict[str, Any], start: datetime, end: datetime, target_seconds: int | None) -> datetime:
    """The right edge: the run's end, or later when a wave, pause or hook recorded a later time, or
    the RTO target lies beyond it (the line stays in the picture)."""
    times = [end]
    for wave in report["waves"]:
        times += [parse_iso(t) for t in (wave.get("endTime"), wave.get("startTime")) if t]
        times += [parse_iso(h.endedAt or h.startedAt) for h in _hook_runs(wave)]
    times += [parse_iso(p["closedAt"]) for p in report.get("pauses") or [] if p.get("closedAt")]
    if target_seconds:
        times.append(start + timedelta(seconds=target_seconds))
    latest = max(times)
    return latest if latest > start else start + timedelta(minutes=1)


def _draw_wave(drawn: Picture, scale: Scale, wave: dict[str, Any], y: float, end: datetime) -> None:
    name = f"Wave {wave['waveNumber']}: {wave['groupName']}"
    label = name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"
    if not wave.get("startTime"):
        drawn.rows.append(Row(y, label, f"{name}: {wave['status']}, not started", note="not started"))
        return
    started = parse_iso(wave["startTime"])
    ended = parse_iso(wave["endTime"]) if wave.get("endTime") else end
    took = duration((ended - started).total_seconds())
    until = human(wave["endTime"]) if wave.get("endTime") else "still running"
    title = f"{name}: {wave['status']}, {human(wave['startTime'])} to {until} ({took})"
    drawn.rows.append(Row(y, label, title))
    top = y + (ROW - BAR) / 2
    drawn.bars.append(scale.shape(started, ended, top, BAR, f"bar {wave['status'].lower()}", title))
    for hook in _hook_runs(wave):
        drawn.hooks.append(_hook(scale, hook, name, top, end))


def _hook_runs(wave: dict[str, Any]) -> list[HookMark]:
    runs = []
    for record in wave.get("hooks") or []:
        try:
            run = HookMark.model_validate(_plain(record))
        except ValidationError:
            continue
        if run.startedAt:  # a run that has not started has no place on a time axis; the tables list it
            runs.append(run)
    return runs


def _plain(record: Any) -> Any:
    return record.model_dump(mode="json") if isinstance(record, BaseModel) else record


def _hook(scale: Scale, hook: HookMark, wave: str, bar_top: float, end: datetime) -> Shape:
    started = parse_iso(hook.startedAt)
    ended = parse_iso(hook.endedAt) if hook.endedAt else end
    y = bar_top - HOOK - 1 if hook.phase == "before" else bar_top + BAR + 1
    title = (
        f"{hook.phase} hook {hook.name} ({hook.type}) of {wave}: {hook.status}, "
        f"{human(hook.startedAt)} to {human(hook.endedAt) or 'still running'}"
        f" ({duration((ended - started).total_seconds())})"
    )
    css = f"hook {hook.phase} {hook.status.lower()}".strip()
    return scale.shape(started, ended, y, HOOK, css, title)


def _pause(scale: Scale, pause: dict[str, Any], y: float, end: datetime) -> Shape:
    opened = parse_iso(pause["openedAt"])
    closed = parse_iso(pause["closedAt"]) if pause.get("closedAt") else end
    decided = _DECIDED.get(pause.get("decision") or "", pause.get("decision") or "")
    outcome = decided or ("still waiting" if not pause.get("closedAt") else "the run ended")
    title = (
        f"Waiting for a decision on wave {pause['waveNumber']}: {human(pause['openedAt'])} to "
        f"{human(pause.get('closedAt')) or 'now'} ({duration((closed - opened).total_seconds())}), "
        f"{outcome}"
    )
    return scale.shape(opened, closed, y + 3, ROW - 6, "pause", title)


def ticks(scale: Scale) -> list[Tick]:
    """Axis ticks at round clock times (every 1 s to 1 day), at most :data:`MAX_TICKS`; the date is
    said on the first and where the day changes."""
    span = (scale.end - scale.start).total_seconds()
    step = next((s for s in STEPS if span / s <= MAX_TICKS), STEPS[-1] * (int(span // 86400) // 5 + 1))
    epoch = scale.start.timestamp()
    first = scale.start + timedelta(seconds=(-epoch) % step)
    found: list[Tick] = []
    previous = ""
    moment = first
    while moment <= scale.end:
        date, time = human(moment).split(" ")
        found.append(Tick(scale.x(moment), time, date if date != previous else ""))
        previous = date
        moment += timedelta(seconds=step)
    return found


def _description(report: dict[str, Any], drawn: Picture) -> str:
    parts = [f"All times UTC. Run started {human(report['startTime'])}"]
    parts[0] += f", ended {human(report['endTime'])}." if report.get("endTime") else ", still running."
    parts += [row.title + "." for row in drawn.rows]
    if drawn.pauses:
        parts.append(f"{_count(len(drawn.pauses), 'pause')} waiting for a decision (shaded).")
    if drawn.hooks:
        parts.append(f"{_count(len(drawn.hooks), 'hook run')} marked.")
    if drawn.target is not None:
        parts.append(f"{drawn.target.label} drawn as a vertical line.")
    return " ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
