"""A wave whose server fails to launch, end to end in process (the real ASL on moto, the DRS
emulator): optional servers, the ``wave_failed`` pause and its Retry / Skip / Cancel / timeout."""

from __future__ import annotations

import threading

import pytest

from tests.integration.test_executions import TERMINAL, click, execution_status, pause_links, start
from tests.support.data import group_body, plan_body
from tests.support.events import call_api, invoke_direct


def failing_plan(orchestration, *, optional: bool = False, **plan_fields):
    """Two waves (no pause before either); wave 1's second server fails to launch. The failed
    server is optional in its group when ``optional``."""
    first = group_body("Database tier")
    bad = first["sourceServerIds"][1]
    if optional:
        first["optionalSourceServerIds"] = [bad]
    groups = [
        call_api("POST", "/protection-groups", body)[1]["groupId"] for body in (first, group_body("Web"))
    ]
    body = plan_body(groups, notificationEmail="dr@example.com", **plan_fields)
    for wave in body["waves"]:
        wave["pauseBeforeExecution"] = False
    status, plan = call_api("POST", "/recovery-plans", body)
    assert status == 201, plan
    orchestration.drs.failing.add(bad)
    return plan, bad


def failed_wave_pause(orchestration, **plan_fields):
    plan, bad = failing_plan(orchestration, **plan_fields)
    execution = start(plan)
    paused = execution_status(execution["executionId"], {"PAUSED"} | TERMINAL)
    assert paused["status"] == "PAUSED", paused
    return paused, bad


def test_an_optional_server_that_fails_is_recorded_and_the_wave_completes(orchestration):
    # Given a wave whose failing server is optional
    plan, bad = failing_plan(orchestration, optional=True)
    # When the plan runs
    finished = execution_status(start(plan)["executionId"], TERMINAL)
    # Then the run succeeds, the server is recorded FAILED and optional, and the wave says so
    assert finished["status"] == "SUCCEEDED"
    wave = finished["waves"][0]
    assert wave["status"] == "COMPLETED" and bad in wave["message"] and "optional" in wave["message"]
    server = next(s for s in wave["servers"] if s["sourceServerId"] == bad)
    assert server["launchStatus"] == "FAILED" and server["optional"] is True
    announcement = orchestration.wait_for_event("wave_complete")
    assert bad in announcement["body"] and "optional" in announcement["body"]


def test_a_failed_critical_server_pauses_the_execution_offering_retry_skip_cancel(orchestration):
    # Given a plan that pauses on a failed wave (the default)
    paused, bad = failed_wave_pause(orchestration)
    # Then the pause is a wave_failed one after wave 1, and its email offers the three decisions
    assert paused["pendingApproval"]["kind"] == "wave_failed"
    assert paused["pendingApproval"]["waveNumber"] == 1
    assert paused["waves"][0]["status"] == "FAILED" and bad in paused["waves"][0]["message"]
    event = orchestration.wait_for_event("wave_failed_pause")
    assert set(pause_links(event)) == {"retry", "skip", "cancel"} and bad in event["body"]
    # and a resume (what a pause before a wave offers) is refused, saying what this one offers
    status, body = call_api("POST", f"/executions/{paused['executionId']}/resume", {})
    assert status == 409 and "retry or skip or cancel" in body["message"], body


