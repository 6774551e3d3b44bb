"""Every vote belongs in the evidence: a pause one approver voted to resume and another cancelled
keeps both votes (with their reasons) on the decision, in the report's JSON and on its HTML page."""

from __future__ import annotations

from tests.support.events import call_api, get_raw
from tests.support.pauses import execution_status, paused_drill

ANA, BEN = "ana@example.com", "ben@example.com"


def test_a_resume_vote_and_the_cancel_that_followed_are_both_in_the_report(orchestration):
    # Given a quorum-2 drill paused before wave 2
    paused = paused_drill(orchestration, [ANA, BEN])
    execution_id = paused["executionId"]
    # When ana votes to resume ("db ok") and ben then cancels ("app broken"), both through the API
    status, _ = call_api("POST", f"/executions/{execution_id}/resume", {"reason": "db ok"}, user=ANA)
    assert status == 200
    status, _ = call_api("POST", f"/executions/{execution_id}/cancel", {"reason": "app broken"}, user=BEN)
    assert status == 200
    execution_status(execution_id, {"CANCELLED"})
    # Then the report's cancel decision keeps both votes, each with its reason
    status, report = call_api("GET", f"/executions/{execution_id}/report")
    assert status == 200
    (decision,) = report["decisions"]
    assert (decision["action"], decision["decidedBy"], decision["reason"]) == ("cancel", BEN, "app broken")
    votes = [(v["action"], v["by"], v["reason"]) for v in decision["votes"]]
    assert votes == [("resume", ANA, "db ok"), ("cancel", BEN, "app broken")]
    voted = [e["detail"] for e in report["timeline"] if e["event"] == "vote"]
    assert voted == [f"{ANA} via api voted resume: db ok", f"{BEN} via api voted cancel: app broken"]
    # and so does the HTML page, saying which vote did not count
    status, page, _ = get_raw(f"/executions/{execution_id}/report?format=html")
    assert status == 200
    assert (
        f"vote: {ANA} via api at" in page
        and "resume (db ok) &middot; not counted: the pause was cancelled" in page
    )
    assert f"vote: {BEN} via api at" in page and "cancel (app broken)</span>" in page
