"""Wave hooks end to end in process (docs/hooks.md): the real ASL on moto, the DRS emulator, the
sandbox's SSM Automation and EC2 status emulators (sandbox/runtime/hook_surfaces.py) and its hook function
(sandbox/runtime/hook_function.py) reached through ``lambda.Invoke``: hooks that pass, fail, time out,
pause the run for Retry / Skip / Cancel, and a plan that names a hook outside the contract."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.emulators.ssm_automation import FAILED_STEP, FAILING_DOCUMENT, SUCCEEDING_DOCUMENT
from sandbox.runtime import hook_function, hook_surfaces
from tests.conftest import ACCOUNT_A
from tests.integration.hooks_support import deploy_function
from tests.integration.test_executions import TERMINAL, execution_status, pause_links, start
from tests.support.data import group_body, plan_body
from tests.support.events import call_api, invoke_direct

SANDBOX_HOOK = hook_function.NAME


@pytest.fixture
def hooks(orchestration: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The orchestration harness with the hook surfaces installed; a hook's minute lasts 1 s."""
    from tests.conftest import reset_caches
    from tests.support.inprocess import lambda_functions

    monkeypatch.setenv("HOOK_SECONDS_PER_MINUTE", "1")
    monkeypatch.setenv("HOOK_POLL_SECONDS", "1")
    reset_caches()
    hook_surfaces.install(orchestration.drs.state, None, complete_after_polls=2, ok_after_polls=1)
    for name in (SANDBOX_HOOK, "drs-chatops-hook-big"):  # readiness hooks_resolvable looks them up
        deploy_function(ACCOUNT_A, name)
    try:
        with lambda_functions({SANDBOX_HOOK: hook_function.lambda_handler, "drs-chatops-hook-big": _big}):
            yield orchestration
            orchestration.drain()
    finally:
        hook_surfaces.uninstall()


def _big(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"status": "PASSED", "message": "x" * (6 * 1024 * 1024 + 10)}


def lambda_hook(name: str, payload: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "lambda", "functionName": SANDBOX_HOOK, "payload": payload or {}, **extra}


def hooked_plan(
    before: list[dict[str, Any]], after: list[dict[str, Any]], **plan_fields: Any
) -> dict[str, Any]:
    """One wave (no pause) with these hooks."""
    group = call_api("POST", "/protection-groups", group_body("Database tier"))[1]["groupId"]
    body = plan_body([group], notificationEmail="dr@example.com", **plan_fields)
    body["waves"][0]["hooks"] = {"before": before, "after": after}
    status, plan = call_api("POST", "/recovery-plans", body)
    assert status == 201, plan
    return plan


def run(plan: dict[str, Any], wanted: set[str] = TERMINAL) -> dict[str, Any]:
    return execution_status(start(plan)["executionId"], wanted, timeout=60)


def test_passing_hooks_of_every_type_gate_the_wave_and_are_recorded_and_announced(hooks):
    # Given a wave with a before lambda hook and after ssmAutomation, instanceStatus and launchActions hooks
    plan = hooked_plan(
        [lambda_hook("warm-up")],
        [
            {
                "name": "smoke test",
                "type": "ssmAutomation",
                "documentName": SUCCEEDING_DOCUMENT,
                "parameters": {"InstanceIds": ["{{instanceIds}}"]},
            },
            {"name": "status checks", "type": "instanceStatus"},
            {"name": "validation", "type": "launchActions"},
            lambda_hook("app answers"),
        ],
    )
    # When it runs
    finished = run(plan)
    # Then it succeeds, every hook recorded PASSED in order, each with its phase and attempt
    assert finished["status"] == "SUCCEEDED", finished
    records = finished["waves"][0]["hooks"]
    assert [(r["name"], r["phase"], r["attempt"], r["status"]) for r in records] == [
        ("warm-up", "before", 1, "PASSED"),
        ("smoke test", "after", 1, "PASSED"),
        ("status checks", "after", 1, "PASSED"),
        ("validation", "after", 1, "PASSED"),
        ("app answers", "after", 1, "PASSED"),
    ]
    assert all(r["startedAt"] and r["endedAt"] for r in records)
    assert records[1]["detail"]["automationExecutionId"]
    # the before hook ran before any server launched; the lambda hook saw the wave's servers
    assert "wave 1" in records[0]["message"]
    # the status checks looked at the wave's recovered EC2 instances (the sandbox's are their ids)
    instances = {s["recoveryInstanceId"] for s in finished["waves"][0]["servers"]}
    assert set(records[2]["detail"]["instanceIds"].split(",")) == instances
    # and the thread got a start and a result line per hook; the completion email lists them
    types = hooks.event_types()
    assert types.count("hook_start") == 5 and types.count("hook_result") == 5
    complete = hooks.wait_for_event("wave_complete")
    assert "Hooks:" in complete["body"] and "smoke test (ssmAutomation) PASSED" in complete["body"]
    assert types.index("wave_complete") > max(i for i, t in enumerate(types) if t == "hook_result")


