"""The timeline picture of the HTML report (handlers/reports/timeline_svg.py and
templates/reports/timeline.svg.j2), read back as XML: a bar per wave that started, the pauses
shaded, hook runs marked, the RTO target as a line, the axis in the human format, and every
text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from handlers.models.execution import WaveProgress
from handlers.reports import report_formats, timeline_svg
from handlers.reports.reports import build_report
from tests.support.data import big_execution

NS = {"svg": "http://www.w3.org/2000/svg"}
HOSTILE = '<script>alert("x")</script> & </svg><svg onload=alert(1)>'


def report(**changes: Any) -> dict[str, Any]:
    """A hand-made report: three waves (the third never started), a pause before wave 2 decided
    after 6 minutes, a 30-minute target, run from 10:00 to 10:40."""
    made: dict[str, Any] = {
        "executionId": "e-1",
        "planName": "Payments failover",
        "startTime": "2026-12-07T10:00:00.000000Z",
        "endTime": "2026-12-07T10:40:00.000000Z",
        "rto": {
            "measuredSeconds": 1500,
            "excludingApprovalSeconds": 1140,
            "targetSeconds": 1800,
            "met": True,
        },
        "waves": [
            wave(1, "Tier 0", "10:00:00", "10:08:00"),
            wave(2, "Tier 1", "10:14:00", "10:25:00"),
            {**wave(3, "Tier 2", "", ""), "status": "CANCELLED"},
        ],
        "pauses": [
            {
                "waveNumber": 2,
                "openedAt": "2026-12-07T10:08:00.000000Z",
                "closedAt": "2026-12-07T10:14:00.000000Z",
                "decision": "resume",
            }
        ],
    }
    made.update(changes)
    return made


def wave(number: int, group: str, start: str, end: str) -> dict[str, Any]:
    return {
        "waveNumber": number,
        "groupName": group,
        "status": "COMPLETED",
        "startTime": f"2026-12-07T{start}.000000Z" if start else "",
        "endTime": f"2026-12-07T{end}.000000Z" if end else "",
        "servers": [],
    }


def drawn(made: dict[str, Any], until: str = "2026-12-07T10:40:00Z") -> ET.Element:
    """The SVG, parsed: it must be well-formed XML, whatever the report's texts hold."""
    return parsed(timeline_svg.svg(made, until=until))


def parsed(markup: str) -> ET.Element:
    # the product's own output, made in this test: nothing untrusted reaches the parser
    return ET.fromstring(markup)  # noqa: S314


def shapes(root: ET.Element, group: str) -> list[ET.Element]:
    return root.findall(f"svg:g[@class='{group}']/svg:rect", NS)


def x_span(shape: ET.Element) -> tuple[float, float]:
    x = float(shape.get("x", "0"))
    return x, x + float(shape.get("width", "0"))


def test_each_wave_that_started_is_one_bar_from_its_start_to_its_end() -> None:
    # Given a run from 10:00 to 10:40 whose third wave never started
    root = drawn(report())
    # Then the two waves that ran are a bar each, in their rows, the third says it did not start
    bars = shapes(root, "bars")
    assert [b.get("class") for b in bars] == ["bar completed", "bar completed"]
    (first_x1, first_x2), (second_x1, _) = map(x_span, bars)
    plot = timeline_svg.WIDTH - timeline_svg.RIGHT_PAD - timeline_svg.LABEL_WIDTH
    assert first_x1 == timeline_svg.LABEL_WIDTH
    assert abs((first_x2 - first_x1) - plot * 8 / 40) < 0.2  # 8 of the axis's 40 minutes
    assert abs(second_x1 - (timeline_svg.LABEL_WIDTH + plot * 14 / 40)) < 0.2
    assert float(bars[1].get("y", "0")) > float(bars[0].get("y", "0"))
    notes = root.findall("svg:g[@class='rows']/svg:text[@class='note']", NS)
    assert [n.text for n in notes] == ["not started"]
    assert "Wave 1: Tier 0: COMPLETED, 2026-12-07 10:00:00 to 2026-12-07 10:08:00 (8 min 00 s)" in (
        bars[0].findtext("svg:title", namespaces=NS) or ""
    )


def test_a_running_wave_is_drawn_to_the_time_the_page_was_made() -> None:
    running = report(
        endTime="", waves=[{**wave(1, "Tier 0", "10:00:00", ""), "status": "RUNNING"}], pauses=[]
    )
    (bar,) = shapes(drawn(running, until="2026-12-07T10:20:00Z"), "bars")
    assert bar.get("class") == "bar running"
    assert "still running" in (bar.findtext("svg:title", namespaces=NS) or "")
    # the axis reaches the 30-minute target: 20 of its 30 minutes are the running wave
    plot = timeline_svg.WIDTH - timeline_svg.RIGHT_PAD - timeline_svg.LABEL_WIDTH
    x1, x2 = x_span(bar)
    assert abs((x2 - x1) - plot * 20 / 30) < 0.2


