"""Starting a run without running it: Step Functions' ``StartExecution`` is answered and nothing runs,
so a test decides how the run ends (as its finish task, or a stop outside the state machine, would)."""

from __future__ import annotations

from typing import Any


def answer_state_machine_starts(monkeypatch: Any, account_id: str) -> None:
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def answered(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "StartExecution":
            arn = f"arn:aws:states:us-east-1:{account_id}:execution:recovery-plan:{params['name']}"
            return {"executionArn": arn, "startDate": "2030-01-01T00:00:00Z"}
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", answered)
    monkeypatch.setenv(
        "STATE_MACHINE_ARN", f"arn:aws:states:us-east-1:{account_id}:stateMachine:recovery-plan"
    )
