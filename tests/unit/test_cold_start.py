"""Importing an entry point builds no project model's schema (``handlers.models.base.Model`` defers
it to first use), so a function pays only for the models its invocations use. No timings here:
``benchmarks/cold_start.py`` measures the effect."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILT_AT_IMPORT = """
import json, sys
import {entry}
from handlers.models.base import Model

def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)

print(json.dumps(sorted(m.__qualname__ for m in subclasses(Model) if m.__pydantic_complete__)))
"""


@pytest.mark.parametrize("entry", ["handlers.api", "handlers.orchestrator", "bot.app", "bot.notifier"])
def test_importing_an_entry_point_builds_no_model(entry: str) -> None:
    # Given a fresh interpreter, When it imports the entry point
    result = subprocess.run(
        [sys.executable, "-c", BUILT_AT_IMPORT.format(entry=entry)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    # Then no model has been built yet
    assert json.loads(result.stdout) == []
