"""The longest run the product accepts (handlers/core/run_limits.py) fits one Step Functions standard
execution: at most 25,000 history events, with a margin of a fifth. The events are counted from the
ASL itself (cfn/statemachine/recovery-plan.asl.json), walking the states a run goes through, so a
state added to the poll loop or to a wave's path shows up here.

The longest run: ``MAX_WAVES`` waves, each paused before it runs and decided; every attempt of a
wave polled for ``WAVE_HOURS`` hours at the backed-off interval (``poll_interval`` with the
deployed defaults) until it fails at that limit; ``MAX_RETRIES_PER_RUN`` retries, each a failed-wave
pause, a Retry and another full attempt; every other wave failing once more and skipped after its
pause; one in ten task runs retried once by Step Functions; the longest ending (the outcome record
failing, the last-resort record, the alert)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from handlers.core import run_limits
from handlers.core.settings import Settings

ASL = Path(__file__).resolve().parents[2] / "cfn" / "statemachine" / "recovery-plan.asl.json"
# History events per state (AWS Step Functions history event types).
TASK = 5  # TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded, TaskStateExited
CALLBACK_TASK = 6  # ... and TaskSubmitted, for .waitForTaskToken
PER_STATE = {"Wait": 2, "Choice": 2, "Pass": 2, "Succeed": 2, "Fail": 2}
MAP = 4  # MapStateEntered, MapStateStarted, MapStateSucceeded|Failed, MapStateExited
ITERATION = 2  # MapIterationStarted, MapIterationSucceeded|Failed
EXECUTION = 2  # ExecutionStarted, ExecutionSucceeded|Failed
TASK_RETRY = 3  # TaskFailed, TaskScheduled, TaskStarted
RETRIED_SHARE = 0.1
MARGIN = 0.8


def cost(state: dict[str, Any]) -> int:
    if state["Type"] == "Task":
        return CALLBACK_TASK if state["Resource"].endswith(".waitForTaskToken") else TASK
    if state["Type"] == "Map":
        return MAP
    return PER_STATE[state["Type"]]


def walk(
    states: dict[str, Any], start: str, until: str, choose: dict[str, str] | None = None
) -> tuple[int, int]:
    """(events, tasks) of the states from ``start`` up to, not including, ``until`` (or to the end),
    following ``Next``, a Choice by ``choose`` (else its Default), a Task's failure by its Catch when
    ``choose`` names the Task."""
    events = tasks = 0
    name: str | None = start
    seen: set[str] = set()
    while name is not None and name != until:
        assert name not in seen, f"the walk from {start} loops at {name} before reaching {until}"
        seen.add(name)
        state = states[name]
        events += cost(state)
        tasks += state["Type"] == "Task"
        if state["Type"] == "Choice":
            name = (choose or {}).get(name) or state["Default"]
        elif name in (choose or {}):
            name = choose[name]  # type: ignore[index]
        else:
            name = state.get("Next")
    assert name == until or until == "", f"the walk from {start} ended before {until}"
    return events, tasks


@pytest.fixture(scope="module")
def asl() -> dict[str, Any]:
    return json.loads(ASL.read_text())


def polls_per_attempt() -> int:
    """Polls of one attempt running ``WAVE_HOURS``: the waits ``poll_interval`` gives with the
    deployed defaults, until the attempt has run its hours (that poll fails it)."""
    settings = Settings()
    elapsed, polls = 0, 0
    while elapsed < run_limits.WAVE_HOURS * 3600:
        elapsed += run_limits.poll_interval(elapsed, settings.drs_poll_seconds, settings.drs_poll_max_seconds)
        polls += 1
    return polls


def longest_run(asl: dict[str, Any]) -> dict[str, int]:
    found = parts(asl)
    waves = run_limits.MAX_WAVES
    tasks = found["run"][1] + waves * found["wave"][1]
    events = found["run"][0] + waves * found["wave"][0] + int(tasks * RETRIED_SHARE) * TASK_RETRY
    return {
        "events": events,
        "polls_per_attempt": polls_per_attempt(),
        "poll_events": found["poll"][0],
        "tasks": tasks,
    }


def parts(asl: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(events, tasks) of a run's parts: the run without its waves (start, Map, ending, the retries),
    one wave as long as it may be, a poll of a wave, and the hooks' parts (a phase, a hook failed,
    paused and skipped, a look at a running hook)."""
    top = asl["States"]
    inner = top["RunWaves"]["ItemProcessor"]["States"]
    # a wave: the iteration, its pause and decision, its start - up to the poll loop
    wave_in, wave_in_tasks = walk(
        inner, "PauseBeforeWave?", "WaitForRecoveryJob", {"PauseBeforeWave?": "WaitForApproval"}
    )
    # one poll: round the loop once (the wave still running)
    poll, poll_tasks = _loop(inner)
    # a failed attempt retried: the decision, the retry, back into the loop
    retry, retry_tasks = walk(
        inner, "WaitForWaveDecision", "WaitForRecoveryJob", {"RetryOrSkip?": "RetryWave"}
    )
    retry -= cost(inner["CheckRecoveryJob"]) + cost(
        inner["WaveDone?"]
    )  # counted as that attempt's first poll
    # a failed wave skipped: the decision, the skip, the iteration's end
    skip, skip_tasks = walk(inner, "WaitForWaveDecision", "", {"RetryOrSkip?": "SkipWave"})
    wave_out = cost(inner["WaveCompleted"])
    start, start_tasks = walk(top, asl["StartAt"], "RunWaves")
    ending = max(
        walk(top, "RecordSucceeded", "")[0],
        walk(
            top,
            "RecordFailed",
            "",
            {"RecordFailed": "RecordAsFailed", "RecordAsFailed": "AlertRecordNotWritten"},
        )[0],
    )
    polls = polls_per_attempt()
    retries = run_limits.MAX_RETRIES_PER_RUN
    run = (
        EXECUTION + start + MAP + retries * (retry + polls * poll) + ending,
        start_tasks + retries * (retry_tasks + polls * poll_tasks) + 3,
    )
    wave = (
        ITERATION + wave_in + polls * poll + skip + wave_out,
        wave_in_tasks + polls * poll_tasks + skip_tasks,
    )
    # hooks: a phase begins (a Pass) and ends with the RunHook that finds no hook left
    phase = walk(inner, "BeginBeforeHooks", "StartWave", {"HookNext?": "StartWave"})
    # a hook runs, fails, pauses for a decision and is skipped; the next RunHook is the next hook's
    hook = walk(
        inner,
        "RunHook",
        "RunHookAgain",
        {"HookNext?": "WaitForHookDecision", "RetryOrSkipHook?": "SkipHook", "SkipHook": "RunHookAgain"},
    )
    # a look at a running hook: round the loop once
    look = walk(inner, "WaitForHook", "HookNext?")
    return {
        "run": run,
        "wave": wave,
        "poll": (poll, poll_tasks),
        "phase": (phase[0] - cost(inner["BeginBeforeHooks"]) + cost(inner["BeginAfterHooks"]), phase[1]),
        "hook": hook,
        "hook_poll": (look[0] + cost(inner["HookNext?"]), look[1]),
    }


