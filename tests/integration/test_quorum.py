"""Quorum approvals: named approvers vote, the vote that reaches the quorum alone calls Step
Functions, a cancel decides at once, the starter never counts above 1, an email link counts only at
quorum 1, reasons are checked and kept. In process with real threads on moto."""

from __future__ import annotations

import re
import threading
from urllib.parse import urlsplit

import pytest

from handlers.accounts.account_context import principal_key
from handlers.models.approval import DecideApprovalRequest
from handlers.pauses.approval_policy import Voter
from handlers.runs import decisions
from tests.integration.test_executions import TERMINAL, click, execution_status
from tests.support.data import group_body, plan_body
from tests.support.events import call_api, call_page

APPROVERS = [f"approver{i:02d}@example.com" for i in range(30)]
STARTER = "starter@example.com"


def paused_with(orchestration, *, quorum=2, principals=APPROVERS, **plan_fields):
    """An execution (a drill, started by STARTER) paused before wave 2 with drill quorum ``quorum``."""
    groups = [call_api("POST", "/protection-groups", group_body(f"Tier {i}"))[1]["groupId"] for i in range(2)]
    fields = {
        "approverPrincipals": [*principals, STARTER],
        "approvalQuorum": {"drill": quorum, "recovery": 2},
    }
    status, plan = call_api("POST", "/recovery-plans", plan_body(groups, **{**fields, **plan_fields}))
    assert status == 201, plan
    status, execution = call_api("POST", "/executions", {"planId": plan["planId"]}, user=STARTER)
    assert status == 201, execution
    paused = execution_status(execution["executionId"], {"PAUSED"})
    item = orchestration.aws.client("dynamodb").get_item(
        TableName=orchestration.aws.tables["EXECUTIONS_TABLE"],
        Key={"executionId": {"S": paused["executionId"]}},
    )["Item"]
    approval_id = item["pendingApprovalId"]["S"]
    links = {
        a: f"https://example.com/execution-callback?action={a}&approval={approval_id}"
        for a in ("resume", "cancel")
    }
    return {"executionId": paused["executionId"], "links": links, "approvalId": approval_id}


@pytest.fixture
def step_functions_calls(monkeypatch):
    from botocore.client import BaseClient

    sent: list[str] = []
    original = BaseClient._make_api_call

    def counting(self, operation, params):
        if operation in {"SendTaskSuccess", "SendTaskFailure"}:
            sent.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    return sent


def all_at_once(work, count):
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def vote(execution_id, user, action="resume", **body):
    return call_api("POST", f"/executions/{execution_id}/{action}", body, user=user)


def test_thirty_approvers_resuming_at_once_count_two_votes_and_one_step_functions_call(
    orchestration, step_functions_calls
):
    # Given a quorum-2 pause with 30 named approvers
    paused = paused_with(orchestration)
    execution_id = paused["executionId"]
    # When all 30 resume through the API at once
    answers = all_at_once(lambda i: vote(execution_id, APPROVERS[i], reason=f"go {i}"), 30)
    # Then exactly two votes counted (both 200), one SendTaskSuccess, and 28 told who resumed
    counted = [body for status, body in answers if status == 200]
    refused = [body for status, body in answers if status != 200]
    assert len(counted) == 2 and step_functions_calls == ["SendTaskSuccess"]
    assert len(refused) == 28 and all(b["error"] == "CONFLICT" for b in refused)
    final = execution_status(execution_id, TERMINAL)
    assert final["status"] == "SUCCEEDED"
    (decision,) = final["decisions"]
    voters = [v["by"] for v in decision["votes"]]
    assert len(set(voters)) == 2 and set(voters) <= set(APPROVERS)
    names = f"{voters[0]} and {voters[1]}"
    assert decision["decidedBy"] == names
    # (told while the pause closes, "already resumed by"; once closed, "is not paused ...; wave 1
    # was resumed by")
    assert all(
        re.search(rf"(already|was) resumed by {re.escape(names)} via api at \d{{4}}-", b["message"])
        for b in refused
    )


