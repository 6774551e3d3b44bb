"""Account context by invocation source (no AWS needed)."""

from __future__ import annotations

import pytest

from handlers.accounts.account_context import (
    Caller,
    caller_for_invocation,
    detect_invocation_source,
    get_invocation_metadata,
    identity_key,
    identity_keys,
    principal_key,
    validate_account_context_for_invocation,
)
from handlers.core.errors import ForbiddenError, ValidationError
from handlers.core.settings import get_settings
from tests.support.events import api_event


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch):
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_api_gateway_defaults_to_the_cognito_claim():
    context = validate_account_context_for_invocation(api_event("GET", "/x", account="123456789012"), {})
    assert context == {"accountId": "123456789012", "assumeRoleName": "", "externalId": ""}


def test_api_gateway_without_claim_or_body_account_is_forbidden():
    with pytest.raises(ForbiddenError, match="no custom:accountId claim"):
        validate_account_context_for_invocation(api_event("GET", "/x", account=None), {})


@pytest.mark.parametrize("body", [{"accountId": "111111111111"}, {"accountId": ""}, {}])
def test_an_identity_without_the_claim_never_takes_the_account_from_the_request(body):
    # Given a signed-in identity whose claims carry only an email (no custom:accountId)
    event = api_event("GET", "/x?accountId=111111111111", account=None)
    # When the request names an account, in the body or not at all
    # Then it is forbidden: the account comes from the verified claim or from nowhere
    with pytest.raises(ForbiddenError) as error:
        validate_account_context_for_invocation(event, body)
    assert error.value.status == 403 and error.value.code == "FORBIDDEN"


def test_a_claim_that_is_not_a_string_is_no_claim():
    event = api_event("GET", "/x", account=None)
    event["requestContext"]["authorizer"]["claims"]["custom:accountId"] = ["111111111111"]
    with pytest.raises(ForbiddenError):
        validate_account_context_for_invocation(event, {"accountId": "111111111111"})


def test_an_account_id_that_is_not_a_string_is_a_validation_error_not_a_crash():
    nested: list[object] = []
    for _ in range(50_000):
        nested = [nested]
    with pytest.raises(ValidationError, match="accountId must be a string"):
        validate_account_context_for_invocation({}, {"accountId": nested})


def test_api_gateway_caller_cannot_act_on_another_account():
    with pytest.raises(ValidationError, match="signed-in caller"):
        validate_account_context_for_invocation(api_event("GET", "/x"), {"accountId": "999999999999"})


def test_switching_format_validation_off_still_keeps_a_caller_to_its_own_account(fresh_settings):
    # Given format validation is switched off (for legacy ids)
    fresh_settings.setenv("ENABLE_ACCOUNT_CONTEXT_VALIDATION", "false")
    # When a signed-in caller of one account asks for another account
    # Then it is refused: the flag relaxes the id format, never account isolation
    with pytest.raises(ValidationError, match="signed-in caller"):
        validate_account_context_for_invocation(api_event("GET", "/x"), {"accountId": "999999999999"})


def test_direct_invocation_requires_account_id_and_says_why():
    with pytest.raises(ValidationError) as error:
        validate_account_context_for_invocation({"operation": "list_protection_groups"}, {})
    assert "accountId is required for direct Lambda invocation" in error.value.message
    assert "no caller identity" in error.value.message


def test_direct_invocation_may_default_to_the_functions_account_when_the_flag_is_off(fresh_settings):
    fresh_settings.setenv("REQUIRE_ACCOUNT_ID_FOR_DIRECT_INVOCATION", "false")
    context = validate_account_context_for_invocation({}, {}, default_account_id="555555555555")
    assert context["accountId"] == "555555555555"


@pytest.mark.parametrize(
    "bad", ["12345678901", "1234567890123", "12345678901a", "١٢٣٤٥٦٧٨٩٠١٢", " 123456789012"]
)
def test_account_ids_must_be_twelve_ascii_digits(bad):
    with pytest.raises(ValidationError, match="12 digits"):
        validate_account_context_for_invocation({}, {"accountId": bad})


