"""Properties of the seed design (section 7), checked with hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.accounts.account_context import (
    detect_invocation_source,
    validate_account_context_for_invocation,
)
from handlers.core.errors import ForbiddenError, ValidationError
from handlers.models.fields import actor_problem, is_valid_account_id, is_valid_email
from tests.support.data import group_body, plan_body
from tests.support.events import call_api

ACCOUNTS = st.sampled_from(["111111111111", "222222222222", "333333333333"])
with_moto = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@given(st.one_of(st.text(), st.from_regex(r"\A[0-9]{12}\Z"), st.integers(), st.none()))
def test_account_id_is_valid_iff_twelve_ascii_digits(value):
    expected = isinstance(value, str) and len(value) == 12 and all(c in "0123456789" for c in value)
    assert is_valid_account_id(value) == expected


@given(st.dictionaries(st.text(max_size=20), st.text(max_size=5), max_size=5), st.booleans())
def test_invocation_source_is_api_gateway_iff_request_context_present(event, with_context):
    if with_context:
        event["requestContext"] = {}
    else:
        event.pop("requestContext", None)
    assert detect_invocation_source(event) == ("api_gateway" if with_context else "direct")


@given(st.dictionaries(st.sampled_from(["accountId", "groupName", "x"]), st.from_regex(r"\A[0-9]{12}\Z")))
def test_direct_invocation_requires_account_id(body):
    if "accountId" not in body:
        with pytest.raises(ValidationError, match="accountId is required"):
            validate_account_context_for_invocation({"operation": "x", "body": body}, body)
    else:
        assert validate_account_context_for_invocation({}, body)["accountId"] == body["accountId"]


@given(
    claims=st.dictionaries(st.sampled_from(["email", "sub", "cognito:username", "custom:other"]), st.text()),
    requested=st.one_of(st.none(), st.from_regex(r"\A[0-9]{12}\Z"), st.text()),
)
def test_an_identity_without_the_account_claim_reaches_no_account(claims, requested):
    # Given any API Gateway identity whose claims lack custom:accountId, naming any account or none
    event = {"requestContext": {"authorizer": {"claims": claims}}}
    body = {} if requested is None else {"accountId": requested}
    # Then the request is forbidden: the account never comes from the request
    with pytest.raises(ForbiddenError):
        validate_account_context_for_invocation(event, body)


@given(st.text(max_size=200))
def test_an_actor_is_plain_printable_text_without_markup_or_links(value):
    if actor_problem(value) is None:
        assert 1 <= len(value) <= 128 and value.isprintable()
        assert "<" not in value and ">" not in value and "://" not in value


@given(st.one_of(st.text(), st.emails()))
def test_a_valid_email_has_one_at_a_dotted_domain_and_no_spaces(email):
    if is_valid_email(email):
        local, domain = email.split("@")
        assert local and "." in domain and " " not in email and len(email) <= 254
        assert not any(ord(c) < 32 or ord(c) == 127 for c in email)


@given(st.emails())
def test_ordinary_addresses_are_accepted(email):
    if len(email) <= 254 and len(email.split("@")[0]) <= 64 and ".." not in email.split("@")[0]:
        assert is_valid_email(email)


@with_moto
@given(group_accounts=st.lists(ACCOUNTS, min_size=1, max_size=4), plan_account=ACCOUNTS)
def test_a_plan_is_stored_only_if_all_its_groups_are_in_its_account(aws, group_accounts, plan_account):
    groups = [
        call_api("POST", "/protection-groups", group_body(f"G{i}"), account=a)[1]["groupId"]
        for i, a in enumerate(group_accounts)
    ]
    status, plan = call_api("POST", "/recovery-plans", plan_body(groups), account=plan_account)
    assert (status == 201) == all(a == plan_account for a in group_accounts)
    if status == 201:
        assert plan["accountId"] == plan_account


@with_moto
@given(emails=st.lists(st.emails().filter(is_valid_email), min_size=1, max_size=3))
def test_subscribe_then_delete_leaves_no_subscription(aws, emails):
    sns = aws.client("sns")
    _, group = call_api("POST", "/protection-groups", group_body())
    _, plan = call_api("POST", "/recovery-plans", plan_body([group["groupId"]], notificationEmail=emails[0]))
    for email in emails[1:]:
        call_api("PUT", f"/recovery-plans/{plan['planId']}", {"notificationEmail": email})
    call_api("DELETE", f"/recovery-plans/{plan['planId']}")
    call_api("DELETE", f"/protection-groups/{group['groupId']}")
    assert sns.list_subscriptions_by_topic(TopicArn=aws.topic_arn)["Subscriptions"] == []
