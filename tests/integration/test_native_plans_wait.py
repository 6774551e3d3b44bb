"""A wave's ``waitBeforeMinutes`` (a DRS native plan's wait step, handlers/native_plans/) runs in the
state machine: after any approval, before the wave launches. Minutes are shortened to seconds here
(``WAVE_WAIT_SECONDS_PER_MINUTE``); AWS waits 60 s a minute."""

from __future__ import annotations

from typing import Any

from handlers.core.timestamps import parse_iso
from tests.conftest import reset_caches
from tests.support.data import group_body
from tests.support.events import call_api
from tests.support.orchestration import wait_until


def test_a_wave_waits_its_minutes_before_it_launches_and_only_that_wave(
    orchestration: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("WAVE_WAIT_SECONDS_PER_MINUTE", "1")
    reset_caches()
    groups = [call_api("POST", "/protection-groups", group_body(f"Tier {i}", servers=1))[1] for i in range(2)]
    waves = [
        {"waveNumber": 1, "protectionGroupId": groups[0]["groupId"]},
        {"waveNumber": 2, "protectionGroupId": groups[1]["groupId"], "waitBeforeMinutes": 3},
    ]
    status, plan = call_api(
        "POST", "/recovery-plans", {"planName": "Waits", "waves": waves, "requireReason": "never"}
    )
    assert status == 201 and [w["waitBeforeMinutes"] for w in plan["waves"]] == [0, 3]
    status, execution = call_api("POST", "/executions", {"planId": plan["planId"], "isDrill": True})
    assert status == 201, execution

    def ended() -> Any:
        current = call_api("GET", f"/executions/{execution['executionId']}")[1]
        return current if current["status"] in {"SUCCEEDED", "FAILED", "CANCELLED"} else None

    done = wait_until(ended, timeout=60)
    assert done and done["status"] == "SUCCEEDED", done
    first, second = done["waves"]
    gap = (parse_iso(second["startTime"]) - parse_iso(first["endTime"])).total_seconds()
    assert gap >= 3, (first["endTime"], second["startTime"])
    history = orchestration.aws.client("stepfunctions").get_execution_history(
        executionArn=done["stateMachineExecutionArn"], maxResults=1000
    )["events"]
    waits = [e for e in history if e.get("stateEnteredEventDetails", {}).get("name") == "WaitBeforeWave"]
    assert len(waits) == 1  # wave 2 only: a wave without a wait goes straight on
