"""One person cannot meet a quorum of 2 alone through the API or direct invocation: an unverified
email claim names nobody, the same verified email in another case is the same voter, a direct
invocation (whose ``decidedBy`` anyone may write) counts only at quorum 1, and the starter is known
by identity, not by the name a request writes."""

from __future__ import annotations

from tests.conftest import ACCOUNT_A
from tests.support.events import call_api, invoke_direct
from tests.support.pauses import execution_status
from tests.support.people import call_with_claims, plan_naming, start_through_the_api, votes_on

ANA, BEN = "ana@example.com", "ben@example.com"
STARTER = "starter@example.com"


def paused_drill(quorum: int = 2, starter: str = STARTER) -> str:
    plan_id = plan_naming(approvers=[], principals=[ANA, BEN], quorum=quorum)
    execution_id = start_through_the_api(plan_id, starter)
    execution_status(execution_id, {"PAUSED"})
    return execution_id


def resume(execution_id: str, user: str) -> tuple[int, dict]:
    return call_api("POST", f"/executions/{execution_id}/resume", {}, user=user)


def test_an_unverified_email_claim_does_not_vote_as_that_person(orchestration):
    # Given a quorum-2 pause whose approvers are ana and ben
    execution_id = paused_drill()
    # When mallory, whose Cognito user carries ana's address unverified, resumes through the API
    mallory = {"cognito:username": "mallory", "email": ANA, "email_verified": "false"}
    status, body = call_with_claims("POST", f"/executions/{execution_id}/resume", mallory, {})
    # Then she is mallory, who is not an approver: refused, and nothing is counted for ana
    assert status == 403 and body["error"] == "FORBIDDEN", body
    assert votes_on(execution_id) == []
    # And ana's own vote still counts (mallory took nothing from her)
    status, body = call_with_claims(
        "POST", f"/executions/{execution_id}/resume", {"email": ANA, "email_verified": True}, {}
    )
    assert status == 200 and votes_on(execution_id) == [ANA], body


def test_the_same_verified_email_in_another_case_is_the_same_voter(orchestration):
    # Given ana's vote on a quorum-2 pause
    execution_id = paused_drill()
    assert resume(execution_id, ANA)[0] == 200
    # When a Cognito user whose verified email is ana's in capitals votes too
    status, body = resume(execution_id, "Ana@Example.COM")
    # Then it is ana again: one vote, still paused
    assert status == 409 and "already voted" in body["message"], body
    assert execution_status(execution_id, {"PAUSED"})["pendingApproval"]["votes"][0]["by"] == ANA


def test_direct_invocation_cannot_meet_a_quorum_of_two_alone(orchestration):
    # Given a quorum-2 pause whose approvers are ana and ben
    execution_id = paused_drill()
    # When one invoker resumes it twice, writing decidedBy ana, then ben
    answers = [
        invoke_direct(
            "resume_execution", {"accountId": ACCOUNT_A, "executionId": execution_id, "decidedBy": who}
        )
        for who in (ANA, BEN)
    ]
    # Then neither counts, and the refusal says how to vote instead
    for answer in answers:
        assert answer["error"] == "FORBIDDEN", answer
        assert "identifies nobody" in answer["message"] and "Slack or through the API" in answer["message"]
    assert votes_on(execution_id) == [] and execution_status(execution_id, {"PAUSED"})
    # But it may still cancel (with the reason the plan asks for)
    cancelled = invoke_direct(
        "cancel_execution",
        {"accountId": ACCOUNT_A, "executionId": execution_id, "decidedBy": ANA, "reason": "wrong plan"},
    )
    assert "error" not in cancelled, cancelled
    assert execution_status(execution_id, {"CANCELLED"})["decisions"][0]["channel"] == "direct"


def test_direct_invocation_decides_where_the_quorum_is_one(orchestration):
    execution_id = paused_drill(quorum=1)
    answer = invoke_direct(
        "resume_execution", {"accountId": ACCOUNT_A, "executionId": execution_id, "decidedBy": ANA}
    )
    assert "error" not in answer, answer
    assert execution_status(execution_id, {"SUCCEEDED"})["decisions"][0]["decidedBy"] == ANA


def test_the_starter_is_known_by_identity_whatever_the_case_of_the_address(orchestration):
    # Given a quorum-2 pause ana started through the API
    execution_id = paused_drill(starter=ANA)
    # When ana votes, her verified address in another case
    status, body = resume(execution_id, "ANA@example.com")
    # Then the starter's vote does not count
    assert status == 403 and "started this execution" in body["message"], body
    assert votes_on(execution_id) == []


def test_a_direct_start_naming_an_approver_does_not_take_their_vote(orchestration):
    # Given a run started by direct invocation whose requestedBy names ana (anyone may write that)
    plan_id = plan_naming(approvers=[], principals=[ANA, BEN])
    started = invoke_direct(
        "start_execution", {"accountId": ACCOUNT_A, "planId": plan_id, "requestedBy": ANA}
    )
    execution_status(started["executionId"], {"PAUSED"})
    # When ana votes through the API
    status, body = resume(started["executionId"], ANA)
    # Then her vote counts: the direct invoker was not shown to be ana
    assert status == 200 and votes_on(started["executionId"]) == [ANA], body