def test_format_validation_can_be_switched_off_for_legacy_ids(fresh_settings):
    fresh_settings.setenv("ENABLE_ACCOUNT_CONTEXT_VALIDATION", "false")
    assert validate_account_context_for_invocation({}, {"accountId": "legacy"})["accountId"] == "legacy"


def test_source_detection_and_metadata():
    event = api_event("GET", "/x")
    assert detect_invocation_source(event) == "api_gateway"
    assert detect_invocation_source({"operation": "x"}) == "direct"
    metadata = get_invocation_metadata(event)
    assert metadata["request_id"] == event["requestContext"]["requestId"]
    assert metadata["api_id"] == "1234567890" and metadata["caller_identity"] == "oncall@example.com"
    assert get_invocation_metadata({"requestId": "r1"})["request_id"] == "r1"


def test_the_caller_principal_comes_from_claims_or_requested_by():
    assert (
        caller_for_invocation(api_event("GET", "/x", user="ana@example.com"), {}).principal
        == "ana@example.com"
    )
    direct = caller_for_invocation({}, {"accountId": "123456789012", "requestedBy": "runbook-42"})
    assert (direct.principal, direct.source) == ("runbook-42", "direct")


def test_decided_by_names_the_direct_caller_too():
    direct = caller_for_invocation({}, {"accountId": "123456789012", "decidedBy": "ana@example.com"})
    assert direct.principal == "ana@example.com"


def test_an_operation_that_records_an_actor_requires_one_in_direct_invocation():
    with pytest.raises(ValidationError, match="requestedBy is required"):
        caller_for_invocation({}, {"accountId": "123456789012"}, actor_required=True)


@pytest.mark.parametrize(
    "actor",
    [
        "ops\nStarted by: the CEO",
        "see http://evil.example/approve",
        "<https://evil.example|click>",
        "tab\there",
        "",
        "x" * 129,
        "right\u202eto-left",
        42,
    ],
)
def test_a_direct_actor_with_line_breaks_markup_or_links_is_refused(actor):
    with pytest.raises(ValidationError, match="requestedBy"):
        caller_for_invocation({}, {"accountId": "123456789012", "requestedBy": actor}, actor_required=True)


def _event_with(claims: dict[str, object]) -> dict[str, object]:
    event = api_event("POST", "/x")
    event["requestContext"]["authorizer"]["claims"] = {"custom:accountId": "111111111111", **claims}
    return event


@pytest.mark.parametrize("verified", ["false", False, None, "", "False "])
def test_an_unverified_email_claim_names_nobody_the_username_does(verified):
    # Given mallory's Cognito user carrying ana's address, not verified
    claims = {"cognito:username": "mallory", "email": "ana@example.com", "email_verified": verified}
    # Then she is known by her username, never by the address
    caller = caller_for_invocation(_event_with(claims), {})
    assert (caller.principal, caller.email, identity_key(caller)) == ("mallory", "", "api:mallory")


@pytest.mark.parametrize("verified", ["true", True, "True"])
def test_a_verified_email_is_the_identity_lower_cased(verified):
    claims = {"cognito:username": "ana", "email": "Ana@Example.com", "email_verified": verified}
    caller = caller_for_invocation(_event_with(claims), {})
    assert caller.principal == caller.email == "Ana@Example.com"
    assert identity_keys(caller) == ("email:ana@example.com",)


def test_one_person_has_one_key_in_slack_and_through_the_api_and_direct_names_nobody():
    slack = Caller("111111111111", "@ana", "slack", user_id="U0ANA", email="ANA@example.com")
    api = caller_for_invocation(_event_with({"email": "ana@example.com", "email_verified": "true"}), {})
    direct = caller_for_invocation({}, {"accountId": "111111111111", "decidedBy": "ana@example.com"})
    assert identity_keys(slack) == ("email:ana@example.com", "slack:U0ANA")
    assert identity_key(api) == identity_key(slack) != identity_key(direct) == "direct:ana@example.com"
    # a Cognito username shaped like an address is still a username, and no approverPrincipals email
    username = caller_for_invocation(_event_with({"cognito:username": "ana@example.com"}), {})
    assert identity_key(username) == "api:ana@example.com" != principal_key("ana@example.com")
