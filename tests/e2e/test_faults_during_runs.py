"""Faults turned on during real runs in the sandbox (``/_sandbox/faults``), and what the product
promises then: nothing lost, the execution record truthful, the operator told."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import RunningSandbox
from tests.e2e.runs import (
    HEALTHY,
    Plan,
    Runs,
    button,
    drs_jobs,
    iso_to_epoch,
    lost_event,
    mails_to,
    metric_count,
    run_messages,
    set_faults,
    slack_alerts,
    slack_local,
    wait_for_status,
)
from tests.e2e.waiting import execution, slack_messages, wait_for, wait_until_finished

pytestmark = pytest.mark.e2e


@pytest.fixture
def faults(sandbox: RunningSandbox, runs: Runs) -> Iterator[Any]:
    """Set faults during the test; healthy again before ``runs`` cleans up (and for other tests)."""
    yield lambda **changes: set_faults(sandbox, **changes)
    set_faults(sandbox, **HEALTHY)


def test_slack_messages_of_a_run_arrive_once_after_a_rate_limit_lifts(
    sandbox: RunningSandbox, runs: Runs, faults: Any
) -> None:
    # Given Slack answers every call with 429 and Retry-After: 1 as a run starts
    plan = runs.plan([runs.free_servers(1)])
    alerts_before = len(slack_alerts(sandbox))
    faults(slack="ratelimited")
    execution_id = runs.start(plan)
    time.sleep(1.5)  # the start event meets the limit; the notifier waits Retry-After, 3 times at most

    # When the limit lifts before the notifier's retries run out
    faults(slack="ok")
    lifted = time.time()
    final = wait_until_finished(sandbox, execution_id)

    # Then the run's messages arrive, after the limit, each once; the record and the message agree
    assert final["status"] == "SUCCEEDED"
    parents, replies = wait_for(lambda: ended_in_slack(sandbox, plan), 15, "the run's Slack messages")
    assert len(parents) == 1 and parents[0]["receivedAt"] >= lifted
    assert parents[0]["text"] == f"Drill {plan.name}: SUCCEEDED"
    texts = [r["text"] for r in replies]
    assert sum("Wave 1" in t and "completed" in t for t in texts) == 1, texts
    assert sum(t.endswith("Drill completed") for t in texts) == 1, texts
    assert len(slack_alerts(sandbox)) == alerts_before  # nothing was dropped


@pytest.mark.parametrize("outage", ["down", "error"])
def test_a_pause_during_a_slack_outage_still_pauses_emails_and_alerts(
    sandbox: RunningSandbox, runs: Runs, faults: Any, outage: str
) -> None:
    # Given Slack is unreachable (down) or failing (HTTP 500)
    plan = runs.plan([runs.free_servers(1)], pause_before=1)
    alerts_before = len(slack_alerts(sandbox))
    failures_before = metric_count(sandbox, "SlackDeliveryFailure")
    faults(slack=outage)

    # When a run pauses before its first wave
    execution_id = runs.start(plan)
    paused = wait_for_status(sandbox, execution_id, "PAUSED")

    # Then the pause is recorded, its email arrives, and the operators are alerted (the alerts topic,
    # and the metric cfn/monitoring.yaml alarms on): nothing reached Slack
    assert paused["pendingApproval"]["waveNumber"] == 1
    assert wait_for(lambda: mails_to(sandbox, plan.email, "Approval needed"), 15, "the pause email")
    alerts = wait_for(lambda: slack_alerts(sandbox)[alerts_before:], 20, "an operational alert")
    assert sandbox.info["slackChannelId"] in alerts[0]["body"]
    wait_for(lambda: metric_count(sandbox, "SlackDeliveryFailure") > failures_before, 10, "the metric")
    assert run_messages(sandbox, plan) == ([], [])


def test_after_a_slack_outage_dr_status_offers_the_lost_pause_and_resumes_it(
    sandbox: RunningSandbox, runs: Runs, faults: Any
) -> None:
    # Given a run paused while Slack was down: its pause message was never posted
    plan = runs.plan([runs.free_servers(1)], pause_before=1)
    faults(slack="down")
    execution_id = runs.start(plan)
    wait_for_status(sandbox, execution_id, "PAUSED")
    wait_for(lambda: mails_to(sandbox, plan.email, "Approval needed"), 15, "the pause email")
    faults(slack="ok")

    # When an operator asks `/dr status <id>` once Slack is back
    seen = len(slack_messages(sandbox))
    assert slack_local(sandbox, "command", {"text": f"/dr status {execution_id}"}).status == 200
    offer = wait_for(
        lambda: [m for m in slack_messages(sandbox)[seen:] if button(m, "approval_resume", execution_id)],
        15,
        "the re-offered pause",
    )[0]

    # Then its Resume button (and the reason form it opens) decides the pause, and the run
    # completes, recorded as resumed in Slack
    resume = button(offer, "approval_resume", execution_id)
    click = {"channel": offer["channel"], "ts": offer["ts"], "actionId": "approval_resume", **resume}
    seen = len(slack_messages(sandbox))
    assert slack_local(sandbox, "action", click).status == 200
    form = wait_for(
        lambda: [m for m in slack_messages(sandbox)[seen:] if m["kind"] == "modal"], 15, "the reason form"
    )[0]
    values = {"reason": {"value": {"type": "plain_text_input", "value": "slack is back"}}}
    assert slack_local(sandbox, "submit", {"viewId": form["viewId"], "values": values}).json()["ok"]
    final = wait_until_finished(sandbox, execution_id)
    assert final["status"] == "SUCCEEDED"
    assert [(d["action"], d["channel"]) for d in final["decisions"]] == [("resume", "slack")]


def test_a_lost_pause_email_leaves_the_run_paused_counted_and_resumable_by_the_api(
    sandbox: RunningSandbox, runs: Runs, faults: Any
) -> None:
    # Given a run whose start was announced, then SNS fails while wave 1 runs
    first, second = runs.free_servers(2)
    plan = runs.plan([[first], [second]], pause_before=2, slack=False)
    failures_before = metric_count(sandbox, "NotificationDeliveryFailure")
    retries_before = metric_count(sandbox, "NotificationPublishRetry")
    execution_id = runs.start(plan)
    wait_for(lambda: mails_to(sandbox, plan.email, "started"), 15, "the start email")
    wait_for(lambda: execution(sandbox, execution_id)["waves"][0]["jobIds"], 15, "wave 1 started")
    faults(sns="error")

    # When the run pauses before wave 2 and publishing the pause fails (after its retries)
    paused = wait_for_status(sandbox, execution_id, "PAUSED")
    wait_for(lambda: lost_event(sandbox, plan.plan_id, "pause"), 20, "the lost pause in the log")
    faults(sns="ok")

    # Then no email, the record still says PAUSED before wave 2, publishing was retried, and the
    # failure is counted (the metric cfn/monitoring.yaml alarms on)
    assert mails_to(sandbox, plan.email, "Approval needed") == []
    assert paused["pendingApproval"]["waveNumber"] == 2
    assert execution(sandbox, execution_id)["status"] == "PAUSED"
    assert wait_for(
        lambda: (
            metric_count(sandbox, "NotificationDeliveryFailure") > failures_before
            and metric_count(sandbox, "NotificationPublishRetry") >= retries_before + 3
        ),
        10,
        "the retries and the failure counted",
    )

    # And the API decides it by execution id; the run completes
    resumed = sandbox.api("POST", f"/executions/{execution_id}/resume", {"reason": "email lost"})
    assert resumed.status == 200, resumed.body
    final = wait_until_finished(sandbox, execution_id)
    assert final["status"] == "SUCCEEDED"
    assert [w["status"] for w in final["waves"]] == ["COMPLETED", "COMPLETED"]


def test_a_brief_drs_throttle_is_retried_and_the_wave_completes(
    sandbox: RunningSandbox, runs: Runs, faults: Any
) -> None:
    # Given DRS throttles every call as a run starts its wave
    plan = runs.plan([runs.free_servers(1)], slack=False)
    faults(drs="throttle")
    execution_id = runs.start(plan, force=True)  # readiness cannot read DRS now; the wave meets the fault
    time.sleep(3)

    # When the throttling stops
    faults(drs="ok")
    lifted = time.time()
    final = wait_until_finished(sandbox, execution_id)

    # Then the wave completed with one DRS job, started by a retry after the throttle lifted
    assert final["status"] == "SUCCEEDED"
    assert final["waves"][0]["status"] == "COMPLETED"
    jobs = drs_jobs(sandbox, execution_id)
    assert len(jobs) == 1 and final["waves"][0]["jobIds"] == [jobs[0]["jobID"]]
    assert iso_to_epoch(jobs[0]["creationDateTime"]) >= lifted - 0.5


def test_a_20_second_drs_outage_is_ridden_out_and_the_run_completes_when_it_lifts(
    sandbox: RunningSandbox, runs: Runs, faults: Any
) -> None:
    # Given DRS answers every call with an internal error as a run starts its wave
    plan = runs.plan([runs.free_servers(1)], slack=False)
    faults(drs="error")  # readiness cannot read DRS either: the start is forced, the wave meets it
    execution_id = runs.start(plan, force=True)

    # When the outage lasts 20 s, several polls (an outage longer than DRS_OUTAGE_SECONDS fails the
    # wave naming DRS: tests/integration/test_wave_quotas.py, with a window of seconds)
    time.sleep(20)
    during = execution(sandbox, execution_id)
    faults(drs="ok")
    final = wait_until_finished(sandbox, execution_id, timeout=300)  # the next poll may be minutes away

    # Then the run was still going, its wave saying DRS is failing, and it completed once DRS answered
    assert during["status"] == "RUNNING", during
    assert (
        "DRS" in during["waves"][0]["message"] and "InternalServerException" in during["waves"][0]["message"]
    )
    assert final["status"] == "SUCCEEDED", final
    assert final["waves"][0]["status"] == "COMPLETED"


def test_failing_servers_fail_a_wave_and_launch_after_they_recover(
    sandbox: RunningSandbox, runs: Runs, faults: Any
) -> None:
    # Given a plan whose wave holds a source server that fails to launch (and that fails a run then)
    failing = sandbox.info["failingSourceServers"][0]
    plan = runs.plan([[failing, *runs.free_servers(1)]], slack=False, onWaveFailure="fail")
    first = wait_until_finished(sandbox, runs.start(plan))
    assert first["status"] == "FAILED"
    assert first["waves"][0]["status"] == "FAILED" and failing in first["waves"][0]["message"]

    # When the failing servers recover and the plan runs again
    faults(failingServers="recover")
    second = wait_until_finished(sandbox, runs.start(plan))

    # Then the new run launches every server
    assert second["status"] == "SUCCEEDED"
    assert {s["launchStatus"] for s in second["waves"][0]["servers"]} == {"LAUNCHED"}


def ended_in_slack(sandbox: RunningSandbox, plan: Plan) -> Any:
    """The run's Slack messages once its final reply is there, else None."""
    parents, replies = run_messages(sandbox, plan)
    done = any(r["text"].endswith("Drill completed") for r in replies)
    return (parents, replies) if parents and done else None


