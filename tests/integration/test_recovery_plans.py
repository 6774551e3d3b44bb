"""Recovery Plans and their email subscriptions, on moto."""

from __future__ import annotations

import json

import pytest

from handlers.aws.subscriptions import filter_policy, recipient_id
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.support.data import group_body, plan_body
from tests.support.events import call_api


@pytest.fixture
def groups(aws):
    return [call_api("POST", "/protection-groups", group_body(f"Tier {i}"))[1]["groupId"] for i in range(3)]


def _subscriptions(aws):
    return aws.client("sns").list_subscriptions_by_topic(TopicArn=aws.topic_arn)["Subscriptions"]


def test_create_stores_waves_with_group_names(groups):
    status, plan = call_api("POST", "/recovery-plans", plan_body(groups))
    assert status == 201
    assert [w["protectionGroupName"] for w in plan["waves"]] == ["Tier 0", "Tier 1", "Tier 2"]
    assert [w["pauseBeforeExecution"] for w in plan["waves"]] == [False, True, False]
    assert plan["accountId"] == ACCOUNT_A and plan["subscriptionStatus"] == "none"


def test_a_group_from_another_account_is_refused_like_a_group_that_does_not_exist(groups):
    # Given a group of another account
    _, foreign = call_api("POST", "/protection-groups", group_body("Foreign"), account=ACCOUNT_B)
    # When a plan names it, and another plan names a group that exists nowhere
    status, error = call_api("POST", "/recovery-plans", plan_body([groups[0], foreign["groupId"]]))
    _, missing = call_api("POST", "/recovery-plans", plan_body([groups[0], "no-such-group"]))
    # Then both are refused alike: nothing confirms the foreign group, its name or its account
    assert status == 400
    assert error["message"] == missing["message"].replace("no-such-group", foreign["groupId"])
    assert ACCOUNT_B not in error["message"] and "Foreign" not in error["message"]


def test_wave_numbers_must_run_from_one_without_gaps(groups):
    body = plan_body(groups)
    body["waves"][2]["waveNumber"] = 5
    status, error = call_api("POST", "/recovery-plans", body)
    assert status == 400 and "waves" in error["message"]


def test_a_plan_needs_at_least_one_wave(groups):
    status, error = call_api("POST", "/recovery-plans", {"planName": "Empty", "waves": []})
    assert status == 400 and "waves" in error["message"]


def test_an_unknown_group_is_refused(groups):
    status, error = call_api("POST", "/recovery-plans", plan_body(["no-such-group"]))
    assert status == 400 and "no-such-group" in error["message"]


def test_create_with_email_subscribes_the_address_with_its_recipient_filter(aws, groups):
    status, plan = call_api("POST", "/recovery-plans", plan_body(groups, notificationEmail="dr@example.com"))
    assert status == 201
    assert plan["subscriptionStatus"] in {"pending_confirmation", "confirmed"}
    [subscription] = _subscriptions(aws)
    assert subscription["Endpoint"] == "dr@example.com"
    assert subscription["SubscriptionArn"] == plan["snsSubscriptionArn"]
    attributes = aws.client("sns").get_subscription_attributes(SubscriptionArn=plan["snsSubscriptionArn"])
    assert json.loads(attributes["Attributes"]["FilterPolicy"]) == filter_policy(
        recipient_id("dr@example.com")
    )
    assert attributes["Attributes"]["FilterPolicyScope"] == "MessageAttributes"


def test_changing_the_email_moves_the_subscription(aws, groups):
    _, plan = call_api("POST", "/recovery-plans", plan_body(groups, notificationEmail="old@example.com"))
    status, updated = call_api(
        "PUT", f"/recovery-plans/{plan['planId']}", {"notificationEmail": "new@example.com"}
    )
    assert status == 200
    assert [s["Endpoint"] for s in _subscriptions(aws)] == ["new@example.com"]
    assert updated["snsSubscriptionArn"] != plan["snsSubscriptionArn"]


def test_clearing_the_email_unsubscribes(aws, groups):
    _, plan = call_api("POST", "/recovery-plans", plan_body(groups, notificationEmail="old@example.com"))
    _, updated = call_api("PUT", f"/recovery-plans/{plan['planId']}", {"notificationEmail": ""})
    assert _subscriptions(aws) == []
    assert (updated["subscriptionStatus"], updated["snsSubscriptionArn"]) == ("none", "")


def test_deleting_the_plan_unsubscribes(aws, groups):
    _, plan = call_api("POST", "/recovery-plans", plan_body(groups, notificationEmail="dr@example.com"))
    status, result = call_api("DELETE", f"/recovery-plans/{plan['planId']}")
    assert status == 200 and result["subscriptionStatus"] == "none"
    assert _subscriptions(aws) == []
    assert call_api("GET", f"/recovery-plans/{plan['planId']}")[0] == 404


def test_a_subscription_failure_does_not_fail_the_plan(aws, groups, monkeypatch):
    monkeypatch.setenv("EXECUTION_NOTIFICATIONS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:missing")
    from tests.conftest import reset_caches

    reset_caches()
    status, plan = call_api("POST", "/recovery-plans", plan_body(groups, notificationEmail="dr@example.com"))
    assert status == 201
    assert plan["subscriptionStatus"] == "failed" and plan["subscriptionStatusReason"]
    assert call_api("GET", f"/recovery-plans/{plan['planId']}")[1]["subscriptionStatus"] == "failed"


def test_an_invalid_email_is_a_validation_error(groups):
    status, error = call_api("POST", "/recovery-plans", plan_body(groups, notificationEmail="not an email"))
    assert status == 400 and "notificationEmail" in error["message"]


def test_plan_update_is_optimistically_locked(groups):
    _, plan = call_api("POST", "/recovery-plans", plan_body(groups))
    path = f"/recovery-plans/{plan['planId']}"
    assert call_api("PUT", path, {"description": "first", "version": 1})[0] == 200
    status, error = call_api("PUT", path, {"description": "second", "version": 1})
    assert status == 409 and "version" in error["message"]


def test_another_accounts_plan_is_not_found(groups):
    _, plan = call_api("POST", "/recovery-plans", plan_body(groups))
    assert call_api("GET", f"/recovery-plans/{plan['planId']}", account=ACCOUNT_B)[0] == 404
    assert call_api("GET", "/recovery-plans", account=ACCOUNT_B)[1]["items"] == []