def _loop(inner: dict[str, Any]) -> tuple[int, int]:
    """Once round the poll loop: from the Wait, following Next and each Choice's Default, back to it."""
    events = tasks = 0
    name = "WaitForRecoveryJob"
    while True:
        state = inner[name]
        events += cost(state)
        tasks += state["Type"] == "Task"
        name = state["Default"] if state["Type"] == "Choice" else state["Next"]
        if name == "WaitForRecoveryJob":
            return events, tasks


def test_the_longest_run_the_product_accepts_fits_the_history_with_a_fifth_to_spare(asl):
    budget = longest_run(asl)
    assert budget["events"] <= MARGIN * run_limits.HISTORY_EVENT_LIMIT, budget


def test_the_poll_interval_backs_off_from_30_seconds_to_5_minutes():
    settings = Settings()
    waits, elapsed = [], 0
    for _ in range(8):
        waits.append(
            run_limits.poll_interval(elapsed, settings.drs_poll_seconds, settings.drs_poll_max_seconds)
        )
        elapsed += waits[-1]
    assert waits == [30, 30, 60, 120, 240, 300, 300, 300]
    # an attempt of WAVE_HOURS polls about 12 times an hour, not 120
    assert polls_per_attempt() <= 12 * run_limits.WAVE_HOURS + 6


