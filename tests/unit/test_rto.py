"""Measured RTO arithmetic (handlers/reports/rto.py): wall clock, minus approval waits, against a target."""

from __future__ import annotations

from typing import Any

from handlers.core.timestamps import parse_iso
from handlers.models.execution import Decision, Execution, PendingApproval, Rto, ServerLaunch, WaveProgress
from handlers.reports import rto

T0 = "2026-11-30T10:00:00.000000Z"


def at(minutes: float) -> str:
    seconds = int(minutes * 60)
    return f"2026-11-30T{10 + seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000000Z"


def wave(number: int, launched: list[float | None], **fields: Any) -> WaveProgress:
    servers = [
        ServerLaunch(sourceServerId=f"s-{number}{i}", launchStatus="LAUNCHED", launchedAt=at(m))
        if m is not None
        else ServerLaunch(sourceServerId=f"s-{number}{i}", launchStatus="FAILED")
        for i, m in enumerate(launched)
    ]
    return WaveProgress(
        waveNumber=number,
        protectionGroupId=f"g{number}",
        protectionGroupName=f"G{number}",
        servers=servers,
        **fields,
    )


def execution(waves: list[WaveProgress], **fields: Any) -> Execution:
    return Execution(
        executionId="e",
        planId="p",
        planName="P",
        accountId="111111111111",
        startedBy="ana",
        startedVia="api",
        startTime=T0,
        waves=waves,
        **fields,
    )


def resumed(wave_number: int, minutes: float) -> Decision:
    return Decision(
        action="resume", decidedBy="bo", channel="slack", decidedAt=at(minutes), waveNumber=wave_number
    )


def test_without_pauses_the_rto_is_start_to_the_last_launch() -> None:
    # Given two waves whose last server launched 14 minutes after the start
    run = execution([wave(1, [3, 5], endTime=at(6)), wave(2, [14, 9], endTime=at(15))], status="SUCCEEDED")
    # When the RTO is computed against a 30-minute target
    measured = rto.compute(run, 30)
    # Then it is 14 minutes either way and meets the target
    assert measured == Rto(measuredSeconds=840, excludingApprovalSeconds=840, targetSeconds=1800, met=True)
    assert rto.summary(measured) == "RTO 14 min (target 30) ✓"


def test_a_pause_counts_in_wall_clock_but_not_in_the_time_excluding_approval() -> None:
    # Given a pause before wave 2 opened at minute 6 and resumed at minute 26
    second = wave(2, [30], pausedAt=at(6), endTime=at(31))
    run = execution([wave(1, [5], endTime=at(6)), second], decisions=[resumed(2, 26)])
    # When the RTO is computed against a 20-minute target
    measured = rto.compute(run, 20)
    # Then wall clock is 30 minutes (missed), 10 without the 20-minute wait
    assert measured.measuredSeconds == 1800 and measured.excludingApprovalSeconds == 600
    assert measured.met is False
    assert rto.summary(measured) == "RTO 30 min (target 20) ✗"


def test_a_pause_without_its_opening_time_starts_when_the_wave_before_it_ended() -> None:
    # Given a record from before pausedAt was kept: the pause opened when wave 1 ended (minute 6)
    run = execution([wave(1, [5], endTime=at(6)), wave(2, [30])], decisions=[resumed(2, 26)])
    # Then the wait is minute 6 to 26
    assert rto.compute(run, None).excludingApprovalSeconds == 600


def test_a_failed_waves_pause_counts_from_when_the_wave_failed_not_from_its_start() -> None:
    # Given wave 1 launched at minute 5, wave 2 started at 6 (no pause before it), failed at 10 and
    # paused for a decision that opened then; retried at minute 25, its server launched at 28
    failed = wave(2, [28], startTime=at(6), endTime=at(29))
    retried = Decision(
        action="retry",
        decidedBy="bo",
        channel="slack",
        decidedAt=at(25),
        waveNumber=2,
        openedAt=at(10),
    )
    run = execution([wave(1, [5], endTime=at(6)), failed], decisions=[retried])
    # Then only the 15 minutes waiting for the decision are subtracted, not the wave's own 4 minutes
    assert rto.compute(run, None).excludingApprovalSeconds == 28 * 60 - 15 * 60