def test_a_pause_is_shaded_in_the_row_of_the_wave_it_held_from_its_opening_to_its_decision() -> None:
    root = drawn(report())
    (pause,) = shapes(root, "pauses")
    (_, first_end), (second_start, _) = map(x_span, shapes(root, "bars"))
    assert pause.get("fill") == "url(#timeline-hatch)"
    assert x_span(pause) == (first_end, second_start)  # 10:08 to 10:14
    title = pause.findtext("svg:title", namespaces=NS) or ""
    assert title == (
        "Waiting for a decision on wave 2: 2026-12-07 10:08:00 to 2026-12-07 10:14:00 (6 min 00 s), resumed"
    )


def test_a_pause_still_open_is_shaded_to_the_time_the_page_was_made() -> None:
    open_pause = {"waveNumber": 2, "openedAt": "2026-12-07T10:08:00Z", "closedAt": "", "decision": ""}
    waves = [
        wave(1, "Tier 0", "10:00:00", "10:08:00"),
        {**wave(2, "Tier 1", "", ""), "status": "WAITING_APPROVAL"},
    ]
    root = drawn(report(endTime="", waves=waves, pauses=[open_pause], rto=None), until="2026-12-07T10:20:00Z")
    (pause,) = shapes(root, "pauses")
    assert x_span(pause)[1] == timeline_svg.WIDTH - timeline_svg.RIGHT_PAD
    assert (pause.findtext("svg:title", namespaces=NS) or "").endswith("to now (12 min 00 s), still waiting")


def test_the_rto_target_is_a_vertical_line_at_start_plus_target() -> None:
    root = drawn(report())
    line = root.find("svg:g[@class='target']/svg:line", NS)
    assert line is not None and line.get("x1") == line.get("x2")
    plot = timeline_svg.WIDTH - timeline_svg.RIGHT_PAD - timeline_svg.LABEL_WIDTH
    assert abs(float(line.get("x1", "0")) - (timeline_svg.LABEL_WIDTH + plot * 30 / 40)) < 0.2
    assert root.findtext("svg:g[@class='target']/svg:text", namespaces=NS) == "RTO target 30 min 00 s"


def test_no_target_draws_no_line_and_a_target_beyond_the_end_widens_the_axis() -> None:
    assert drawn(report(rto={"targetSeconds": None})).find("svg:g[@class='target']", NS) is None
    root = drawn(report(rto={"targetSeconds": 3 * 3600}))
    line = root.find("svg:g[@class='target']/svg:line", NS)
    assert line is not None and float(line.get("x1", "0")) == timeline_svg.WIDTH - timeline_svg.RIGHT_PAD
    label = root.find("svg:g[@class='target']/svg:text", NS)
    assert label is not None and label.get("text-anchor") == "end" and label.text == "RTO target 3 h 00 min"


def test_the_axis_is_labelled_in_the_human_format_the_date_said_once() -> None:
    root = drawn(report())
    times = [t.text for t in root.findall("svg:g[@class='axis']/svg:text[@class='tick']", NS)]
    dates = [t.text for t in root.findall("svg:g[@class='axis']/svg:text[@class='tick-date']", NS)]
    assert times == ["10:00:00", "10:10:00", "10:20:00", "10:30:00", "10:40:00"]
    assert dates == ["2026-12-07"]
    assert len(times) <= timeline_svg.MAX_TICKS


def test_the_axis_says_the_date_again_when_the_run_crosses_midnight() -> None:
    overnight = report(
        startTime="2026-12-07T23:00:00Z",
        endTime="2026-12-08T01:00:00Z",
        waves=[
            {
                **wave(1, "Tier 0", "", ""),
                "startTime": "2026-12-07T23:00:00Z",
                "endTime": "2026-12-08T01:00:00Z",
            }
        ],
        pauses=[],
    )
    root = drawn(overnight, until="2026-12-08T01:00:00Z")
    dates = [t.text for t in root.findall("svg:g[@class='axis']/svg:text[@class='tick-date']", NS)]
    assert dates == ["2026-12-07", "2026-12-08"]