def test_retry_after_the_servers_recover_launches_only_the_failed_ones_and_succeeds(orchestration):
    # Given a paused failed wave
    paused, bad = failed_wave_pause(orchestration)
    first_jobs = paused["waves"][0]["jobIds"]
    started_before = len(orchestration.drs.started)
    # When the failing servers are told to recover and an operator retries through the API
    orchestration.drs.recovered = True
    status, body = call_api("POST", f"/executions/{paused['executionId']}/retry", {"reason": "fixed the AMI"})
    # Then the retry took effect, the run succeeds, and only the failed server was launched again
    assert status == 200, body
    assert body["decisions"][-1]["action"] == "retry" and body["decisions"][-1]["reason"] == "fixed the AMI"
    finished = execution_status(paused["executionId"], TERMINAL)
    assert finished["status"] == "SUCCEEDED", finished
    wave = finished["waves"][0]
    assert wave["status"] == "COMPLETED" and wave["retries"] == 1
    assert [a["sourceServerIds"] for a in wave["attempts"]] == [[bad]]
    assert wave["attempts"][0]["attempt"] == 2 and wave["attempts"][0]["jobIds"]
    assert wave["jobIds"] == first_jobs + wave["attempts"][0]["jobIds"]
    by_id = {s["sourceServerId"]: s for s in wave["servers"]}
    assert by_id[bad] == {**by_id[bad], "launchStatus": "LAUNCHED", "attempt": 2}
    relaunched = [
        s["sourceServerID"] for b in orchestration.drs.started[started_before:] for s in b["sourceServers"]
    ]
    assert relaunched.count(bad) == 1 and len(relaunched) == 3  # the failed server once, then wave 2's two
    assert "wave_retry" in orchestration.event_types()


def test_skip_marks_the_wave_skipped_and_runs_the_next(orchestration):
    paused, bad = failed_wave_pause(orchestration)
    # When an operator skips the failed wave by direct invocation
    result = invoke_direct(
        "skip_wave",
        {"accountId": paused["accountId"], "executionId": paused["executionId"], "decidedBy": "ops"},
    )
    assert "error" not in result, result
    # Then wave 1 is SKIPPED (its failure kept in the message) and wave 2 runs
    finished = execution_status(paused["executionId"], TERMINAL)
    assert finished["status"] == "SUCCEEDED"
    assert [w["status"] for w in finished["waves"]] == ["SKIPPED", "COMPLETED"]
    assert bad in finished["waves"][0]["message"] and "skipped by ops" in finished["waves"][0]["message"]
    assert finished["decisions"][-1]["action"] == "skip" and finished["decisions"][-1]["channel"] == "direct"
    skip = orchestration.wait_for_event("wave_skip")
    assert "ops" in skip["body"]


def test_cancel_from_the_email_link_cancels(orchestration):
    paused, _ = failed_wave_pause(orchestration)
    links = pause_links(orchestration.wait_for_event("wave_failed_pause"))
    # The confirmation page offers the three choices and changes nothing
    status, page, _ = click(links["retry"])
    assert status == 200 and "Retry wave 1" in page and "Skip wave 1" in page and "Resume" not in page
    assert call_api("GET", f"/executions/{paused['executionId']}")[1]["status"] == "PAUSED"
    status, page, _ = click(links["cancel"], "POST")
    assert status == 200 and "cancelled" in page
    finished = execution_status(paused["executionId"], TERMINAL)
    assert finished["status"] == "CANCELLED"


def test_an_email_retry_relaunches(orchestration):
    paused, _ = failed_wave_pause(orchestration)
    links = pause_links(orchestration.wait_for_event("wave_failed_pause"))
    orchestration.drs.recovered = True
    status, page, _ = click(links["retry"], "POST")
    assert status == 200 and "retried" in page
    finished = execution_status(paused["executionId"], TERMINAL)
    assert finished["status"] == "SUCCEEDED"
    # the retry records when its pause opened (after the wave started, as it failed), and the report
    # shows that opening and measures the wait from it
    [retried] = finished["decisions"]
    failed_wave = finished["waves"][retried["waveNumber"] - 1]
    assert failed_wave["startTime"] < retried["openedAt"] < retried["decidedAt"], retried
    assert retried["pauseKind"] == "wave_failed"
    report = call_api("GET", f"/executions/{paused['executionId']}/report")[1]
    opening = (
        retried["openedAt"],
        "paused",
        f"waiting for a decision: wave {retried['waveNumber']}'s launch failed",
    )
    assert opening in [(e["at"], e["event"], e["detail"]) for e in report["timeline"]]
    assert [p["openedAt"] for p in report["pauses"]] == [retried["openedAt"]]


