"""A plan whose wave hooks could push a run past Step Functions' 25,000 history events is refused when
it is saved, naming why (handlers/core/run_limits.py ``check_history_budget``); the same plan with
fewer hooks is saved."""

from __future__ import annotations

from typing import Any

from tests.conftest import ACCOUNT_A
from tests.support.data import group_body, plan_body
from tests.support.events import call_api, invoke_direct


def automation(name: str, minutes: int = 120) -> dict[str, Any]:
    return {
        "name": name,
        "type": "ssmAutomation",
        "documentName": "AWS-RunShellScript",
        "timeoutMinutes": minutes,
    }


def plan_with(hooks_per_side: int, waves: int = 3) -> dict[str, Any]:
    groups = [
        call_api("POST", "/protection-groups", group_body(f"Tier {n}"))[1]["groupId"] for n in range(waves)
    ]
    body = plan_body(groups)
    for wave in body["waves"]:
        wave["pauseBeforeExecution"] = False
        wave["hooks"] = {
            "before": [automation(f"b{n}") for n in range(hooks_per_side)],
            "after": [automation(f"a{n}") for n in range(hooks_per_side)],
        }
    return body


def test_hooks_that_could_overflow_the_history_are_a_400_at_save_and_fewer_are_saved(aws):
    # Given three waves, each with ten before and ten after automations of 120 minutes
    body = plan_with(10)
    # When it is created through the API, and by direct invocation
    status, refused = call_api("POST", "/recovery-plans", body)
    direct = invoke_direct("create_recovery_plan", {**body, "accountId": ACCOUNT_A})
    # Then both refuse it naming the waves field, the 25,000 events and what to change; nothing saved
    assert status == 400, refused
    text = str(refused)
    assert "waves" in text and "60 hooks could push a run past Step Functions' 25,000 history events" in text
    assert "use fewer hooks or shorter timeoutMinutes" in text
    assert direct["error"] == "VALIDATION_ERROR" and "25,000 history events" in str(direct)
    assert call_api("GET", "/recovery-plans")[1]["items"] == []
    # And the same waves with two automations a side are saved
    status, saved = call_api("POST", "/recovery-plans", plan_with(2))
    assert status == 201, saved
    assert len(saved["waves"][0]["hooks"]["before"]) == 2
