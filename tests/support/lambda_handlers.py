"""Tiny Lambda handlers for the sandbox's worker runtime tests (tests/unit/test_sandbox_lambdas.py).

A worker imports its handler by name in a process of its own, so they live in an importable module
that pulls in nothing heavy."""

from __future__ import annotations

import os
import time
from typing import Any

from handlers.core.settings import get_settings

_invocations = 0  # survives between invocations of a warm worker, as module state does in Lambda


def settings_handler(event: Any, context: Any) -> dict[str, Any]:
    return {"table": get_settings().protection_groups_table, "function": context.function_name}


def environment_handler(event: Any, context: Any) -> dict[str, str | None]:
    return {name: os.environ.get(name) for name in event["names"]}


def counting_handler(event: Any, context: Any) -> dict[str, int]:
    global _invocations
    _invocations += 1
    return {"pid": os.getpid(), "invocations": _invocations}


def sleeping_handler(event: Any, context: Any) -> dict[str, Any]:
    started = time.time()
    time.sleep(float(event.get("seconds", 1)))
    return {"pid": os.getpid(), "started": started, "ended": time.time()}


def raising_handler(event: Any, context: Any) -> None:
    raise RuntimeError("handler blew up")