def test_hook_runs_are_marks_before_the_bar_above_it_and_after_below() -> None:
    # Given wave 1 ran a before hook that passed and an after hook that failed
    made = report()
    made["waves"][0]["hooks"] = [
        hook("warm-cache", "before", "PASSED", "10:00:00", "10:01:00"),
        hook("smoke-test", "after", "FAILED", "10:07:00", "10:08:00"),
    ]
    root = drawn(made)
    before, after = shapes(root, "hooks")
    (bar, _) = shapes(root, "bars")
    # Then each is a mark from its start to its end, classed by phase and status
    assert before.get("class") == "hook before passed" and after.get("class") == "hook after failed"
    assert float(before.get("y", "0")) < float(bar.get("y", "0")) < float(after.get("y", "0"))
    plot = timeline_svg.WIDTH - timeline_svg.RIGHT_PAD - timeline_svg.LABEL_WIDTH
    assert abs(x_span(before)[1] - x_span(before)[0] - plot / 40) < 0.2
    assert (after.findtext("svg:title", namespaces=NS) or "").startswith(
        "after hook smoke-test (lambda) of Wave 1: Tier 0: FAILED, 2026-12-07 10:07:00 to 2026-12-07 10:08:00"
    )
    assert "2 hook runs marked" in (root.findtext("svg:desc", namespaces=NS) or "")


def test_a_hook_record_without_a_start_is_left_off_the_picture() -> None:
    made = report()
    made["waves"][0]["hooks"] = [
        {"name": "never-ran", "phase": "before", "status": "SKIPPED"},
        {"name": "waiting", "phase": "after", "status": "PENDING", "startedAt": ""},
    ]
    assert shapes(drawn(made), "hooks") == []


def hook(name: str, phase: str, status: str, start: str, end: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "lambda",
        "phase": phase,
        "attempt": 1,
        "status": status,
        "startedAt": f"2026-12-07T{start}.000000Z",
        "endedAt": f"2026-12-07T{end}.000000Z",
        "message": "",
    }


def test_a_hostile_plan_or_group_name_is_text_in_the_picture_never_markup() -> None:
    # Given a plan, a group and a hook named to break out of the SVG
    made = report(planName=HOSTILE)
    made["waves"][0]["groupName"] = HOSTILE
    made["waves"][0]["hooks"] = [hook(HOSTILE, "before", "PASSED", "10:00:00", "10:01:00")]
    markup = timeline_svg.svg(made, until="2026-12-07T10:40:00Z")
    # Then the picture is still one well-formed SVG, its texts hold the names as written
    root = parsed(markup)
    assert markup.count("<svg") == 1 and "<script" not in markup
    assert root.findtext("svg:title", namespaces=NS) == f"Timeline of {HOSTILE}: 3 waves"
    titles = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any(HOSTILE in t for t in titles[1:])
    assert all(el.tag.split("}")[1] in ALLOWED for el in root.iter())


ALLOWED = {"svg", "title", "desc", "style", "defs", "pattern", "rect", "line", "g", "text"}


def test_the_page_carries_the_picture_with_its_accessible_name() -> None:
    execution = big_execution(servers=20, waves=3, failed_every=1000)
    page = report_formats.to_html(build_report(execution))
    assert page.count("<svg") == 1 and 'role="img"' in page
    assert 'aria-labelledby="timeline-title timeline-desc"' in page
    start, end = page.index("<svg"), page.index("</svg>") + len("</svg>")
    root = parsed(page[start:end])
    assert len(shapes(root, "bars")) == 3 and len(shapes(root, "pauses")) == 1
    assert "Payments &lt;b&gt;failover&lt;/b&gt;" in page[start:end]


def test_the_report_lists_pauses_and_hook_runs_for_the_picture() -> None:
    # Given a record whose wave carries hook runs (added by the hooks feature)
    execution = big_execution(servers=20, waves=2, failed_every=1000)
    made = build_report(execution)
    assert made["pauses"] == [
        {
            "waveNumber": 2,
            "openedAt": "2026-11-30T10:04:00.000000Z",
            "closedAt": "2026-11-30T10:20:00.000000Z",
            "decision": "resume",
        }
    ]
    assert "hooks" not in made["waves"][0]
    # When the wave's record has hook runs, the report passes them on and the timeline lists them
    ran = hook("check", "after", "PASSED", "10:03:00", "10:03:30")
    execution.waves[0] = HookedWave(**execution.waves[0].model_dump(exclude={"hooks"}), hooks=[ran])
    with_hooks = build_report(execution)
    assert with_hooks["waves"][0]["hooks"][0]["name"] == "check"
    line = next(e for e in with_hooks["timeline"] if e["event"] == "hook_passed")
    assert line == {
        "at": "2026-12-07T10:03:30.000000Z",
        "event": "hook_passed",
        "detail": "after hook check of wave 1 (Tier 0): PASSED",
    }


class HookedWave(WaveProgress):
    """A wave record as the hooks feature writes it (docs/hooks.md: ``hooks`` on the wave)."""

    hooks: list[dict[str, Any]] = []