def test_an_unanswered_failed_wave_ends_failed_at_the_pause_timeout(orchestration, monkeypatch):
    monkeypatch.setenv("APPROVAL_TIMEOUT_SECONDS", "2")
    from tests.conftest import reset_caches

    reset_caches()
    plan, _ = failing_plan(orchestration)
    finished = execution_status(start(plan)["executionId"], TERMINAL, timeout=40)
    assert finished["status"] == "FAILED", finished
    assert "WaveDecisionTimedOut" in finished["statusReason"], finished["statusReason"]
    assert finished["pendingApproval"] is None


def test_on_wave_failure_fail_ends_failed_without_a_pause(orchestration):
    plan, bad = failing_plan(orchestration, onWaveFailure="fail")
    finished = execution_status(start(plan)["executionId"], TERMINAL)
    assert finished["status"] == "FAILED" and bad in finished["statusReason"]
    assert not finished["decisions"] and "wave_failed_pause" not in orchestration.event_types()


@pytest.mark.parametrize("delay", [0, 0.05])
def test_racing_retry_and_skip_have_one_outcome_and_step_functions_did_that_one(orchestration, delay):
    paused, _ = failed_wave_pause(orchestration)
    orchestration.drs.recovered = True
    execution_id = paused["executionId"]
    barrier = threading.Barrier(2)
    answers = {}

    def decide(action, pause):
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
    # Then exactly one is a 200, the other a 409 naming the winner
    won = [a for a, (status, _) in answers.items() if status == 200]
    assert len(won) == 1, answers
    winner = won[0]
    loser = "skip" if winner == "retry" else "retry"
    status, body = answers[loser]
    # (a loser that arrives after the pause closed is told the same: who decided what, via, when)
    past = "retried" if winner == "retry" else "skipped"
    assert status == 409 and f"{past} by oncall@example.com via api at " in body["message"], body
    finished = execution_status(execution_id, TERMINAL)
    assert finished["status"] == "SUCCEEDED"
    assert [d["action"] for d in finished["decisions"]] == [winner]
    expected = "COMPLETED" if winner == "retry" else "SKIPPED"
    assert finished["waves"][0]["status"] == expected and finished["waves"][0]["retries"] == int(
        winner == "retry"
    )


def test_optional_ids_outside_the_group_are_refused_naming_the_field(orchestration):
    body = group_body("Tier")
    body["optionalSourceServerIds"] = ["s-00000000000000fff"]
    status, error = call_api("POST", "/protection-groups", body)
    assert status == 400 and "optionalSourceServerIds" in error["message"], error
    status, group = call_api("POST", "/protection-groups", group_body("Tier"))
    update = {"version": 1, "optionalSourceServerIds": ["s-00000000000000fff"]}
    status, error = call_api("PUT", f"/protection-groups/{group['groupId']}", update)
    assert status == 400 and "optionalSourceServerIds" in error["message"], error
    update = {"version": 1, "optionalSourceServerIds": [group["sourceServerIds"][0]]}
    status, changed = call_api("PUT", f"/protection-groups/{group['groupId']}", update)
    assert status == 200 and changed["optionalSourceServerIds"] == [group["sourceServerIds"][0]]


def test_a_retry_while_drs_throttles_is_retried_and_launches_no_server_twice(
    orchestration, monkeypatch, no_backoff
):
    from sandbox.emulators.drs import DrsError

    # Given one StartRecovery per server (so a throttle can land in the middle of an attempt), no
    # waiting between botocore's retries, and a paused wave whose two critical servers failed
    monkeypatch.setattr("handlers.aws.drs.START_RECOVERY_LIMIT", 1)
    body = group_body("Database tier", servers=3)
    bad = body["sourceServerIds"][1:]
    group_id = call_api("POST", "/protection-groups", body)[1]["groupId"]
    status, plan = call_api("POST", "/recovery-plans", plan_body([group_id]))
    assert status == 201, plan
    orchestration.drs.failing.update(bad)
    execution_id = start(plan)["executionId"]
    assert execution_status(execution_id, {"PAUSED"} | TERMINAL)["status"] == "PAUSED"
    # When the servers recover and DRS throttles the retry's second StartRecovery until botocore
    # gives up (8 attempts), then recovers
    orchestration.drs.recovered = True
    calls = {"count": 0}

    def throttle(call, _body):
        if call.operation == "StartRecovery":
            calls["count"] += 1
            if 2 <= calls["count"] <= 9:
                raise DrsError(429, "ThrottlingException", "Rate exceeded")

    orchestration.drs.before = throttle
    started_before = len(orchestration.drs.started)
    assert call_api("POST", f"/executions/{execution_id}/retry", {})[0] == 200
    # Then Step Functions retries the task, which launches only the server that had not started
    finished = execution_status(execution_id, TERMINAL, timeout=60)
    assert finished["status"] == "SUCCEEDED", finished
    relaunched = [
        s["sourceServerID"] for b in orchestration.drs.started[started_before:] for s in b["sourceServers"]
    ]
    assert sorted(relaunched) == sorted(bad), relaunched  # each failed server once, nothing twice
    (attempt,) = finished["waves"][0]["attempts"]
    assert len(attempt["jobIds"]) == 2 and finished["waves"][0]["retries"] == 1
    assert calls["count"] == 10


