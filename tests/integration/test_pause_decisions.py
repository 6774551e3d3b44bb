"""Deciding a pause by execution id (REST ``resume``/``cancel``, direct ``resume_execution``/
``cancel_execution``): the answer shows the outcome that took effect, or a 409 naming who won."""

from __future__ import annotations

import re
import threading
import time
from urllib.parse import urlsplit

import pytest

from handlers.models.approval import LINK_HOLDER, DecideApprovalRequest
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.integration.test_executions import TERMINAL, click, execution_status, pause_links, start
from tests.support.data import group_body, plan_body
from tests.support.events import call_api, invoke_direct
from tests.support.faults import lose_announcements

CONFLICT = re.compile(
    r"^execution [0-9a-f-]{36}: wave 2 was already (resumed|cancelled) by (.+) via (\w+) at "
    r"(\d{4}-\d\d-\d\dT[\d:.]+Z); this (resume|cancel) changed nothing$"
)


def paused_execution(orchestration, **plan_fields):
    groups = [call_api("POST", "/protection-groups", group_body(f"Tier {i}"))[1]["groupId"] for i in range(2)]
    status, plan = call_api("POST", "/recovery-plans", plan_body(groups, **plan_fields))
    assert status == 201, plan
    execution = start(plan)
    return execution_status(execution["executionId"], {"PAUSED"})


@pytest.fixture
def paused(orchestration):
    """An execution paused before wave 2 and its email links (the plan notifies dr@example.com)."""
    execution = paused_execution(orchestration, notificationEmail="dr@example.com")
    links = pause_links(orchestration.wait_for_event("pause"))
    return {"executionId": execution["executionId"], "links": links}


def approval_status(orchestration, links):
    approval_id = urlsplit(links["resume"]).query.split("approval=")[1]
    table = orchestration.aws.tables["APPROVALS_TABLE"]
    item = orchestration.aws.client("dynamodb").get_item(
        TableName=table, Key={"approvalId": {"S": approval_id}}
    )
    return item["Item"]["status"]["S"], approval_id


