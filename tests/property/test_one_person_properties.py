"""One person never meets a quorum of 2 alone, whatever sequence of identities they vote under:
their Slack user (known by the email Slack reports, under any display name), their Cognito user
(email verified, or not, so known by username), and direct invocations writing their name or
another's, and whether or not they started the execution. Where Slack does not report the email at
some of the votes, the Slack user is still one voter (the API cannot be linked to it then: see
bot/identity.py). The real identity and policy code decides (handlers.accounts.account_context,
approval_policy, approvals.decide_approval on moto's DynamoDB); Step Functions is counted, not run."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.accounts.account_context import Caller, caller_for_invocation, identity_keys
from handlers.core.errors import DomainError
from handlers.models.approval import Approval, DecideApprovalRequest
from handlers.pauses import approvals
from handlers.pauses.approval_policy import voter_of
from handlers.repositories.approvals import ApprovalRepository
from tests.conftest import ACCOUNT_A
from tests.support.events import api_event
from tests.support.pauses import open_approval_item

ANA, BEN = "ana@example.com", "ben@example.com"


def _api(claims: dict[str, Any]) -> Caller:
    event = api_event("POST", "/executions/e/resume", account=ACCOUNT_A)
    event["requestContext"]["authorizer"]["claims"] = {"custom:accountId": ACCOUNT_A, **claims}
    return caller_for_invocation(event, {})


def _direct(name: str) -> Caller:
    return caller_for_invocation(
        {"operation": "resume_execution"}, {"accountId": ACCOUNT_A, "decidedBy": name}
    )


ANAS = {
    "slack": lambda: Caller(ACCOUNT_A, "@ana", "slack", user_id="U0ANA", email=ANA),
    "slack, renamed": lambda: Caller(ACCOUNT_A, "@ana-2", "slack", user_id="U0ANA", email=ANA),
    "slack, no email reported": lambda: Caller(ACCOUNT_A, "@ana-3", "slack", user_id="U0ANA"),
    "api, verified email": lambda: _api(
        {"cognito:username": "ana", "email": "Ana@Example.com", "email_verified": "true"}
    ),
    "api, verified (boolean)": lambda: _api(
        {"cognito:username": "ana", "email": ANA, "email_verified": True}
    ),
    "api, email unverified": lambda: _api(
        {"cognito:username": "ana", "email": ANA, "email_verified": "false"}
    ),
    "api, ben's email unverified": lambda: _api(
        {"cognito:username": "ana", "email": BEN, "email_verified": "false"}
    ),
    "direct as ana": lambda: _direct(ANA),
    "direct as ben": lambda: _direct(BEN),
}
STARTERS = ["someone else", "slack", "slack, no email reported", "api, verified email", "direct as ana"]
EVERY_CHANNEL = sorted(set(ANAS) - {"slack, no email reported"})
SLACK_UNSURE = sorted(set(ANAS) - {"api, verified email", "api, verified (boolean)"})


def _approval(started_by: str) -> Approval:
    starter = (
        Caller(ACCOUNT_A, "carol", "api_gateway") if started_by == "someone else" else ANAS[started_by]()
    )
    return open_approval_item(
        quorum=2,
        approvers=["U0ANA", "U0BEN"],
        approverPrincipals=[ANA, BEN],
        startedBy=starter.principal,
        startedByKeys=list(identity_keys(starter)),
    )


SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(started_by=st.sampled_from(STARTERS), identities=st.lists(st.sampled_from(EVERY_CHANNEL), max_size=8))
def test_one_person_under_any_identities_never_meets_a_quorum_of_two(
    aws, monkeypatch, started_by, identities
):
    _ana_votes_alone(monkeypatch, started_by, identities)


@SETTINGS
@given(started_by=st.sampled_from(STARTERS), identities=st.lists(st.sampled_from(SLACK_UNSURE), max_size=8))
def test_a_slack_user_is_one_voter_whether_or_not_slack_reports_the_email(
    aws, monkeypatch, started_by, identities
):
    _ana_votes_alone(monkeypatch, started_by, identities)


def _ana_votes_alone(monkeypatch: Any, started_by: str, identities: list[str]) -> None:
    sent: list[str] = []
    monkeypatch.setattr(approvals, "_send_to_step_functions", lambda a: sent.append(a.action) or True)
    approval = _approval(started_by)
    ApprovalRepository().insert(approval)
    request = DecideApprovalRequest(action="resume", approvalId=approval.approvalId)
    # When ana resumes under each identity in turn (a refusal changes nothing)
    for name in identities:
        who = voter_of(ANAS[name]())
        with contextlib.suppress(DomainError):
            approvals.decide_approval(request, by=who.by, via=who.via, voter=who)
    # Then at most one vote counts, and nothing is decided
    stored = ApprovalRepository().get(approval.approvalId)
    assert stored is not None
    assert stored.status == "PENDING" and sent == [] and stored.tally["resume"] <= 1
    # And her one vote (when she was allowed one) still counts with ben's, as the rule says
    ben = voter_of(Caller(ACCOUNT_A, BEN, "api_gateway", email=BEN))
    result = approvals.decide_approval(request, by=ben.by, via=ben.via, voter=ben)
    assert (result.outcome == "decided") == (stored.tally["resume"] == 1)
