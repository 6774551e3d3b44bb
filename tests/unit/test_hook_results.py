"""How each hook's answer maps to a hook status (handlers/hooks/calls.py), without AWS; and the hook
models' refusals (handlers/models/hooks.py), each naming its field."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from handlers.hooks import calls
from handlers.models.hooks import WaveHooks


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Success", "PASSED"),
        ("CompletedWithSuccess", "PASSED"),
        ("Failed", "FAILED"),
        ("TimedOut", "FAILED"),
        ("Cancelled", "FAILED"),
        ("CompletedWithFailure", "FAILED"),
        ("Rejected", "FAILED"),
        ("Pending", "RUNNING"),
        ("InProgress", "RUNNING"),
        ("Waiting", "RUNNING"),
        ("PendingApproval", "RUNNING"),
    ],
)
def test_every_automation_status_maps_to_a_hook_status(status: str, expected: str) -> None:
    outcome = calls.automation_outcome(
        {"AutomationExecutionId": "a-1", "DocumentName": "doc", "AutomationExecutionStatus": status}
    )
    assert outcome.status == expected and outcome.detail["automationStatus"] == status


def test_a_failed_automation_names_its_failed_step_and_message() -> None:
    outcome = calls.automation_outcome(
        {
            "AutomationExecutionId": "a-1",
            "DocumentName": "drs-chatops-check",
            "AutomationExecutionStatus": "Failed",
            "FailureMessage": "port 443 closed",
            "StepExecutions": [
                {"StepName": "checkInstances", "StepStatus": "Success"},
                {"StepName": "verifyApplication", "StepStatus": "Failed"},
            ],
        }
    )
    assert outcome.status == "FAILED"
    assert "at step verifyApplication" in outcome.message and "port 443 closed" in outcome.message


@pytest.mark.parametrize(
    ("error", "payload", "says"),
    [
        (
            "Unhandled",
            json.dumps({"errorType": "KeyError", "errorMessage": "db"}).encode(),
            "raised an error",
        ),
        (None, b'"not an object"', "garbage"),
        (None, b'{"status": "MAYBE"}', "garbage"),
        (None, b'{"status": "FAILED"}', "garbage"),  # a failure must say why
        (None, b"x" * (6 * 1024 * 1024 + 1), "more than 6 MB"),
    ],
)
def test_a_function_that_raises_answers_garbage_or_too_much_fails_saying_which(
    error: str | None, payload: bytes, says: str
) -> None:
    outcome = calls.lambda_outcome("drs-chatops-hook-x", error, payload)
    assert outcome.status == "FAILED" and says in outcome.message, outcome


def test_a_function_answer_passes_or_fails_with_its_message() -> None:
    assert calls.lambda_outcome("f", None, b'{"status": "PASSED"}').status == "PASSED"
    failed = calls.lambda_outcome("f", None, b'{"status": "FAILED", "message": "db down"}')
    assert (failed.status, failed.message) == ("FAILED", "db down")


def test_instance_ids_token_expands_to_the_wave_instances() -> None:
    expanded = calls.expand_parameters(
        {"InstanceIds": ["{{instanceIds}}"], "Mode": ["quick"]}, ["i-1", "i-2"]
    )
    assert expanded == {"InstanceIds": ["i-1", "i-2"], "Mode": ["quick"]}


def test_status_checks_pass_only_when_instance_and_system_status_are_ok() -> None:
    ok = {"InstanceStatus": {"Status": "ok"}, "SystemStatus": {"Status": "ok"}}
    statuses = [
        {"InstanceId": "i-1", **ok},
        {"InstanceId": "i-2", **ok, "SystemStatus": {"Status": "initializing"}},
    ]
    assert calls.instance_status_outcome(["i-1"], statuses).status == "PASSED"
    waiting = calls.instance_status_outcome(["i-1", "i-2"], statuses)
    assert waiting.status == "RUNNING" and "i-2" in waiting.message


def _job(*runs: tuple[str, str]) -> dict[str, object]:
    return {
        "participatingServers": [
            {
                "sourceServerID": "s-1",
                "launchActionsStatus": {
                    "runs": [
                        {"action": {"name": n, "category": "VALIDATION"}, "status": st} for n, st in runs
                    ]
                },
            }
        ]
    }


def test_launch_actions_pass_fail_or_wait_by_their_validation_runs() -> None:
    assert calls.launch_actions_outcome([_job(("ping", "SUCCEEDED"))]).status == "PASSED"
    failed = calls.launch_actions_outcome([_job(("ping", "SUCCEEDED"), ("http", "FAILED"))])
    assert failed.status == "FAILED" and "http on s-1" in failed.message
    assert calls.launch_actions_outcome([_job(("ping", "IN_PROGRESS"))]).status == "RUNNING"


@pytest.mark.parametrize(
    ("hooks", "field"),
    [
        ({"before": [{"name": "a", "type": "instanceStatus"}]}, "before.0"),
        ({"after": [{"name": "a", "type": "lambda", "functionName": "other-fn"}]}, "functionName"),
        ({"after": [{"name": "a", "type": "ssmAutomation", "documentName": "Mine-Doc"}]}, "documentName"),
        (
            {
                "after": [
                    {
                        "name": "a",
                        "type": "lambda",
                        "functionName": "drs-chatops-hook-a",
                        "timeoutMinutes": 16,
                    }
                ]
            },
            "after.0",
        ),
        ({"after": [{"name": "a", "type": "launchActions", "timeoutMinutes": 121}]}, "timeoutMinutes"),
        ({"after": [{"name": "a", "type": "launchActions"}] * 2}, "unique"),
        ({"after": [{"name": f"h{i}", "type": "launchActions"} for i in range(11)]}, "after"),
    ],
)
def test_a_hook_outside_the_contract_is_refused_naming_the_field(
    hooks: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        WaveHooks.model_validate(hooks)
    assert field in str(refused.value)


def test_aws_owned_documents_and_pattern_names_are_accepted() -> None:
    hooks = WaveHooks.model_validate(
        {
            "before": [{"name": "a", "type": "ssmAutomation", "documentName": "AWS-RestartEC2Instance"}],
            "after": [
                {"name": "b", "type": "ssmAutomation", "documentName": "drs-chatops-smoke"},
                {"name": "c", "type": "lambda", "functionName": "drs-chatops-hook-app", "payload": {"k": 1}},
            ],
        }
    )
    assert hooks.count() == 3 and hooks.after[1].timeoutMinutes == 15
