"""Approvals: exactly-once decisions across channels, safe links, escaped pages, no leaked tokens."""

from __future__ import annotations

import io
import json
import threading
from urllib.parse import urlsplit

import pytest

from handlers.models.approval import DecideApprovalRequest
from handlers.pauses.approvals import decide_approval
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.integration.test_executions import TERMINAL, click, execution_status, pause_links, start
from tests.support.data import group_body, plan_body
from tests.support.events import call_api, call_page, invoke_direct

HOSTILE = "<script>alert('pwned')</script> & *bold* <!channel>"


@pytest.fixture
def paused(orchestration):
    """A plan (named with markup) whose execution is paused before wave 2; returns its links."""
    groups = [call_api("POST", "/protection-groups", group_body(f"Tier {i}"))[1]["groupId"] for i in range(2)]
    _, plan = call_api(
        "POST", "/recovery-plans", plan_body(groups, name=HOSTILE, notificationEmail="dr@example.com")
    )
    execution = start(plan)
    execution_status(execution["executionId"], {"PAUSED"})
    pause = orchestration.wait_for_event("pause")
    approval_id = urlsplit(pause_links(pause)["resume"]).query.split("approval=")[1]
    return {"execution": execution, "links": pause_links(pause), "email": pause, "approvalId": approval_id}


def approval_item(orchestration, approval_id):
    table = orchestration.aws.tables["APPROVALS_TABLE"]
    item = orchestration.aws.client("dynamodb").get_item(
        TableName=table, Key={"approvalId": {"S": approval_id}}
    )
    return item["Item"]


@pytest.mark.parametrize("trial", range(3))
def test_twenty_concurrent_decisions_have_exactly_one_winner(orchestration, paused, monkeypatch, trial):
    # Given 20 threads ready to decide the same pause, half resume and half cancel
    from botocore.client import BaseClient

    sent = []
    original = BaseClient._make_api_call

    def counting(self, operation, params):
        if operation in {"SendTaskSuccess", "SendTaskFailure"}:
            sent.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    barrier = threading.Barrier(20)
    results = []

    def decide(i):
        request = DecideApprovalRequest(
            action="resume" if i % 2 else "cancel", approvalId=paused["approvalId"]
        )
        barrier.wait()
        results.append(decide_approval(request, by=f"user{i}", via="api" if i % 3 else "email"))

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then exactly one decided, one task-token call was made, and everyone else was told who won
    winners = [r for r in results if r.outcome == "decided"]
    assert len(winners) == 1 and len(sent) == 1
    losers = [r for r in results if r.outcome == "already_decided"]
    assert len(losers) == 19
    assert all(r.decidedBy == winners[0].decidedBy and "Already" in r.message for r in losers)
    finished = execution_status(paused["execution"]["executionId"], TERMINAL | {"RUNNING"})
    assert len(finished["decisions"]) == 1