def failed_hook_pause(**plan_fields: Any) -> dict[str, Any]:
    plan = hooked_plan([], [lambda_hook("gate", {"fail": True})], **plan_fields)
    paused = run(plan, {"PAUSED"} | TERMINAL)
    assert paused["status"] == "PAUSED", paused
    return paused


def test_a_failed_hook_pauses_as_hook_failed_naming_it_and_offering_retry_skip_cancel(hooks):
    paused = failed_hook_pause()
    pending = paused["pendingApproval"]
    assert pending["kind"] == "hook_failed" and pending["failedHook"] == "gate" and pending["waveNumber"] == 1
    assert "gate" in paused["waves"][0]["message"] and "failed" in paused["waves"][0]["message"]
    event = hooks.wait_for_event("hook_failed_pause")
    assert set(pause_links(event)) == {"retry", "skip", "cancel"}
    assert "the sandbox hook failed" in event["body"]
    status, body = call_api("POST", f"/executions/{paused['executionId']}/resume", {})
    assert status == 409 and "retry or skip or cancel" in body["message"], body


def test_retry_runs_the_hook_again_not_the_servers_then_skip_goes_on(hooks):
    paused = failed_hook_pause()
    execution_id = paused["executionId"]
    launched_before = len(hooks.drs.started)
    # When an operator retries through the API (the hook fails again) ...
    status, body = call_api("POST", f"/executions/{execution_id}/retry", {"reason": "redeployed"})
    assert status == 200, body

    def second_pause() -> dict[str, Any] | None:
        current = call_api("GET", f"/executions/{execution_id}")[1]
        attempts = [r for r in current["waves"][0]["hooks"] if r["name"] == "gate"]
        return current if current["status"] == "PAUSED" and len(attempts) == 2 else None

    from tests.support.orchestration import wait_until

    again = wait_until(second_pause, 30)
    assert again, call_api("GET", f"/executions/{execution_id}")[1]
    # ... and then skips it by direct invocation
    result = invoke_direct(
        "skip_wave", {"accountId": again["accountId"], "executionId": execution_id, "decidedBy": "ops"}
    )
    assert "error" not in result, result
    finished = execution_status(execution_id, TERMINAL)
    # Then the run succeeds, no server launched again, and the hook's attempts are on the record
    assert finished["status"] == "SUCCEEDED", finished
    assert len(hooks.drs.started) == launched_before
    gate = [r for r in finished["waves"][0]["hooks"] if r["name"] == "gate"]
    assert [(r["attempt"], r["status"]) for r in gate] == [(1, "FAILED"), (2, "SKIPPED")]
    assert gate[1]["requestedBy"] and "skipped by ops" in gate[1]["message"]
    assert [d["action"] for d in finished["decisions"]] == ["retry", "skip"]
    # and each decision records the hook_failed pause it closed, in the order the two pauses opened
    retried, skipped = finished["decisions"]
    assert retried["pauseKind"] == skipped["pauseKind"] == "hook_failed"
    assert retried["openedAt"] < retried["decidedAt"] < skipped["openedAt"] < skipped["decidedAt"]


def test_on_wave_failure_fail_ends_failed_naming_the_hook(hooks):
    plan = hooked_plan([lambda_hook("pre-check", {"fail": True})], [], onWaveFailure="fail")
    finished = run(plan)
    assert finished["status"] == "FAILED", finished
    assert "pre-check" in finished["statusReason"], finished["statusReason"]
    assert finished["waves"][0]["status"] == "FAILED" and not finished["waves"][0]["servers"]
    assert "hook_failed_pause" not in hooks.event_types()


