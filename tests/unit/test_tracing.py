"""Every Lambda entry point runs inside the shared Tracer's ``## lambda_handler`` subsegment (so one
execution is followed across the state machine, the functions, SNS and Slack), and no handler's
response (task tokens, approval ids, Slack payloads) is copied into the trace."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from handlers.core.observability import tracer
from tests.support.events import LambdaContext, api_event

# entry module -> an event it answers without AWS or Slack
QUIET_EVENTS: dict[str, dict[str, Any]] = {
    "handlers.api": api_event("GET", "/no-such-route"),
    "handlers.orchestrator": {"task": "not-a-task"},  # refused by the payload model
    "bot.app": {"body": "{", "headers": {"content-type": "application/json"}},  # malformed: a 400
    "bot.notifier": {"Records": []},
}


class RecordingSubsegment:
    def __init__(self, name: str) -> None:
        self.name = name
        self.annotations: dict[str, Any] = {}
        self.metadata: dict[str, Any] = {}

    def put_annotation(self, key: str, value: Any) -> None:
        self.annotations[key] = value

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.metadata[key] = value

    def add_exception(self, exception: BaseException, stack: Any = None, remote: bool = False) -> None:
        self.metadata["exception"] = exception


class RecordingProvider:
    def __init__(self) -> None:
        self.subsegments: list[RecordingSubsegment] = []

    @contextmanager
    def in_subsegment(self, name: str) -> Iterator[RecordingSubsegment]:
        subsegment = RecordingSubsegment(name)
        self.subsegments.append(subsegment)
        yield subsegment


def test_the_tracer_is_off_in_tests() -> None:
    # Given the test environment (POWERTOOLS_TRACE_DISABLED=true, no X-Ray daemon)
    # Then the shared tracer neither patches nor sends anything
    assert tracer.disabled


@pytest.mark.parametrize("entry", sorted(QUIET_EVENTS))
def test_each_entry_point_runs_in_a_traced_subsegment_without_its_response(
    entry: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the shared tracer recording the subsegments it opens
    provider = RecordingProvider()
    monkeypatch.setattr(tracer, "provider", provider)
    handler = importlib.import_module(entry).lambda_handler

    # When the entry point handles an event
    try:
        handler(QUIET_EVENTS[entry], LambdaContext())
    except Exception as exc:  # the orchestrator raises on a bad payload: Step Functions sees it
        assert entry == "handlers.orchestrator", exc

    # Then it ran inside the handler subsegment, and the response was not recorded
    assert [s.name for s in provider.subsegments] == ["## lambda_handler"]
    assert not any(key.endswith("response") for key in provider.subsegments[0].metadata)
