"""The emails that announce a decision show its reason: the resume, the cancelled run's end, a
failed wave's retry and skip; whichever channel decided (the email link, whose decision the
orchestrator records when the state machine receives it, or the API, which records it at once).
Read from the execution topic as published, rendered for email."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.support.events import call_api, call_page
from tests.support.pauses import execution_status, paused_drill

ANA, BEN = "ana@example.com", "ben@example.com"


def email_link(paused, action, reason):
    form = urlencode({"action": action, "approval": paused["approvalId"], "reason": reason})
    return call_page("POST", "/execution-callback", form)


def test_a_resume_from_the_email_link_is_announced_with_its_reason(orchestration):
    # Given a drill of a plan that names no approvers (the email link decides), paused before wave 2
    paused = paused_drill(orchestration, [], quorum=1)
    # When its email link resumes it with a reason
    status, page, _ = email_link(paused, "resume", "db ok, change CHG-7")
    assert status == 200, page
    # Then the resume email shows who resumed it and why
    body = orchestration.wait_for_event("resume")["body"]
    assert "Resumed by:" in body and "Reason:        db ok, change CHG-7\n" in body
    execution_status(paused["executionId"], {"SUCCEEDED"})


def test_a_resume_through_the_api_is_announced_with_its_voters_reasons(orchestration):
    # Given a quorum-2 drill paused before wave 2
    paused = paused_drill(orchestration, [ANA, BEN])
    execution_id = paused["executionId"]
    # When ana and ben resume it with their reasons
    call_api("POST", f"/executions/{execution_id}/resume", {"reason": "db ok"}, user=ANA)
    call_api("POST", f"/executions/{execution_id}/resume", {"reason": "app ok"}, user=BEN)
    # Then the resume email gives both reasons, each with its voter
    body = orchestration.wait_for_event("resume")["body"]
    assert f"Reason:        {ANA}: db ok; {BEN}: app ok\n" in body
    execution_status(execution_id, {"SUCCEEDED"})


def test_a_run_cancelled_from_the_email_link_ends_with_an_email_giving_the_reason(orchestration):
    # Given a drill paused before wave 2 whose email link decides
    paused = paused_drill(orchestration, [], quorum=1)
    # When the link cancels it with a reason (the orchestrator records the cancel as the run ends)
    status, page, _ = email_link(paused, "cancel", "app team not ready")
    assert status == 200, page
    # Then the cancelled run's email says who cancelled it and why
    execution_status(paused["executionId"], {"CANCELLED"})
    body = orchestration.wait_for_event("cancel")["body"]
    assert "Cancelled by:" in body and "Reason:        app team not ready\n" in body


def test_a_run_cancelled_through_the_api_ends_with_an_email_giving_the_reason(orchestration):
    # Given a quorum-2 drill paused before wave 2 that ana voted to resume
    paused = paused_drill(orchestration, [ANA, BEN])
    execution_id = paused["executionId"]
    call_api("POST", f"/executions/{execution_id}/resume", {"reason": "db ok"}, user=ANA)
    # When ben cancels it
    status, _ = call_api("POST", f"/executions/{execution_id}/cancel", {"reason": "app broken"}, user=BEN)
    assert status == 200
    # Then the email gives the cancel's reason (not ana's resume vote's)
    body = orchestration.wait_for_event("cancel")["body"]
    assert f"Cancelled by:  {BEN} via api" in body and "Reason:        app broken\n" in body
    assert "db ok" not in body
