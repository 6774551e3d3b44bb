"""Executions end to end in process: the real ASL on moto, the orchestrator, a DRS stub."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.data import group_body, plan_body
from tests.support.events import call_api, call_page
from tests.support.orchestration import API_URL, wait_until

TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"}


@pytest.fixture
def plan(orchestration):
    groups = [call_api("POST", "/protection-groups", group_body(f"Tier {i}"))[1] for i in range(2)]
    status, created = call_api(
        "POST",
        "/recovery-plans",
        plan_body([g["groupId"] for g in groups], notificationEmail="dr@example.com"),
    )
    assert status == 201
    created["groups"] = groups
    return created


def start(plan, **body):
    status, execution = call_api("POST", "/executions", {"planId": plan["planId"], **body})
    assert status == 201, execution
    return execution


def execution_status(execution_id, wanted, timeout=30):
    def probe():
        current = call_api("GET", f"/executions/{execution_id}")[1]
        return current if current["status"] in wanted else None

    found = wait_until(probe, timeout)
    assert found, f"execution never reached {wanted}: {call_api('GET', f'/executions/{execution_id}')[1]}"
    return found


def pause_links(event):
    urls = re.findall(r"https://\S+", event["body"])
    return {parse_qs(urlsplit(u).query)["action"][0]: u for u in urls if "/execution-callback?" in u}


def click(url, method="GET"):
    """Follow an email link (GET/HEAD) or submit its confirmation form (POST)."""
    query = urlsplit(url).query
    if method != "POST":
        return call_page(method, f"/execution-callback?{query}")
    params = parse_qs(query)
    form = f"action={params['action'][0]}&approval={params['approval'][0]}"
    return call_page("POST", "/execution-callback", form)


def test_a_paused_wave_is_resumed_from_the_email_link(orchestration, plan):
    execution = start(plan)
    paused = execution_status(execution["executionId"], {"PAUSED"})
    assert paused["pendingApproval"]["waveNumber"] == 2
    assert [w["status"] for w in paused["waves"]] == ["COMPLETED", "WAITING_APPROVAL"]
    pause = orchestration.wait_for_event("pause")
    links = pause_links(pause)
    assert set(links) == {"resume", "cancel"} and all(u.startswith(API_URL) for u in links.values())
    # POST the decision as the confirmation page's form would
    status, page, _ = click(links["resume"], "POST")
    assert status == 200 and "Done: the execution was resumed" in page
    finished = execution_status(execution["executionId"], TERMINAL)
    assert finished["status"] == "SUCCEEDED"
    assert [w["status"] for w in finished["waves"]] == ["COMPLETED", "COMPLETED"]
    assert finished["decisions"][0]["action"] == "resume" and finished["decisions"][0]["channel"] == "email"
    complete = orchestration.wait_for_event("complete")
    assert "completed successfully" in complete["body"]
    assert orchestration.event_types()[:2] == ["start", "wave_complete"]
    assert "resume" in orchestration.event_types()


def test_cancel_link_cancels_the_execution(orchestration, plan):
    execution = start(plan)
    execution_status(execution["executionId"], {"PAUSED"})
    links = pause_links(orchestration.wait_for_event("pause"))
    click(links["cancel"], "POST")
    finished = execution_status(execution["executionId"], TERMINAL)
    assert finished["status"] == "CANCELLED"
    assert finished["waves"][1]["status"] == "CANCELLED"
    cancel = orchestration.wait_for_event("cancel")
    assert "CANCELLED" in cancel["body"] and "dr@example.com" in cancel["body"]


def test_an_unanswered_pause_times_out_naming_who_was_asked(orchestration, plan, monkeypatch):
    monkeypatch.setenv("APPROVAL_TIMEOUT_SECONDS", "2")
    from tests.conftest import reset_caches

    reset_caches()
    asked = {"approvers": ["U0ALICE", "S0OPS"], "approverPrincipals": ["ops@example.com"]}
    assert (
        call_api("PUT", f"/recovery-plans/{plan['planId']}", {"version": plan["version"], **asked})[0] == 200
    )
    execution = start(plan)
    finished = execution_status(execution["executionId"], TERMINAL, timeout=40)
    assert finished["status"] == "TIMED_OUT"
    timeout = orchestration.wait_for_event("timeout")
    assert "TIMED OUT" in timeout["body"]
    assert "Asked to decide: Slack user U0ALICE, Slack user group S0OPS, ops@example.com" in timeout["body"]


def test_a_server_that_fails_to_launch_fails_the_execution_naming_it(orchestration, plan):
    # (a plan that says so: onWaveFailure "fail"; the default pauses, tests/integration/test_wave_failures.py)
    update = {"version": plan["version"], "onWaveFailure": "fail"}
    assert call_api("PUT", f"/recovery-plans/{plan['planId']}", update)[0] == 200
    bad = plan["groups"][0]["sourceServerIds"][1]
    orchestration.drs.failing.add(bad)
    execution = start(plan)
    finished = execution_status(execution["executionId"], TERMINAL)
    assert finished["status"] == "FAILED"
    assert bad in finished["statusReason"] and bad in finished["waves"][0]["message"]
    assert finished["waves"][1]["status"] == "SKIPPED"
    fail = orchestration.wait_for_event("fail")
    assert bad in fail["body"]
    assert orchestration.wait_for_event("wave_fail")


def test_a_plan_runs_once_at_a_time(orchestration, plan):
    first = start(plan)
    execution_status(first["executionId"], {"PAUSED"})
    status, error = call_api("POST", "/executions", {"planId": plan["planId"]})
    assert status == 409 and first["executionId"] in error["message"]


def test_a_start_whose_execution_record_cannot_be_stored_leaves_the_plan_free(
    orchestration, plan, monkeypatch
):
    # Given the executions table refuses the new execution record once
    from handlers.core.errors import DomainError
    from handlers.repositories.executions import ExecutionRepository

    def unavailable(self, execution):
        raise DomainError("the data store failed; try again")

    with monkeypatch.context() as patch:
        patch.setattr(ExecutionRepository, "insert", unavailable)
        status, error = call_api("POST", "/executions", {"planId": plan["planId"]})
    assert status == 500 and error["error"] == "INTERNAL_ERROR"
    # When the plan is started again
    execution = start(plan)
    # Then it runs: the failed start left no lock behind naming an execution that does not exist
    assert execution_status(execution["executionId"], {"PAUSED"})["planId"] == plan["planId"]


def test_a_state_machine_that_cannot_be_reached_fails_the_start_and_frees_the_plan(
    orchestration, plan, monkeypatch
):
    # Given Step Functions cannot be reached (a network error, not an AWS error response)
    from botocore.client import BaseClient
    from botocore.exceptions import EndpointConnectionError

    original = BaseClient._make_api_call

    def offline(self, operation, params):
        if operation == "StartExecution":
            raise EndpointConnectionError(endpoint_url="https://states.us-east-1.amazonaws.com")
        return original(self, operation, params)

    with monkeypatch.context() as patch:
        patch.setattr(BaseClient, "_make_api_call", offline)
        status, _ = call_api("POST", "/executions", {"planId": plan["planId"]})
    # When the executions are listed
    listed = call_api("GET", "/executions")[1]["items"]
    # Then the failed start is recorded as FAILED, not left RUNNING, and the plan can run again
    assert status == 500 and [e["status"] for e in listed] == ["FAILED"]
    assert execution_status(start(plan)["executionId"], {"PAUSED"})


def test_drill_is_the_default_and_recovery_must_be_asked_for(orchestration, plan):
    execution = start(plan)
    assert execution["isDrill"] is True
    execution_status(execution["executionId"], {"PAUSED"})
    assert orchestration.drs.started[0]["isDrill"] is True
