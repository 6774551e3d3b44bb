"""The longest run the product accepts, and how often a running wave is polled.

A Step Functions standard execution holds at most 25,000 history events, and every poll of a running
wave costs some (cfn/statemachine/recovery-plan.asl.json: a Wait, the CheckRecoveryJob task and the
WaveDone? choice). A run must therefore be bounded, and these are its bounds:

- a plan holds at most :data:`MAX_WAVES` waves (a longer plan is refused when it is created or
  changed, naming the limit: :func:`check_wave_count`);
- every wave may pause before it runs (and a recovery before it starts);
- an attempt of a wave polls DRS for at most :data:`WAVE_HOURS` hours, then fails naming the limit
  (handlers/runs/orchestration.py ``poll_wave``);
- a run retries failed waves at most :data:`MAX_RETRIES_PER_RUN` times in all; a wave that fails
  after that fails the run instead of pausing for Retry / Skip / Cancel;
- the poll interval backs off while a wave runs (:func:`poll_interval`): the setting
  ``DRS_POLL_SECONDS`` (30) at first, then the time the attempt has been running, up to
  ``DRS_POLL_MAX_SECONDS`` (300): 30 s, 30 s, 60 s, 120 s, 240 s, then every 5 minutes.

tests/unit/test_history_budget.py counts, from the ASL, the events of the longest such run and
keeps it under the limit with a margin.

**Wave hooks** (docs/hooks.md) add to a run's history what a plan chooses: each hook runs once
(``RunHook``), an automation or status check is looked at until its ``timeoutMinutes`` (each look a
``WaitForHook``, ``RunHook`` and ``HookNext?``, backing off like a wave's polls from
``HOOK_POLL_SECONDS``), then may fail, pause and be skipped. :func:`check_history_budget` adds the
longest such run of every hook of the plan to the longest run of its waves and refuses, when it is
saved, a plan that could not fit (:func:`run_events`); a retried hook costs no more than a retried
wave, which the retries already count. The event counts below are the ASL's
(tests/unit/test_history_budget.py fails when one drifts from it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

HISTORY_EVENT_LIMIT = 25_000  # Step Functions standard executions
HISTORY_SHARE = 0.8  # the longest run keeps a fifth of the history spare
MAX_WAVES = 20
WAVE_HOURS = 6
MAX_RETRIES_PER_RUN = 5

# History events (and tasks: one in ten is counted as retried once by Step Functions, 3 events
# each) of a run's parts, as tests/unit/test_history_budget.py counts them from the ASL with the
# deployed poll settings (30 s backing off to 300 s; hooks from 15 s).
RUN_EVENTS, RUN_TASKS = 3513, 399  # start, Map, ending, MAX_RETRIES_PER_RUN retried WAVE_HOURS attempts
WAVE_EVENTS, WAVE_TASKS = 725, 81  # a wave paused, decided, polled WAVE_HOURS, failed, paused, skipped
HOOKS_PHASE_EVENTS, HOOKS_PHASE_TASKS = 9, 1  # Begin*Hooks, and the RunHook that finds none left
HOOK_EVENTS, HOOK_TASKS = 20, 3  # a hook run, failed, paused (WaitForHookDecision) and skipped
HOOK_POLL_EVENTS, HOOK_POLL_TASKS = 9, 1  # WaitForHook, RunHook, HookNext?
RETRIED_SHARE, TASK_RETRY_EVENTS = 0.1, 3
HOOK_POLL_SECONDS, POLL_MAX_SECONDS = 15, 300  # the deployed defaults (handlers/core/settings.py)

# A hook as the budget sees it: (timeoutMinutes, whether it is looked at until it ends).
HookCost = tuple[int, bool]

T = TypeVar("T")


def check_wave_count(waves: list[T]) -> list[T]:
    """A plan's waves, refused beyond :data:`MAX_WAVES` with a message naming the limit and why."""
    if len(waves) > MAX_WAVES:
        raise ValueError(
            f"a plan holds at most {MAX_WAVES} waves (got {len(waves)}): the longest run "
            f"({MAX_WAVES} waves of up to {WAVE_HOURS} hours each, {MAX_RETRIES_PER_RUN} retries) "
            f"must fit one Step Functions execution's {HISTORY_EVENT_LIMIT:,} history events"
        )
    return waves


def poll_interval(running_seconds: float, base_seconds: int, max_seconds: int) -> int:
    """Seconds until the next poll of a wave attempt that has run ``running_seconds``: the base
    interval at first, then about the time it has run (so each wait roughly doubles), never more
    than ``max_seconds``."""
    return max(base_seconds, min(int(running_seconds), max(max_seconds, base_seconds)))


def hook_polls(timeout_minutes: int) -> int:
    """Looks at a hook running ``timeout_minutes`` (an automation or a status check that never
    ends): one per backed-off wait until its timeout has passed (that look stops it)."""
    elapsed, polls = 0, 0
    while elapsed < timeout_minutes * 60:
        elapsed += poll_interval(elapsed, HOOK_POLL_SECONDS, POLL_MAX_SECONDS)
        polls += 1
    return polls


def run_events(waves: Sequence[tuple[Sequence[HookCost], Sequence[HookCost]]]) -> int:
    """History events of the longest run of a plan whose waves have these (before, after) hooks:
    every wave as long as it may be (:data:`WAVE_EVENTS`), every hook polled to its timeout, failed,
    paused and skipped, the run's retries (:data:`RUN_EVENTS`), one task in ten retried."""
    events, tasks = RUN_EVENTS, RUN_TASKS
    for phases in waves:
        events, tasks = events + WAVE_EVENTS, tasks + WAVE_TASKS
        for hooks in phases:
            if hooks:
                events, tasks = events + HOOKS_PHASE_EVENTS, tasks + HOOKS_PHASE_TASKS
            for minutes, polled in hooks:
                polls = hook_polls(minutes) if polled else 0
                events += HOOK_EVENTS + polls * HOOK_POLL_EVENTS
                tasks += HOOK_TASKS + polls * HOOK_POLL_TASKS
    return events + int(tasks * RETRIED_SHARE) * TASK_RETRY_EVENTS


def check_history_budget(waves: Sequence[tuple[Sequence[HookCost], Sequence[HookCost]]]) -> None:
    """Refuse (ValueError, a 400 naming ``waves``) a plan whose hooks could push its longest run past
    the share of the history it may use, saying how many events, where most go and what to change."""
    events = run_events(waves)
    allowed = int(HISTORY_SHARE * HISTORY_EVENT_LIMIT)
    if events <= allowed:
        return
    hooks = sum(len(h) for phases in waves for h in phases)
    costs = [run_events([phases]) - run_events([((), ())]) for phases in waves]
    heaviest = max(range(len(waves)), key=lambda i: costs[i])
    raise ValueError(
        f"the plan's {hooks} hooks could push a run past Step Functions' {HISTORY_EVENT_LIMIT:,} history "
        f"events: its longest run ({len(waves)} waves, every hook looked at until its timeoutMinutes, "
        f"then paused and skipped) takes up to {events:,} events, more than the {allowed:,} a run may "
        f"use; wave {heaviest + 1}'s hooks take {costs[heaviest]:,}: use fewer hooks or shorter "
        "timeoutMinutes"
    )