def test_thirty_mixed_votes_have_one_outcome_that_matches_step_functions(orchestration, step_functions_calls):
    # Given a quorum-2 pause, and 30 approvers of whom every third cancels
    paused = paused_with(orchestration)
    request = {"approvalId": paused["approvalId"]}

    def decide(i):
        action = "cancel" if i % 3 == 0 else "resume"
        who = Voter("api", APPROVERS[i], principal_key(APPROVERS[i]))
        body = DecideApprovalRequest(action=action, reason="mixed", **request)
        try:
            return decisions.decide(body, by=who.by, via="api", voter=who)
        except Exception as exc:
            return exc

    results = all_at_once(decide, 30)
    # Then one Step Functions call, and the record says what Step Functions was told
    assert len(step_functions_calls) == 1, step_functions_calls
    winners = [r for r in results if getattr(r, "outcome", "") == "decided"]
    assert len(winners) == 1
    final = execution_status(paused["executionId"], TERMINAL)
    (decision,) = final["decisions"]
    if step_functions_calls == ["SendTaskSuccess"]:
        assert decision["action"] == "resume" and final["status"] == "SUCCEEDED"
        assert [v["action"] for v in decision["votes"]] == ["resume", "resume"]
    else:
        assert decision["action"] == "cancel" and final["status"] == "CANCELLED"
    voted = [r for r in results if getattr(r, "outcome", "") == "voted"]
    assert len(voted) <= 1


def test_a_vote_shows_on_the_pause_and_is_announced_to_slack_only(orchestration):
    # Given a quorum-2 pause
    paused = paused_with(orchestration, requireReason="always")
    # When one approver votes with a reason
    status, body = vote(paused["executionId"], APPROVERS[0], reason="<b>checked</b> the DB")
    # Then the vote took effect (200, still paused) and the pause shows it with the quorum
    assert status == 200 and body["status"] == "PAUSED"
    pending = body["pendingApproval"]
    assert pending["quorum"] == 2 and pending["kind"] == "before_wave"
    assert [(v["by"], v["via"], v["reason"]) for v in pending["votes"]] == [
        (APPROVERS[0], "api", "<b>checked</b> the DB")
    ]
    # and a vote event went out without recipients (no email subscription matches it)
    event = orchestration.wait_for_event("vote")
    assert "recipients" not in event["attributes"]
    # and a second vote by the same person is refused, saying when they voted
    status, again = vote(paused["executionId"], APPROVERS[0], reason="again")
    assert status == 409 and re.match(r"you already voted at \d{4}-", again["message"]), again


def test_the_starter_never_counts_when_the_quorum_is_above_one(orchestration):
    paused = paused_with(orchestration)
    status, body = vote(paused["executionId"], STARTER)
    assert status == 403 and "started this execution" in body["message"], body
    assert execution_status(paused["executionId"], {"PAUSED"})["pendingApproval"]["votes"] == []


def test_someone_who_is_not_an_approver_is_refused_with_who_may(orchestration):
    paused = paused_with(orchestration, principals=["alice@example.com", "bob@example.com"])
    status, body = vote(paused["executionId"], "mallory@example.com")
    assert status == 403 and body["error"] == "FORBIDDEN"
    assert "alice@example.com" in body["message"] and "bob@example.com" in body["message"]


def test_a_vote_on_a_finished_or_expired_pause_changes_nothing(orchestration):
    # Given a pause an approver cancelled
    paused = paused_with(orchestration)
    assert vote(paused["executionId"], APPROVERS[0], "cancel", reason="not today")[0] == 200
    # When another approver resumes it
    status, body = vote(paused["executionId"], APPROVERS[1])
    # Then it is a conflict naming the cancel
    assert status == 409 and APPROVERS[0] in body["message"], body
    # Given another pause whose time is up
    expired = paused_with(orchestration)
    table = orchestration.aws.tables["APPROVALS_TABLE"]
    orchestration.aws.client("dynamodb").update_item(
        TableName=table,
        Key={"approvalId": {"S": expired["approvalId"]}},
        UpdateExpression="SET expiresAt = :past",
        ExpressionAttributeValues={":past": {"S": "2020-01-01T00:00:00Z"}},
    )
    status, body = vote(expired["executionId"], APPROVERS[1])
    assert status == 409 and "can no longer be decided" in body["message"], body
    # (end the run: this test moved the pause's expiry, Step Functions still waits for the token)
    token = orchestration.aws.client("dynamodb").get_item(
        TableName=table, Key={"approvalId": {"S": expired["approvalId"]}}
    )["Item"]["taskToken"]["S"]
    orchestration.aws.client("stepfunctions").send_task_failure(taskToken=token, error="ExecutionCancelled")