def test_optional_hooks_that_raise_answer_garbage_too_much_or_time_out_only_report(hooks):
    # Given optional before hooks that fail in each way a function can
    plan = hooked_plan(
        [
            lambda_hook("raises", {"raise": True}, optional=True),
            lambda_hook("garbage", {"garbage": True}, optional=True),
            {"name": "too big", "type": "lambda", "functionName": "drs-chatops-hook-big", "optional": True},
            lambda_hook("sleeps", {"sleepSeconds": 3}, optional=True, timeoutMinutes=1),
        ],
        [],
    )
    finished = run(plan)
    # Then the run goes on and each failure says which it was
    assert finished["status"] == "SUCCEEDED", finished
    by_name = {r["name"]: r for r in finished["waves"][0]["hooks"]}
    assert all(r["status"] == "FAILED" and r["optional"] for r in by_name.values())
    assert "raised an error" in by_name["raises"]["message"]
    assert "garbage" in by_name["garbage"]["message"]
    assert "more than 6 MB" in by_name["too big"]["message"]
    assert "did not answer within 1 s" in by_name["sleeps"]["message"]


def test_a_failing_automation_names_its_step(hooks):
    plan = hooked_plan(
        [],
        [{"name": "app check", "type": "ssmAutomation", "documentName": FAILING_DOCUMENT, "optional": True}],
    )
    finished = run(plan)
    record = finished["waves"][0]["hooks"][0]
    assert record["status"] == "FAILED" and FAILED_STEP in record["message"], record


def test_an_automation_stuck_past_its_timeout_is_stopped_and_timed_out(hooks, monkeypatch):
    # Given automations that never end by themselves
    hook_surfaces.install(hooks.drs.state, None, complete_after_polls=10_000, ok_after_polls=1)
    plan = hooked_plan(
        [{"name": "slow", "type": "ssmAutomation", "documentName": SUCCEEDING_DOCUMENT, "timeoutMinutes": 2}],
        [],
        onWaveFailure="fail",
    )
    finished = run(plan)
    # Then it is TIMED_OUT, stopped (recorded), and the run fails naming it
    assert finished["status"] == "FAILED" and "slow" in finished["statusReason"]
    record = finished["waves"][0]["hooks"][0]
    assert record["status"] == "TIMED_OUT" and record["detail"]["stopped"].startswith("stopped"), record
    assert "StopAutomationExecution" in record["message"]


