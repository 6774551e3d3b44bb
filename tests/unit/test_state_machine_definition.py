"""The ASL in cfn/statemachine keeps the rules STYLE.md sets for Step Functions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest

ASL = Path(__file__).resolve().parents[2] / "cfn" / "statemachine" / "recovery-plan.asl.json"


def states(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in definition["States"].items():
        yield name, state
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from states(processor)


@pytest.fixture(scope="module")
def definition():
    return json.loads(ASL.read_text())


def test_every_task_has_a_timeout(definition):
    for name, state in states(definition):
        if state["Type"] == "Task":
            assert "TimeoutSeconds" in state or "TimeoutSecondsPath" in state, name


def test_every_task_has_a_catch(definition):
    for name, state in states(definition):
        if state["Type"] == "Task":
            assert state.get("Catch"), name


def test_every_failure_path_records_and_notifies_before_a_named_fail(definition):
    top = definition["States"]
    for catcher in top["RunWaves"]["Catch"] + top["AnnounceStart"]["Catch"]:
        recorder = top[catcher["Next"]]
        assert recorder["Parameters"]["Payload"]["task"] == "finish"
        assert top[recorder["Next"]]["Type"] == "Fail" and top[recorder["Next"]]["Error"]


def test_a_failure_inside_a_wave_leaves_the_map_as_a_named_error(definition):
    # a timeout inside a Map iteration would surface as States.Runtime, which no Catch sees
    inner = definition["States"]["RunWaves"]["ItemProcessor"]["States"]
    for name, state in inner.items():
        if state["Type"] == "Task":
            for catcher in state["Catch"]:
                assert inner[catcher["Next"]]["Type"] == "Fail" and inner[catcher["Next"]]["Error"], name


def test_bookkeeping_is_retried_then_a_failed_record_ends_failed_or_in_a_named_fail(definition):
    top = definition["States"]
    bookkeeping = [n for n, s in top.items() if s.get("Resource") == "arn:aws:states:::lambda:invoke"]
    assert "AnnounceStart" in bookkeeping and len(bookkeeping) == 7
    for name in bookkeeping:
        retried = {e for r in top[name]["Retry"] for e in r["ErrorEquals"]}
        assert {"States.TaskFailed", "States.Timeout", "Lambda.ServiceException"} <= retried, name
        assert all(r["BackoffRate"] > 1 for r in top[name]["Retry"]), name
    last_resort = top["RecordAsFailed"]
    assert last_resort["Parameters"]["Payload"]["outcome"] == "FAILED"
    for name in set(bookkeeping) - {"AnnounceStart", "RecordAsFailed"}:
        assert top[name]["Catch"][0]["ErrorEquals"] == ["States.ALL"]
        assert top[name]["Catch"][0]["Next"] == "RecordAsFailed", name
    assert top[last_resort["Next"]]["Type"] == "Fail"
    # and when even that fails, operators are alerted without the orchestrator, then a named Fail
    alert = top[last_resort["Catch"][0]["Next"]]
    assert alert["Resource"] == "arn:aws:states:::sns:publish"
    assert alert["Parameters"]["TopicArn"] == "${OperationalAlertsTopicArn}"
    assert top[alert["Next"]]["Type"] == "Fail" and alert["Catch"][0]["Next"] == alert["Next"]


def test_the_pause_waits_for_a_task_token_with_a_timeout_from_the_input(definition):
    pause = dict(states(definition))["WaitForApproval"]
    assert pause["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert pause["Parameters"]["Payload"]["taskToken.$"] == "$$.Task.Token"
    assert pause["TimeoutSecondsPath"] == "$.approvalTimeoutSeconds"
    assert pause["Catch"][0]["ErrorEquals"] == ["States.Timeout"]


def test_waves_run_one_at_a_time_in_order(definition):
    assert definition["States"]["RunWaves"]["MaxConcurrency"] == 1


def test_the_orchestrator_refuses_a_malformed_payload():
    from handlers.orchestrator import lambda_handler
    from tests.support.events import LambdaContext

    with pytest.raises(pydantic.ValidationError):
        lambda_handler({"task": "pause", "executionId": "e"}, LambdaContext())
    with pytest.raises(pydantic.ValidationError):
        lambda_handler({"task": "format_disk"}, LambdaContext())


def test_a_rejected_pause_payload_does_not_echo_its_task_token():
    from handlers.orchestrator import lambda_handler
    from tests.support.events import LambdaContext

    token = "AAAA" + "x" * 5000  # too long: refused
    with pytest.raises(pydantic.ValidationError) as error:
        lambda_handler(
            {"task": "pause", "executionId": "e", "waveNumber": 2, "taskToken": token}, LambdaContext()
        )
    assert "xxxx" not in str(error.value)


def test_a_failed_wave_waits_for_retry_skip_or_cancel_and_its_timeout_ends_failed(definition):
    inner = definition["States"]["RunWaves"]["ItemProcessor"]["States"]
    # a failed wave goes to the decision only when the plan says pause; else it fails as before
    pause_rule = next(c for c in inner["WaveDone?"]["Choices"] if c.get("Next") == "WaitForWaveDecision")
    assert {"Variable": "$.poll.result.onWaveFailure", "StringEquals": "pause"} in pause_rule["And"]
    wait = inner["WaitForWaveDecision"]
    assert wait["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert wait["Parameters"]["Payload"]["task"] == "wave_failed_pause"
    assert wait["TimeoutSecondsPath"] == "$.approvalTimeoutSeconds"
    # nothing retries or catches the cancel (SendTaskFailure ExecutionCancelled leaves the Map as it is)
    assert "States.TaskFailed" not in {e for r in wait["Retry"] for e in r["ErrorEquals"]}
    assert [c["ErrorEquals"] for c in wait["Catch"]] == [["States.Timeout"]]
    assert inner[wait["Catch"][0]["Next"]]["Error"] == "WaveDecisionTimedOut"
    choices = {c["StringEquals"]: c["Next"] for c in inner[wait["Next"]]["Choices"]}
    assert choices == {"retry": "RetryWave", "skip": "SkipWave"}
    assert inner["RetryWave"]["Next"] == "CheckRecoveryJob"  # checks at once, then polls as before
    assert inner[inner["SkipWave"]["Next"]]["Type"] == "Succeed"
    for name in ("RetryWave", "SkipWave"):
        assert inner[name]["Parameters"]["Payload"]["decision.$"] == "$.decision"
        assert all(r["BackoffRate"] > 1 for r in inner[name]["Retry"]), name
    # a retry that met DRS throttling is run again (it launches only what has not started)
    assert {"DrsCallError"} <= {e for r in inner["RetryWave"]["Retry"] for e in r["ErrorEquals"]}
    # and the timeout ends FAILED, through the recorder
    timeout = next(
        c for c in definition["States"]["RunWaves"]["Catch"] if c["ErrorEquals"] == ["WaveDecisionTimedOut"]
    )
    assert definition["States"][timeout["Next"]]["Parameters"]["Payload"]["outcome"] == "FAILED"


def test_every_task_the_state_machine_names_is_an_orchestrator_task(definition):
    from handlers.orchestrator import _TASKS

    named = {
        s["Parameters"]["Payload"]["task"]
        for _, s in states(definition)
        if s["Type"] == "Task" and "Payload" in s.get("Parameters", {})
    }
    assert named <= set(_TASKS)