def test_a_failed_wave_is_retried_from_slack_after_its_servers_recover(
    sandbox: RunningSandbox, runs: Runs, faults: Any
) -> None:
    # Given a plan (pausing on a failed wave, the default) whose first wave holds a failing server
    failing = sandbox.info["failingSourceServers"][0]
    free = runs.free_servers(2)
    plan = runs.plan([[failing, free[0]], [free[1]]])
    execution_id = runs.start(plan)
    paused = wait_for_status(sandbox, execution_id, "PAUSED")
    assert paused["pendingApproval"]["kind"] == "wave_failed" and failing in paused["waves"][0]["message"]
    message = wait_for(
        lambda: [m for m in slack_messages(sandbox) if button(m, "wave_retry", execution_id)],
        15,
        "the failed wave's message with Retry",
    )[0]
    assert button(message, "wave_skip", execution_id) and button(message, "approval_cancel", execution_id)

    # When the failing servers recover and an operator clicks Retry (a signed Slack request)
    faults(failingServers="recover")
    retry = button(message, "wave_retry", execution_id)
    click = {"channel": message["channel"], "ts": message["ts"], "actionId": "wave_retry", **retry}
    seen = len(slack_messages(sandbox))
    assert slack_local(sandbox, "action", click).status == 200
    form = wait_for(
        lambda: [m for m in slack_messages(sandbox)[seen:] if m["kind"] == "modal"], 15, "the reason form"
    )[0]
    values = {"reason": {"value": {"type": "plain_text_input", "value": "servers recovered"}}}
    assert slack_local(sandbox, "submit", {"viewId": form["viewId"], "values": values}).json()["ok"]

    # Then the run succeeds: the failed server launched in attempt 2, a new DRS job recorded
    final = wait_until_finished(sandbox, execution_id, 60)
    assert final["status"] == "SUCCEEDED", final
    wave = final["waves"][0]
    assert wave["retries"] == 1 and wave["attempts"][0]["sourceServerIds"] == [failing]
    server = next(s for s in wave["servers"] if s["sourceServerId"] == failing)
    assert (server["launchStatus"], server["attempt"]) == ("LAUNCHED", 2)
    assert [(d["action"], d["channel"]) for d in final["decisions"]] == [("retry", "slack")]
    assert len(drs_jobs(sandbox, execution_id)) == 3  # wave 1, its retry, wave 2