@pytest.mark.parametrize("delay", [0, 0.05])
def test_racing_retry_and_skip_on_a_failed_hook_have_one_outcome(hooks, delay):
    paused = failed_hook_pause()
    execution_id = paused["executionId"]
    barrier = threading.Barrier(2)
    answers: dict[str, tuple[int, Any]] = {}

    def decide(action: str, pause: float) -> None:
        barrier.wait()
        if pause:
            threading.Event().wait(pause)
        answers[action] = call_api("POST", f"/executions/{execution_id}/{action}", {})

    threads = [
        threading.Thread(target=decide, args=("retry", 0)),
        threading.Thread(target=decide, args=("skip", delay)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [a for a, (status, _) in answers.items() if status == 200]
    assert len(won) == 1, answers
    loser = "skip" if won[0] == "retry" else "retry"
    assert answers[loser][0] == 409
    if won[0] == "skip":
        finished = execution_status(execution_id, TERMINAL)
        assert finished["status"] == "SUCCEEDED"
        assert [d["action"] for d in finished["decisions"]] == ["skip"]
    else:
        from tests.support.orchestration import wait_until

        def retried() -> bool:
            current = call_api("GET", f"/executions/{execution_id}")[1]
            return len([r for r in current["waves"][0]["hooks"] if r["name"] == "gate"]) == 2

        assert wait_until(retried, 30)
        current = call_api("GET", f"/executions/{execution_id}")[1]
        assert [d["action"] for d in current["decisions"]] == ["retry"]


@pytest.mark.parametrize(
    ("hook", "field"),
    [
        ({"name": "x", "type": "lambda", "functionName": "payroll-delete-everything"}, "functionName"),
        ({"name": "x", "type": "ssmAutomation", "documentName": "Custom-Wipe"}, "documentName"),
        (
            {"name": "x", "type": "lambda", "functionName": SANDBOX_HOOK, "payload": {"a": "b" * 40_000}},
            "payload",
        ),
        ({"name": "x", "type": "instanceStatus"}, "before.0"),
        ({"name": "x", "type": "shell", "command": "rm -rf /"}, "before.0"),
        ({"name": "<!channel>", "type": "lambda", "functionName": SANDBOX_HOOK}, "name"),
    ],
)
def test_a_hook_outside_the_contract_is_a_400_naming_the_field(hooks, hook, field):
    group = call_api("POST", "/protection-groups", group_body("Tier"))[1]["groupId"]
    body = plan_body([group])
    body["waves"][0]["hooks"] = {"before": [hook]}
    status, error = call_api("POST", "/recovery-plans", body)
    assert status == 400, error
    assert field in str(error), error


def test_a_hook_decision_by_email_is_worded_as_the_hooks_not_the_servers(hooks):
    from bot.blocks.events import LINES
    from handlers.models.events import ExecutionEvent
    from tests.integration.test_executions import click

    # Given a run paused on its failed hook "gate"
    paused = failed_hook_pause()
    links = pause_links(hooks.wait_for_event("hook_failed_pause"))
    # When its email Retry link is opened: the page says the hook runs again, names it and its message
    status, page, _ = click(links["retry"])
    assert status == 200, page
    assert "a hook of wave 1 failed" in page and "<strong>gate</strong>" in page
    assert "retry runs the hook again (the wave's servers are not launched again)" in page
    assert "the sandbox hook failed" in page
    assert "Retry the hook" in page and "Skip the hook" in page and "Resume wave" not in page
    assert "failed servers" not in page
    # and confirmed
    status, done, _ = click(links["retry"], "POST")
    assert status == 200 and "hook gate of wave 1 runs again" in done, done
    # Then the retry is announced as the hook's: the email's subject and body, and the Slack line
    retried = hooks.wait_for_event("wave_retry")
    assert "Retrying hook gate of wave 1" in retried["subject"], retried["subject"]
    assert "hook gate of wave 1 (Database tier) is being retried; the hook runs again" in retried["body"]
    assert "failed servers" not in retried["body"]
    execution = call_api("GET", f"/executions/{paused['executionId']}")[1]
    event = ExecutionEvent.model_validate(
        {
            **execution,
            "eventType": "wave_retry",
            "waveNumber": 1,
            "decidedBy": "ops",
            "decidedVia": "email",
            "waves": [{**w, "failedHook": "gate"} for w in execution["waves"]],
        }
    )
    line = LINES["wave_retry"](event) or ""
    assert "hook gate of wave 1 runs again" in line and "failed servers" not in line
    skipped = LINES["wave_skip"](event.model_copy(update={"eventType": "wave_skip"})) or ""
    assert "failed hook gate of wave 1 skipped, the wave goes on without it" in skipped
    # and a failed wave's own Retry keeps its wording
    plain = event.model_copy(update={"waves": [w.model_copy(update={"failedHook": ""}) for w in event.waves]})
    assert "launches its failed servers again" in (LINES["wave_retry"](plain) or "")


def test_a_launch_actions_hook_reads_drs_validation_results_and_fails_naming_the_server(hooks):
    # Given a wave whose second server's post-launch VALIDATION action fails (the DRS emulator's knob)
    plan = hooked_plan([], [{"name": "validation", "type": "launchActions", "optional": True}])
    group = call_api("GET", f"/protection-groups/{plan['waves'][0]['protectionGroupId']}")[1]
    good, bad = group["sourceServerIds"][:2]
    hooks.drs.failing_validation.add(bad)
    # When it runs
    finished = run(plan)
    # Then the hook FAILED naming DRS's action and that server only (optional: the run goes on)
    assert finished["status"] == "SUCCEEDED", finished
    [record] = finished["waves"][0]["hooks"]
    assert record["status"] == "FAILED", record
    assert f"Verify URL status on {bad}" in record["message"] and good not in record["message"]
