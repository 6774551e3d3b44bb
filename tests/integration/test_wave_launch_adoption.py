"""A wave's round of launches is recorded once, after its last StartRecovery
(handlers/runs/wave_launch.py): a task that dies between a StartRecovery and that write is run
again, and the re-run adopts the jobs DRS already runs for the wave (by their ``drs-chatops:*``
tags) instead of starting their servers again. In process: moto's tables, the DRS emulator."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.core.errors import DomainError
from handlers.models.execution import PollWaveTask, StartWaveTask
from handlers.repositories.executions import ExecutionRepository
from handlers.runs.orchestration import poll_wave, start_wave
from tests.conftest import ACCOUNT_A
from tests.support.data import group_body, plan_body, stored_one_wave_execution
from tests.support.events import call_api
from tests.support.faults import fail_aws_calls


def _lose_the_first_wave_write_after_a_start(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The executions table refuses the first write that follows a StartRecovery (the task dies
    between the launch and its record); every later write goes through."""
    pending = {"lose": False, "lost": 0}

    def started(call: Any, _body: Any) -> None:
        if call.operation == "StartRecovery" and not pending["lost"]:
            pending["lose"] = True

    def code_for(operation: str, params: dict[str, Any]) -> str | None:
        if (
            pending["lose"]
            and operation == "UpdateItem"
            and params["TableName"] == aws.tables["EXECUTIONS_TABLE"]
        ):
            pending["lose"], pending["lost"] = False, pending["lost"] + 1
            return "InternalServerError"
        return None

    aws.drs.before = started
    fail_aws_calls(monkeypatch, code_for)


def test_a_launch_whose_record_write_failed_is_adopted_by_the_rerun_not_started_again(aws, monkeypatch):
    # Given a three-server wave launched one server a job, and an execution table that loses the
    # write recording the first round of launches
    monkeypatch.setattr("handlers.aws.drs.START_RECOVERY_LIMIT", 1)
    group = call_api("POST", "/protection-groups", group_body("Tier", servers=3))[1]
    plan = call_api("POST", "/recovery-plans", plan_body([group["groupId"]]))[1]
    execution_id = stored_one_wave_execution(plan, group, ACCOUNT_A)
    _lose_the_first_wave_write_after_a_start(aws, monkeypatch)
    task = StartWaveTask(task="start_wave", executionId=execution_id, waveNumber=1)
    with pytest.raises(DomainError, match="data store failed"):
        start_wave(task)
    assert aws.drs.started  # DRS runs jobs the execution does not record
    # When Step Functions runs the task again, and the wave is polled to its end
    result = start_wave(task)
    for _ in range(30):
        if result["status"] != "IN_PROGRESS":
            break
        result = poll_wave(PollWaveTask(task="poll_wave", executionId=execution_id, waveNumber=1))
    # Then no server was started twice: the re-run adopted the three jobs and the wave completed
    launched = [s["sourceServerID"] for b in aws.drs.started for s in b["sourceServers"]]
    assert sorted(launched) == sorted(group["sourceServerIds"]), launched
    [wave] = ExecutionRepository().get(execution_id).waves  # type: ignore[union-attr]
    assert result["status"] == wave.status == "COMPLETED", wave
    assert len(wave.jobIds) == 3 and {s.launchStatus for s in wave.servers} == {"LAUNCHED"}