def test_export_and_import_carry_optional_servers_and_on_wave_failure(aws):
    # Given a group with an optional server and a plan that fails on a failed wave
    body = group_body("Tier")
    body["optionalSourceServerIds"] = body["sourceServerIds"][:1]
    group = call_api("POST", "/protection-groups", body)[1]
    plan = call_api("POST", "/recovery-plans", plan_body([group["groupId"]], onWaveFailure="fail"))[1]
    # When the configuration is exported, both fields are in it
    document = invoke_direct("export_configuration", {"accountId": group["accountId"]})
    assert document["protectionGroups"][0]["optionalSourceServerIds"] == body["optionalSourceServerIds"]
    assert document["recoveryPlans"][0]["onWaveFailure"] == "fail"
    # and an import that changes them updates the stored items
    document["protectionGroups"][0]["optionalSourceServerIds"] = []
    document["recoveryPlans"][0]["onWaveFailure"] = "pause"
    result = invoke_direct("import_configuration", {"accountId": group["accountId"], "document": document})
    assert result["updated"] == {"protectionGroups": [group["groupId"]], "recoveryPlans": [plan["planId"]]}
    assert call_api("GET", f"/protection-groups/{group['groupId']}")[1]["optionalSourceServerIds"] == []
    assert call_api("GET", f"/recovery-plans/{plan['planId']}")[1]["onWaveFailure"] == "pause"


def test_an_email_resume_on_a_failed_waves_pause_is_refused_saying_what_it_offers(orchestration):
    paused, _ = failed_wave_pause(orchestration)
    links = pause_links(orchestration.wait_for_event("wave_failed_pause"))
    resume = links["retry"].replace("action=retry", "action=resume")
    status, page, _ = click(resume, "POST")
    assert status == 409 and "retry or skip or cancel" in page
    assert call_api("GET", f"/executions/{paused['executionId']}")[1]["status"] == "PAUSED"


def test_retry_and_skip_on_a_pause_before_a_wave_are_refused(orchestration):
    groups = [call_api("POST", "/protection-groups", group_body(f"Tier {i}"))[1]["groupId"] for i in range(2)]
    plan = call_api("POST", "/recovery-plans", plan_body(groups))[1]
    execution_id = start(plan)["executionId"]
    execution_status(execution_id, {"PAUSED"})
    for action in ("retry", "skip"):
        status, body = call_api("POST", f"/executions/{execution_id}/{action}", {})
        assert status == 409 and "offers resume or cancel" in body["message"], body
    current = call_api("GET", f"/executions/{execution_id}")[1]
    assert current["status"] == "PAUSED" and current["decisions"] == []


def test_with_pause_resume_disabled_a_failed_wave_fails_the_run(orchestration, monkeypatch):
    monkeypatch.setenv("ENABLE_PAUSE_RESUME", "false")
    from tests.conftest import reset_caches

    reset_caches()
    plan, bad = failing_plan(orchestration)
    finished = execution_status(start(plan)["executionId"], TERMINAL)
    assert finished["status"] == "FAILED" and bad in finished["statusReason"], finished
    assert orchestration.wait_for_event("wave_fail") and not finished["decisions"]
