"""The emulator keeps SNS's promises the product designs around (sandbox/emulators/emulator_guarantees.py):
one subscription per (topic, protocol, endpoint), and String/String.Array filter matching."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.support.mailboxes import received, tap


def _subscribe(aws, policy):
    return aws.client("sns").subscribe(
        TopicArn=aws.topic_arn,
        Protocol="email",
        Endpoint="dr@example.com",
        Attributes={"FilterPolicy": json.dumps(policy), "FilterPolicyScope": "MessageAttributes"},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]


def test_subscribing_an_endpoint_again_with_other_attributes_is_refused(aws):
    # Given an email subscription with a filter policy
    arn = _subscribe(aws, {"recipients": ["a"]})
    # When the same endpoint is subscribed with another policy, Then SNS refuses, keeping the first
    with pytest.raises(ClientError, match="already exists with different attributes"):
        _subscribe(aws, {"recipients": ["b"]})
    attributes = aws.client("sns").get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert json.loads(attributes["FilterPolicy"]) == {"recipients": ["a"]}
    # And subscribing it again with the same attributes returns the same subscription
    assert _subscribe(aws, {"recipients": ["a"]}) == arn


def _publish(aws, name, data_type, value):
    aws.client("sns").publish(
        TopicArn=aws.topic_arn,
        Subject=f"x: {name}",
        Message="m",
        MessageAttributes={
            "recoveryPlanId": {"DataType": "String", "StringValue": name},
            "recipients": {"DataType": data_type, "StringValue": value},
        },
    )


def test_a_string_rule_matches_a_string_exactly_and_a_string_array_by_element(aws):
    # Given a subscriber filtering on recipients = "ab"
    url = tap(aws, {"recipients": ["ab"]})
    # When messages carry "ab" in various shapes
    _publish(aws, "string-equal", "String", "ab")
    _publish(aws, "array-element", "String.Array", '["zz", "ab"]')
    _publish(aws, "string-holding-json", "String", '["ab"]')
    _publish(aws, "array-substring", "String.Array", '["abc"]')
    _publish(aws, "array-not-a-list", "String.Array", '"ab"')
    # Then only an equal String and an element of a String.Array match, as in SNS
    assert {name for name, _ in received(aws, url)} == {"string-equal", "array-element"}
