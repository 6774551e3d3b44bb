"""Who the caller is: the account of a REST caller is only its verified claim (an identity without
one is a 403, whatever the request names), and a direct invocation that records who acted must
name a plain actor (no line breaks, markup or links: they end up in emails and the audit trail)."""

from __future__ import annotations

import pytest

from tests.conftest import ACCOUNT_A
from tests.support.data import group_body, plan_body
from tests.support.events import call_api, invoke_direct


@pytest.fixture
def group_of_a(aws):
    status, group = call_api("POST", "/protection-groups", group_body("A's databases"), account=ACCOUNT_A)
    assert status == 201
    return group


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/protection-groups?accountId={ACCOUNT_A}", None),
        ("GET", "/protection-groups", None),
        ("POST", "/protection-groups", {"accountId": ACCOUNT_A, **group_body()}),
        ("GET", "/recovery-plans", None),
        ("GET", "/executions", None),
    ],
)
def test_an_identity_without_the_account_claim_is_forbidden_whatever_it_names(group_of_a, method, path, body):
    # Given a Cognito identity whose claims carry an email but no custom:accountId
    # When it asks for account A's data, naming A in the query or the body (or naming nothing)
    status, error = call_api(method, path, body, account=None, user="mallory@example.com")
    # Then it is forbidden and sees nothing of A
    assert status == 403 and error["error"] == "FORBIDDEN"
    assert "custom:accountId" in error["message"] and group_of_a["groupId"] not in str(error)


def test_an_identity_without_the_claim_cannot_read_an_item_by_id(group_of_a):
    path = f"/protection-groups/{group_of_a['groupId']}?accountId={ACCOUNT_A}"
    status, error = call_api("GET", path, account=None)
    assert status == 403 and "Database" not in str(error)


def test_a_caller_with_the_claim_still_cannot_name_another_account(group_of_a):
    status, error = call_api("GET", f"/protection-groups?accountId={ACCOUNT_A}", account="222222222222")
    assert status == 400 and "signed-in caller" in error["message"]


@pytest.fixture
def plan_of_a(group_of_a):
    status, plan = call_api("POST", "/recovery-plans", plan_body([group_of_a["groupId"]]))
    assert status == 201
    return plan


HOSTILE_ACTORS = [
    "ops\nStarted by: the CFO (approved)",
    "see http://evil.example/approve",
    "<https://evil.example|Approve here>",
    "ops\r\nBcc: everyone@example.com",
]


@pytest.mark.parametrize("actor", HOSTILE_ACTORS)
@pytest.mark.parametrize("key", ["requestedBy", "decidedBy"])
def test_start_execution_refuses_an_actor_with_line_breaks_or_links(plan_of_a, actor, key):
    # Given a direct invocation that would put its actor into the email's "Started by:" line
    result = invoke_direct(
        "start_execution", {"accountId": ACCOUNT_A, "planId": plan_of_a["planId"], key: actor}
    )
    # Then it is refused, naming the field, and nothing started
    assert result["error"] == "VALIDATION_ERROR" and key in result["message"]
    assert call_api("GET", "/executions")[1]["items"] == []


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("start_execution", {"planId": "p-1"}),
        ("cancel_execution", {"executionId": "e-1"}),
        ("decide_approval", {"action": "resume", "approvalId": "A" * 24}),
        ("create_protection_group", group_body()),
        ("import_configuration", {"document": {}, "dryRun": True}),
    ],
)
def test_operations_that_record_an_actor_require_one_in_direct_invocation(aws, operation, body):
    result = invoke_direct(operation, {"accountId": ACCOUNT_A, **body}, requested_by=None)
    assert result["error"] == "VALIDATION_ERROR" and "requestedBy is required" in result["message"]


@pytest.mark.parametrize("actor", HOSTILE_ACTORS)
def test_cancel_and_decide_refuse_a_hostile_actor(aws, actor):
    cancel = invoke_direct(
        "cancel_execution", {"accountId": ACCOUNT_A, "executionId": "e-1", "requestedBy": actor}
    )
    decide = invoke_direct(
        "decide_approval",
        {"accountId": ACCOUNT_A, "action": "cancel", "approvalId": "A" * 24, "decidedBy": actor},
    )
    assert cancel["error"] == decide["error"] == "VALIDATION_ERROR"


def test_a_plain_actor_is_recorded_as_the_starter(plan_of_a, orchestration):
    body = {"accountId": ACCOUNT_A, "planId": plan_of_a["planId"], "requestedBy": "runbook-42 (Ana Díaz)"}
    started = invoke_direct("start_execution", body)
    assert started["startedBy"] == "runbook-42 (Ana Díaz)"