@pytest.mark.parametrize(
    ("reason", "problem"), [("x" * 1001, "at most 1000"), ("bell\x07", "control characters")]
)
def test_a_reason_too_long_or_with_control_characters_is_a_400_naming_it(orchestration, reason, problem):
    paused = paused_with(orchestration)
    status, body = vote(paused["executionId"], APPROVERS[0], reason=reason)
    assert status == 400 and "reason" in body["message"] and problem in body["message"], body


def test_a_cancel_without_the_reason_the_plan_requires_is_a_400(orchestration):
    paused = paused_with(orchestration, requireReason="cancel")
    status, body = vote(paused["executionId"], APPROVERS[0], "cancel")
    assert status == 400 and "reason is required to cancel" in body["message"], body
    assert vote(paused["executionId"], APPROVERS[0], "cancel", reason="wrong plan")[0] == 200


def test_an_email_link_offers_only_cancel_and_cannot_resume_at_quorum_two(orchestration):
    paused = paused_with(orchestration)
    # The confirmation page offers Cancel only and says where to resume
    status, page, _ = call_page("GET", "/execution-callback?" + urlsplit(paused["links"]["resume"]).query)
    assert status == 200 and 'value="resume"' not in page and "named approvers" in page
    # A forged resume POST is refused and changes nothing
    status, page = click(paused["links"]["resume"], "POST")[:2]
    assert status == 403 and "identifies nobody" in page
    assert execution_status(paused["executionId"], {"PAUSED"})["pendingApproval"]["votes"] == []
    # The cancel works, its reason shown escaped
    form = f"action=cancel&approval={paused['approvalId']}&reason=%3Cscript%3Ex%3C%2Fscript%3E"
    status, page, _ = call_page("POST", "/execution-callback", form)
    assert status == 200 and "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page
    assert execution_status(paused["executionId"], TERMINAL)["decisions"][0]["reason"] == "<script>x</script>"


def test_an_email_reason_with_control_characters_is_a_page_naming_the_field(orchestration):
    paused = paused_with(orchestration, quorum=1)
    form = f"action=resume&approval={paused['approvalId']}&reason=a%00b"
    status, page, _ = call_page("POST", "/execution-callback", form)
    assert status == 400 and "reason: must not contain control characters" in page


def test_a_slack_vote_counts_members_of_a_user_group_and_refuses_when_it_cannot_be_resolved(orchestration):
    from handlers.accounts.account_context import Caller
    from handlers.core.errors import ForbiddenError
    from handlers.pauses.approval_policy import GroupResolutionError
    from tests.conftest import ACCOUNT_A

    paused = paused_with(orchestration, principals=[], approvers=["S0ONCALL", "U0ALICE"])
    execution_id = paused["executionId"]

    def slack(user):
        return Caller(account_id=ACCOUNT_A, principal=f"@{user.lower()}", source="slack", user_id=user)

    def unreachable(group):
        raise GroupResolutionError("usergroups.users.list failed: ratelimited")

    # An unresolvable group lets nobody through it, and says so
    with pytest.raises(ForbiddenError, match="could not be checked"):
        decisions.decide_pause(slack("U0BOB"), execution_id, 2, "resume", group_members=unreachable)
    with pytest.raises(ForbiddenError, match="cannot be resolved here"):
        decisions.decide_pause(slack("U0BOB"), execution_id, 2, "resume")
    # A member of the group votes, a named user reaches the quorum
    members = {"S0ONCALL": frozenset({"U0BOB"})}
    first = decisions.decide_pause(
        slack("U0BOB"), execution_id, 2, "resume", group_members=members.__getitem__
    )
    second = decisions.decide_pause(slack("U0ALICE"), execution_id, 2, "resume")
    assert (first.outcome, second.outcome) == ("voted", "decided")
    assert second.decidedBy == "@u0bob and @u0alice"
    assert execution_status(execution_id, TERMINAL)["status"] == "SUCCEEDED"
