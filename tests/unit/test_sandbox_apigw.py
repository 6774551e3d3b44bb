"""The sandbox's stand-in for the Cognito authorizer: X-Sandbox-Account is the account claim, and a
request without it is an identity with no account claim (which the API refuses with a 403)."""

from __future__ import annotations

from sandbox.data import apigw


def _claims(headers: dict[str, str]) -> dict[str, str]:
    event = apigw.proxy_event(
        "GET", "/protection-groups", headers, b"", stage="s", default_account="111111111111"
    )
    return dict(event["requestContext"]["authorizer"]["claims"])


def test_the_account_header_becomes_the_account_claim():
    assert _claims({"X-Sandbox-Account": "222222222222"})["custom:accountId"] == "222222222222"


def test_header_names_are_case_insensitive_as_in_http():
    # urllib sends "X-sandbox-account"; browsers may send it in lower case
    assert _claims({"x-sandbox-account": "222222222222"})["custom:accountId"] == "222222222222"
    assert _claims({"X-sandbox-user": "ana@example.com"})["email"] == "ana@example.com"


def test_without_the_account_header_the_identity_has_no_account_claim():
    # Given a request that sends no X-Sandbox-Account
    claims = _claims({"X-Sandbox-User": "mallory@example.com"})
    # Then it stands for a signed-in user without the claim: no default account is filled in
    assert "custom:accountId" not in claims and claims["email"] == "mallory@example.com"


def test_the_api_answers_a_request_without_the_header_with_403():
    from handlers.api import lambda_handler
    from tests.support.events import LambdaContext

    event = apigw.proxy_event(
        "GET", "/protection-groups?accountId=111111111111", {}, b"", stage="s", default_account="111111111111"
    )
    response = lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 403 and "FORBIDDEN" in response["body"]


def test_a_user_given_as_an_email_is_a_verified_email_and_a_name_is_a_username():
    # One sandbox person in Slack and through the API: the address Slack reports is verified here
    assert _claims({"X-Sandbox-User": "approver@sandbox.example.com"})["email_verified"] == "true"
    named = _claims({"X-Sandbox-User": "mallory"})
    assert named["cognito:username"] == "mallory" and "email" not in named
