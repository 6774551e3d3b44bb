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
"""

from __future__ import annotations

from typing import TypeVar

HISTORY_EVENT_LIMIT = 25_000  # Step Functions standard executions
MAX_WAVES = 20
WAVE_HOURS = 6
MAX_RETRIES_PER_RUN = 5

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