@pytest.mark.parametrize("email_delay", [0, 0.05, 0.1, 0.15, 0.3])
def test_a_cancel_racing_an_email_resume_is_done_or_a_409_naming_the_winner(
    orchestration, paused, email_delay
):
    # Given a paused execution, when an API cancel and the email resume arrive together (the email a
    # little later in some trials, so that either may win)
    execution_id = paused["executionId"]
    barrier = threading.Barrier(2)
    answers = {}

    def cancel():
        barrier.wait()
        answers["api"] = call_api("POST", f"/executions/{execution_id}/cancel", {"reason": "race drill"})

    def resume_by_email():
        barrier.wait()
        time.sleep(email_delay)
        answers["email"] = click(paused["links"]["resume"], "POST")

    threads = [threading.Thread(target=cancel), threading.Thread(target=resume_by_email)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then the cancel is either done (the execution it returns is CANCELLED, and so it ends) or a
    # 409 naming the email resume that won (and the run goes on to succeed): never a 200 on a loss.
    # A cancel that arrives just after the resume won the pause stops the running execution: done
    # too, and the record says both (the resume decision, then who cancelled the run).
    status, body = answers["api"]
    final = execution_status(execution_id, TERMINAL)
    if status == 200:
        assert body["status"] == "CANCELLED" and final["status"] == "CANCELLED"
        decided = [(d["action"], d["decidedBy"]) for d in final["decisions"]]
        if decided == [("resume", "dr@example.com")]:
            assert final["statusReason"] == "cancelled by oncall@example.com: race drill"
        else:
            assert decided == [("cancel", "oncall@example.com")]
    else:
        assert status == 409 and body["error"] == "CONFLICT", body
        winner = CONFLICT.match(body["message"])
        assert winner and winner.group(1, 2, 3, 5) == ("resumed", "dr@example.com", "email", "cancel")
        assert final["status"] == "SUCCEEDED"
        assert [(d["action"], d["channel"]) for d in final["decisions"]] == [("resume", "email")]


def test_a_winning_cancel_returns_the_cancelled_execution_with_its_decision(orchestration, paused):
    # When an operator cancels the paused execution through the API, with a reason
    status, body = call_api("POST", f"/executions/{paused['executionId']}/cancel", {"reason": "drill over"})
    # Then the answer already shows the cancel that took effect, not a stale PAUSED
    assert status == 200 and body["status"] == "CANCELLED" and body["pendingApproval"] is None
    (decision,) = body["decisions"]
    assert (decision["action"], decision["decidedBy"], decision["channel"], decision["reason"]) == (
        "cancel",
        "oncall@example.com",
        "api",
        "drill over",
    )
    # and a later click on the email link is told who cancelled
    page = click(paused["links"]["resume"], "POST")[1]
    assert "Already decided" in page and "oncall@example.com" in page
    assert execution_status(paused["executionId"], TERMINAL)["decisions"] == [decision]


def test_resuming_a_pause_someone_cancelled_is_a_409_saying_who_how_and_when(orchestration, paused):
    # Given the pause was cancelled from the email link
    click(paused["links"]["cancel"], "POST")
    # When an API user tries to resume it
    status, body = call_api("POST", f"/executions/{paused['executionId']}/resume")
    # Then it is a conflict naming the decision that won
    assert status == 409 and body["error"] == "CONFLICT"
    assert re.search(r"cancelled by dr@example\.com via email at \d{4}-", body["message"]), body
    assert execution_status(paused["executionId"], TERMINAL)["status"] == "CANCELLED"


def test_an_email_link_decision_without_a_plan_email_records_the_link_holder(orchestration):
    # Given a plan with no notification address, paused
    execution = paused_execution(orchestration)
    links = pause_links(orchestration.wait_for_event("pause"))
    # When its email link resumes it
    click(links["resume"], "POST")
    # Then the decision names the holder of the link, never an empty identity
    (decision,) = execution_status(execution["executionId"], TERMINAL)["decisions"]
    assert decision["decidedBy"] == LINK_HOLDER and decision["channel"] == "email"


def test_a_lost_pause_announcement_can_be_resumed_by_execution_id_through_the_api(orchestration, monkeypatch):
    # Given SNS refused the pause announcement: no email, no link, no Slack buttons
    lose_announcements(monkeypatch, "pause")
    execution = paused_execution(orchestration, notificationEmail="dr@example.com")
    assert "pause" not in orchestration.event_types()
    # When an API user resumes it by execution id
    status, body = call_api(
        "POST", f"/executions/{execution['executionId']}/resume", {"reason": "seen in the console"}
    )
    # Then the resume took effect (shown in the answer) and the run finishes
    assert status == 200 and body["status"] == "RUNNING" and body["pendingApproval"] is None
    assert (
        body["decisions"][0]["decidedBy"] == "oncall@example.com" and body["decisions"][0]["channel"] == "api"
    )
    assert execution_status(execution["executionId"], TERMINAL)["status"] == "SUCCEEDED"
    # and resuming again is a 409 saying it already was
    status, body = call_api("POST", f"/executions/{execution['executionId']}/resume")
    assert status == 409 and "resumed by oncall@example.com via api" in body["message"]


def test_a_lost_pause_announcement_can_be_resumed_by_direct_invocation(orchestration, monkeypatch):
    lose_announcements(monkeypatch, "pause")
    execution_id = paused_execution(orchestration)["executionId"]
    body = {"accountId": ACCOUNT_A, "executionId": execution_id}
    # A direct decision must name who decides
    assert invoke_direct("resume_execution", body, requested_by=None)["error"] == "VALIDATION_ERROR"
    resumed = invoke_direct("resume_execution", {**body, "decidedBy": "runbook-automation"})
    assert resumed["status"] == "RUNNING"
    assert (resumed["decisions"][0]["decidedBy"], resumed["decisions"][0]["channel"]) == (
        "runbook-automation",
        "direct",
    )
    assert execution_status(execution_id, TERMINAL)["status"] == "SUCCEEDED"


def test_deciding_by_execution_id_stays_in_the_callers_account(orchestration, paused):
    execution_id = paused["executionId"]
    for action in ("resume", "cancel"):
        status, body = call_api("POST", f"/executions/{execution_id}/{action}", account=ACCOUNT_B)
        assert status == 404 and body["error"] == "NOT_FOUND"
        direct = invoke_direct(
            f"{action}_execution", {"accountId": ACCOUNT_B, "executionId": execution_id, "decidedBy": "b-ops"}
        )
        assert direct["error"] == "NOT_FOUND"
    assert call_api("GET", f"/executions/{execution_id}")[1]["status"] == "PAUSED"


def test_an_api_caller_cannot_name_someone_else_as_the_decider(orchestration, paused):
    status, body = call_api("POST", f"/executions/{paused['executionId']}/resume", {"decidedBy": "the cfo"})
    assert status == 400 and "decidedBy" in body["message"]
    assert call_api("GET", f"/executions/{paused['executionId']}")[1]["status"] == "PAUSED"


def test_a_pause_reopened_after_a_throttled_resume_stays_decidable(orchestration, paused, monkeypatch):
    # Given ana's resume holds the pause while Step Functions throttles her SendTaskSuccess, and
    # bob's cancel (which read the pause open) fails its write in that moment but reads the pause
    # again after ana's was undone
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    from handlers.pauses.approvals import decide_approval
    from handlers.repositories.approvals import ApprovalRepository

    bob_ready, holding, bob_failed, reopened = (threading.Event() for _ in range(4))
    call, write, undo = BaseClient._make_api_call, ApprovalRepository.decide, ApprovalRepository.reopen

    def throttled(self, operation, params):
        if operation == "SendTaskSuccess":
            holding.set()
            bob_failed.wait(10)
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, operation)
        return call(self, operation, params)

    def decide(self, approval_id, **kwargs):
        if kwargs["by"] != "bob" or bob_failed.is_set():
            return write(self, approval_id, **kwargs)
        bob_ready.set()  # bob has read the pause open
        holding.wait(10)
        written = write(self, approval_id, **kwargs)
        if written is None:
            bob_failed.set()
            reopened.wait(10)
        return written

    def reopen(self, approval, key="", also=()):
        done = undo(self, approval, key, also)
        reopened.set()
        return done

    monkeypatch.setattr(BaseClient, "_make_api_call", throttled)
    monkeypatch.setattr(ApprovalRepository, "decide", decide)
    monkeypatch.setattr(ApprovalRepository, "reopen", reopen)
    _, approval_id = approval_status(orchestration, paused["links"])
    results = {}

    def ana():
        bob_ready.wait(10)
        try:
            decide_approval(
                DecideApprovalRequest(action="resume", approvalId=approval_id), by="ana", via="api"
            )
        except ClientError as exc:
            results["ana"] = exc

    def bob():
        request = DecideApprovalRequest(action="cancel", approvalId=approval_id)
        results["bob"] = decide_approval(request, by="bob", via="api")

    threads = [threading.Thread(target=ana), threading.Thread(target=bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then the pause was not marked EXPIRED: bob's cancel, made while it was open again, took effect
    assert isinstance(results["ana"], ClientError)
    assert results["bob"].outcome == "decided" and results["bob"].decidedBy == "bob"
    assert approval_status(orchestration, paused["links"])[0] == "CANCELLED"
    assert execution_status(paused["executionId"], TERMINAL)["status"] == "CANCELLED"