def test_a_decision_step_functions_did_not_take_can_be_made_again(orchestration, paused, monkeypatch):
    # Given Step Functions fails the first SendTaskSuccess with a transient error
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    original = BaseClient._make_api_call
    failures = ["ThrottlingException"]

    def flaky(self, operation, params):
        if operation == "SendTaskSuccess" and failures:
            raise ClientError({"Error": {"Code": failures.pop(), "Message": "slow down"}}, operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", flaky)
    request = DecideApprovalRequest(action="resume", approvalId=paused["approvalId"])
    with pytest.raises(ClientError):
        decide_approval(request, by="ana", via="api")
    # When the same person tries again
    retried = decide_approval(request, by="ana", via="api")
    # Then the retry decides (the failed attempt was not recorded as a decision) and the run goes on
    assert retried.outcome == "decided"
    assert execution_status(paused["execution"]["executionId"], TERMINAL)["status"] == "SUCCEEDED"


def test_get_and_head_of_a_link_change_nothing(orchestration, paused):
    before = approval_item(orchestration, paused["approvalId"])
    for _ in range(3):
        for method in ("GET", "HEAD"):
            status, body, _ = click(paused["links"]["resume"], method)
            assert status == 200
            assert (body == "") == (method == "HEAD")
    assert approval_item(orchestration, paused["approvalId"]) == before
    assert call_api("GET", f"/executions/{paused['execution']['executionId']}")[1]["status"] == "PAUSED"


def test_the_confirmation_page_escapes_the_plan_name_and_sets_security_headers(paused):
    status, body, headers = click(paused["links"]["cancel"])
    assert status == 200
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert 'method="post"' in body and "Resume wave 2" in body
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in headers["Content-Security-Policy"]


def test_the_email_shows_the_plan_name_verbatim(paused):
    assert HOSTILE in paused["email"]["body"]
    assert paused["email"]["subject"].isascii() and len(paused["email"]["subject"]) <= 100


def test_a_second_decision_shows_who_decided_first(orchestration, paused):
    click(paused["links"]["resume"], "POST")
    status, body, _ = click(paused["links"]["cancel"], "POST")
    assert status == 200
    assert "Already decided" in body and "dr@example.com" in body and "email" in body
    assert execution_status(paused["execution"]["executionId"], TERMINAL)["status"] == "SUCCEEDED"


def test_an_unknown_approval_is_a_friendly_404(orchestration):
    status, body, _ = call_page("GET", "/execution-callback?action=resume&approval=AAAAAAAAAAAAAAAAAAAAAAAA")
    assert status == 404 and "Approval not found" in body and "Traceback" not in body


def test_a_malformed_link_is_a_400_page(orchestration):
    status, body, _ = call_page("GET", "/execution-callback?action=explode&approval=x")
    assert status == 400 and "incomplete" in body


def test_direct_invocation_decides_by_task_token_for_automation(orchestration, paused):
    token = approval_item(orchestration, paused["approvalId"])["taskToken"]["S"]
    result = invoke_direct(
        "decide_approval", {"accountId": ACCOUNT_A, "action": "resume", "taskToken": token}
    )
    assert result["outcome"] == "decided" and result["decidedVia"] == "direct"
    assert "taskToken" not in json.dumps(result) and token not in json.dumps(result)


def test_another_account_cannot_decide(orchestration, paused):
    result = invoke_direct(
        "decide_approval", {"accountId": ACCOUNT_B, "action": "resume", "approvalId": paused["approvalId"]}
    )
    assert result["error"] == "NOT_FOUND"


def test_cancel_through_the_api_cancels_a_paused_execution_once(orchestration, paused):
    execution_id = paused["execution"]["executionId"]
    status, _ = call_api("POST", f"/executions/{execution_id}/cancel")
    assert status == 200
    assert execution_status(execution_id, TERMINAL)["status"] == "CANCELLED"
    status, error = call_api("POST", f"/executions/{execution_id}/cancel")
    assert status == 409 and "CANCELLED" in error["message"]


def test_cancelling_a_pause_step_functions_no_longer_waits_for_ends_the_execution(
    orchestration, paused, monkeypatch
):
    # Given a paused execution whose state machine stopped waiting for its token (stopped elsewhere)
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    execution_id = paused["execution"]["executionId"]
    token = approval_item(orchestration, paused["approvalId"])["taskToken"]["S"]
    original = BaseClient._make_api_call

    def gone(self, operation, params):
        if operation == "SendTaskFailure":
            raise ClientError({"Error": {"Code": "TaskDoesNotExist", "Message": "gone"}}, operation)
        if operation == "StopExecution":
            return {}  # moto cannot stop a run paused inside a Map (docs/architecture.md)
        return original(self, operation, params)

    with monkeypatch.context() as patch:
        patch.setattr(BaseClient, "_make_api_call", gone)
        # When an operator cancels it through the API
        status, cancelled = call_api("POST", f"/executions/{execution_id}/cancel")
    # Then it is recorded CANCELLED (not left PAUSED with its plan locked) and the plan runs again
    assert status == 200 and cancelled["status"] == "CANCELLED"
    # (release moto's still-waiting run: its own finish must not record a second end)
    orchestration.aws.client("stepfunctions").send_task_failure(taskToken=token, error="ExecutionCancelled")
    assert execution_status(start({"planId": paused["execution"]["planId"]})["executionId"], {"PAUSED"})
    assert execution_status(execution_id, TERMINAL)["status"] == "CANCELLED"


@pytest.fixture
def log_output(monkeypatch):
    """What the functions' Powertools logger writes. Its handler holds the stdout of import time,
    which capsys never sees, so the stream is swapped for a buffer."""
    from handlers.core.observability import logger

    buffer = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", buffer)
    return buffer


def test_the_task_token_never_appears_in_logs_or_messages(orchestration, paused, log_output):
    # Given a paused execution whose token is stored server-side
    token = approval_item(orchestration, paused["approvalId"])["taskToken"]["S"]
    # When the email link resumes it and the execution runs to the end
    click(paused["links"]["resume"], "POST")
    execution_status(paused["execution"]["executionId"], TERMINAL)
    # Then the decision was logged, and no log line or published message carries the token or id
    logged = log_output.getvalue()
    assert "approval decided" in logged
    assert token not in logged + json.dumps(orchestration.events())
    assert paused["approvalId"] not in logged


def test_an_unexpected_failure_on_the_email_page_is_a_friendly_html_500(orchestration, paused, monkeypatch):
    # Given the approvals table cannot be reached in a way the code does not expect
    from handlers.entry import callback_pages

    def broken(*_args, **_kwargs):
        raise RuntimeError("simulated outage")

    monkeypatch.setattr(callback_pages, "decide", broken)
    # When the email form is posted
    status, body, headers = click(paused["links"]["resume"], "POST")
    # Then the person sees an HTML page, not JSON or a traceback, with the usual security headers
    assert status == 500 and "Something went wrong" in body and "simulated outage" not in body
    assert headers["Content-Type"].startswith("text/html") and headers["Cache-Control"] == "no-store"
