"""The demo's timeline: each step printed as it checks out, with the seconds since the demo began.

Shared by :mod:`sandbox.entry.demo` (which runs the story) and :mod:`sandbox.entry.demo_story` (its steps).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class StepFailed(RuntimeError):
    pass


class Timeline:
    """Prints each step as it checks out, with the seconds since the demo began."""

    def __init__(self) -> None:
        self.began = time.monotonic()
        self.current = ""
        self.steps = 0

    def stamp(self) -> str:
        return f"[{time.monotonic() - self.began:6.1f}s]"

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """``with timeline.step("..") as notes: notes.append("detail")``; any exception fails it."""
        self.current = name
        notes: list[str] = []
        try:
            yield notes
        except StepFailed:
            raise
        except Exception as exc:
            raise StepFailed(f"{type(exc).__name__}: {exc}") from exc
        self.steps += 1
        print(f"{self.stamp()} ok   {name}", flush=True)
        for note in notes:
            print(f"{'':10}      {note}", flush=True)

    def skip(self, name: str, why: str) -> None:
        print(f"{self.stamp()} skip {name}: {why}", flush=True)

    def fail(self, why: str) -> None:
        print(f"{self.stamp()} FAIL {self.current}\n{'':15}{why}", flush=True)
        print("demo: FAILED (exit 1)", flush=True)

    def done(self) -> None:
        print(
            f"demo: all {self.steps} steps checked out in {time.monotonic() - self.began:.1f} s", flush=True
        )
