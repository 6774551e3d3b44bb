"""One ExecutionEvent from publisher to notifier: what the core publishes to SNS is what the Slack
notifier reads back (Powertools' ``SnsEnvelope``), with the subject and message attributes the
email subscriptions and taps filter on; a record that carries no execution event is skipped."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest

from handlers.events.notifications import publish_recovery_plan_notification
from tests.conftest import ACCOUNT_A
from tests.support.sns import delivered, pause_event, sns_event, sns_record


@pytest.fixture
def publishes(aws: Any) -> Any:
    """Every SNS ``Publish`` request the product makes, as sent."""
    sent: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        sent.append(dict(params))

    session = boto3.DEFAULT_SESSION or boto3.setup_default_session() or boto3.DEFAULT_SESSION
    session.events.register("provide-client-params.sns.Publish", capture)
    yield sent
    session.events.unregister("provide-client-params.sns.Publish", capture)


def test_the_notifier_reads_back_the_event_the_publisher_sent(publishes: list[dict[str, Any]]) -> None:
    from bot.notifier import execution_events

    # Given a pause event
    event = pause_event(ACCOUNT_A)
    # When it is published, and SNS delivers it to the notifier's Lambda subscription
    assert publish_recovery_plan_notification(event, recipients=["r-1"])
    (request,) = publishes
    parsed = execution_events({"Records": [delivered(request)]})
    # Then the notifier has the same event, its derived values included
    assert parsed == [event]
    assert (parsed[0].protectionGroupName, parsed[0].launched, parsed[0].total) == ("App", 0, 0)


def test_the_published_message_keeps_its_subject_attributes_and_fields(
    publishes: list[dict[str, Any]],
) -> None:
    # Given a published pause event
    assert publish_recovery_plan_notification(pause_event(ACCOUNT_A), recipients=["r-1"])
    (request,) = publishes
    # Then the subject and message attributes are the ones subscriptions filter on
    assert request["Subject"] == "[DRS] Approval needed: Payments paused before wave 2"
    attributes = request["MessageAttributes"]
    assert set(attributes) == {"recoveryPlanId", "eventType", "accountId", "recipients"}
    assert attributes["eventType"] == {"DataType": "String", "StringValue": "pause"}
    assert attributes["recipients"] == {"DataType": "String.Array", "StringValue": '["r-1"]'}
    # and the Lambda message still carries every field consumers of the old details read
    message = json.loads(json.loads(request["Message"])["lambda"])
    for field in ("eventType", "executionId", "planId", "accountId", "waveCount", "summary", "launched"):
        assert field in message
    assert message["waves"][0] == {
        "waveNumber": 1,
        "protectionGroupName": "DB",
        "status": "COMPLETED",
        "pauseBeforeExecution": False,
        "launched": 1,
        "total": 2,
        "retries": 0,  # how often a failed wave was retried (added with the wave_failed pause)
        "failedHook": "",  # the hook whose failure is being decided, if any (docs/hooks.md)
    }


def test_a_malformed_record_is_logged_and_skipped_and_the_rest_are_read(caplog: Any) -> None:
    from bot.notifier import execution_events

    # Given a batch with records that carry no execution event around one that does
    good = pause_event(ACCOUNT_A).model_dump_json()
    no_account = json.dumps({**json.loads(good), "accountId": ""})
    unknown_type = json.dumps({**json.loads(good), "eventType": "exploded"})
    not_sns = {"Sns": {"Message": good}}  # no envelope fields: not a record SNS delivers
    records = [sns_record("not json"), sns_record(no_account), sns_record(unknown_type), not_sns, {}, "x"]
    # When the notifier reads it
    with caplog.at_level(logging.WARNING):
        parsed = execution_events({"Records": [*records, sns_record(good)]})
    # Then only the execution event is read, and each other record is logged as skipped
    assert [e.eventType for e in parsed] == ["pause"]
    assert sum("not an execution event; skipped" in r.getMessage() for r in caplog.records) == len(records)


def test_a_batch_of_bad_records_notifies_nothing_and_raises_nothing(aws: Any) -> None:
    from bot.notifier import lambda_handler

    # Given an SNS event whose records carry no execution event, and events that are not SNS at all
    for event in (sns_event("not json", json.dumps({"eventType": "start"})), {"Records": "x"}, {}):
        # When the notifier handles it, Then nothing is notified and nothing raises
        assert lambda_handler(event, None) == {"notified": 0}


def test_the_sandbox_delivers_an_event_the_notifier_reads() -> None:
    from types import SimpleNamespace

    from bot.notifier import execution_events
    from handlers.events.notifications import build_message
    from sandbox.runtime.sns_delivery import Outbox, SnsDelivery

    # Given the sandbox's SNS delivery to a Lambda subscription
    delivery = SnsDelivery(Outbox("http://127.0.0.1:4566"), None)  # type: ignore[arg-type]
    subscription = SimpleNamespace(topic_arn="arn:aws:sns:us-east-1:1:t", arn="arn:aws:sns:us-east-1:1:t:s")
    event = pause_event(ACCOUNT_A)
    attributes = {"eventType": {"Type": "String", "Value": "pause"}}
    # When it hands the function the event's Lambda message
    lambda_event = delivery._lambda_event(
        subscription, build_message(event)["lambda"], "m-1", None, attributes
    )
    # Then the notifier reads the same event
    assert execution_events(lambda_event) == [event]