def test_a_pause_before_the_first_wave_starts_at_the_start() -> None:
    run = execution([wave(1, [12])], decisions=[resumed(1, 10)])
    assert rto.compute(run, None).excludingApprovalSeconds == 120


def test_a_pause_after_the_last_launch_is_not_subtracted() -> None:
    # Given waves 1 launched at minute 5, then a pause before wave 2 still open when it was cancelled
    pending = PendingApproval(waveNumber=2, requestedAt=at(6), expiresAt=at(600))
    run = execution([wave(1, [5], endTime=at(6)), wave(2, [])], pendingApproval=pending)
    # When it ends at minute 40
    measured = rto.compute(run, 10, end_time=at(40))
    # Then the open pause lies after the last launch and changes nothing
    assert measured.measuredSeconds == 300 and measured.excludingApprovalSeconds == 300


def test_overlapping_pauses_count_once() -> None:
    start, end = parse_iso(at(0)), parse_iso(at(60))
    intervals = [(parse_iso(at(a)), parse_iso(at(b))) for a, b in [(10, 20), (15, 25), (30, 35)]]
    assert rto.overlap_seconds(intervals, start, end) == 20 * 60


def test_no_launch_is_not_measured_and_misses_a_target() -> None:
    # Given a run in which every server failed to launch
    run = execution([wave(1, [None, None])])
    # Then nothing is measured; with a target it is missed, without one it is unknown
    assert rto.compute(run, 30) == Rto(targetSeconds=1800, met=False)
    assert rto.compute(run, None) == Rto()
    assert rto.summary(rto.compute(run, None)) == "RTO not measured (no server launched) (no target)"


def test_a_run_with_a_failed_server_misses_its_target_however_fast() -> None:
    run = execution([wave(1, [2, None])], status="FAILED")
    measured = rto.compute(run, 30)
    assert measured.measuredSeconds == 120 and measured.met is False


def test_a_run_cancelled_before_its_last_wave_misses_its_target() -> None:
    # Given wave 1 launched in 3 minutes, then the run was cancelled before wave 2 started
    run = execution([wave(1, [3]), wave(2, [])], status="CANCELLED")
    # Then the target is missed: wave 2 was never recovered
    measured = rto.compute(run, 30)
    assert measured.measuredSeconds == 180 and measured.met is False


def test_without_a_target_met_is_null_and_the_line_says_so() -> None:
    measured = rto.compute(execution([wave(1, [14])]), None)
    assert measured.targetSeconds is None and measured.met is None
    assert rto.summary(measured) == "RTO 14 min (no target)"
    assert rto.summary(None) == ""


def test_the_final_slack_line_and_email_lead_with_the_rto() -> None:
    from bot.blocks.events import event_line
    from handlers.core.rendering import render_text
    from handlers.models.events import ExecutionEvent

    # Given a drill that ended with its RTO recorded (14 minutes against 30)
    run = execution(
        [wave(1, [14])],
        status="SUCCEEDED",
        endTime=at(15),
        rto=rto.compute(execution([wave(1, [14])], status="SUCCEEDED"), 30),
    )
    event = ExecutionEvent.of(run, "complete")
    # Then the Slack thread line and the email both start with it
    assert event_line(event) == "RTO 14 min (target 30) ✓\n✅ Drill completed"
    assert render_text("email/complete.txt.j2", event=event).startswith("RTO 14 min (target 30) ✓\n")
    # and an event of a run without an RTO (not ended) is unchanged
    assert event_line(ExecutionEvent.of(execution([wave(1, [14])]), "complete")) == "✅ Drill completed"