def test_without_back_off_the_same_run_would_not_fit(asl, monkeypatch):
    # the budget is real: polled every 30 s, the longest run would overflow the history
    monkeypatch.setenv("DRS_POLL_MAX_SECONDS", "30")
    assert longest_run(asl)["events"] > run_limits.HISTORY_EVENT_LIMIT


def test_the_budget_the_product_checks_plans_against_is_the_asls(asl: dict[str, Any]) -> None:
    # Given the ASL's parts counted with the deployed poll settings
    found = parts(asl)
    # Then handlers/core/run_limits.py holds the same counts (a state added to a loop shows up here)
    assert {k: v for k, v in found.items() if k != "poll"} == {
        "run": (run_limits.RUN_EVENTS, run_limits.RUN_TASKS),
        "wave": (run_limits.WAVE_EVENTS, run_limits.WAVE_TASKS),
        "phase": (run_limits.HOOKS_PHASE_EVENTS, run_limits.HOOKS_PHASE_TASKS),
        "hook": (run_limits.HOOK_EVENTS, run_limits.HOOK_TASKS),
        "hook_poll": (run_limits.HOOK_POLL_EVENTS, run_limits.HOOK_POLL_TASKS),
    }
    settings = Settings()
    assert (
        settings.hook_poll_seconds,
        settings.drs_poll_max_seconds,
    ) == (run_limits.HOOK_POLL_SECONDS, run_limits.POLL_MAX_SECONDS)
    # and its longest run of MAX_WAVES waves without hooks is the one counted above
    no_hooks: tuple[tuple[run_limits.HookCost, ...], tuple[run_limits.HookCost, ...]] = ((), ())
    assert run_limits.run_events([no_hooks] * run_limits.MAX_WAVES) == longest_run(asl)["events"]


def test_a_hook_looked_at_for_its_longest_timeout_costs_less_than_a_retried_wave(asl: dict[str, Any]) -> None:
    # the run's retries are counted as full wave attempts, so a retried hook needs no budget of its own
    found = parts(asl)
    longest_hook = run_limits.hook_polls(120) * run_limits.HOOK_POLL_EVENTS + run_limits.HOOK_EVENTS
    assert longest_hook < polls_per_attempt() * found["poll"][0]
    # a 120-minute hook is looked at about 29 times (15 s, backing off to 5 minutes), not 480
    assert 25 <= run_limits.hook_polls(120) <= 32


def test_hooks_count_in_the_budget_and_a_plan_they_would_push_past_it_is_refused_naming_why() -> None:
    automation = (120, True)
    # a few waves with the hooks most plans have fit, with plenty to spare
    usual = [(((15, False),), ((15, True), (10, True))) for _ in range(5)]
    assert run_limits.run_events(usual) < 0.5 * run_limits.HISTORY_EVENT_LIMIT
    run_limits.check_history_budget(usual)
    # every hook costs: the same waves with more hooks take more events
    assert run_limits.run_events(usual) > run_limits.run_events([((), ())] * 5)
    # three waves of ten before and ten after automations of 120 minutes could not fit
    heavy = [((automation,) * 10, (automation,) * 10) for _ in range(3)]
    assert run_limits.run_events(heavy) > run_limits.HISTORY_SHARE * run_limits.HISTORY_EVENT_LIMIT
    with pytest.raises(ValueError) as refused:
        run_limits.check_history_budget(heavy)
    message = str(refused.value)
    assert "60 hooks could push a run past Step Functions' 25,000 history events" in message
    assert "use fewer hooks or shorter timeoutMinutes" in message and "wave 1's hooks take" in message
    # the same hooks as lambda hooks (invoked once, never looked at again) fit
    run_limits.check_history_budget([(((15, False),) * 10, ((15, False),) * 10) for _ in range(3)])
    # and at MAX_WAVES there is room for a few hooks, not for many long automations
    run_limits.check_history_budget([(((), ((15, True),)))] + [((), ())] * (run_limits.MAX_WAVES - 1))
    with pytest.raises(ValueError):
        run_limits.check_history_budget([((), (automation,) * 10)] * run_limits.MAX_WAVES)
