"""Quorum votes over random orders (handlers/pauses/approvals.py): never more than the quorum
counted, resume iff ``quorum`` distinct resumes come before any cancel, exactly one Step Functions
call once decided (none before). On moto's DynamoDB; Step Functions is counted, not run."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.accounts.account_context import principal_key
from handlers.core.errors import DomainError
from handlers.models.approval import Approval, DecideApprovalRequest
from handlers.pauses import approvals
from handlers.pauses.approval_policy import Voter
from handlers.repositories.approvals import ApprovalRepository
from tests.support.pauses import open_approval_item

VOTES = st.lists(st.tuples(st.integers(0, 7), st.sampled_from(["resume", "resume", "cancel"])), max_size=14)


def _approval(quorum: int) -> Approval:
    return open_approval_item(
        quorum=quorum, approverPrincipals=[f"u{i}" for i in range(8)], startedBy="starter"
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(quorum=st.integers(1, 4), votes=VOTES)
def test_any_vote_order_decides_once_and_as_the_rule_says(aws, monkeypatch, quorum, votes):
    sent: list[str] = []
    monkeypatch.setattr(approvals, "_send_to_step_functions", lambda a: sent.append(a.action) or True)
    approval = _approval(quorum)
    ApprovalRepository().insert(approval)
    for voter, action in votes:
        who = Voter("api", f"u{voter}", principal_key(f"u{voter}"))
        request = DecideApprovalRequest(action=action, approvalId=approval.approvalId)
        with contextlib.suppress(DomainError):  # "you already voted": a refusal changes nothing
            approvals.decide_approval(request, by=who.by, via="api", voter=who)
    # The rule, replayed: distinct resumes before the first cancel
    expected, seen = None, []
    for voter, action in votes:
        if action == "cancel":
            expected = "cancel"
            break
        if voter not in seen:
            seen.append(voter)
        if len(seen) == quorum:
            expected = "resume"
            break
    stored = ApprovalRepository().get(approval.approvalId)
    assert stored is not None
    assert stored.tally["resume"] <= quorum
    assert sent == ([expected] if expected else [])
    assert (stored.action or None) == expected
    if expected == "resume":
        assert [v.by for v in stored.counted("resume")] == [f"u{v}" for v in seen]
