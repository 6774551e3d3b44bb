"""Every execution event type is shown everywhere: adding one to ``EventType`` fails here until it
has an email subject, an email template and a Slack line."""

from __future__ import annotations

import pytest

from bot.blocks.events import LINES, event_line
from handlers.core.rendering import templates_dir
from handlers.events.notifications import build_message
from handlers.models.events import EVENT_TYPES, SUBJECTS
from tests.support.sns import sample_event


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_event_type_has_a_subject_an_email_and_a_slack_line(event_type: str) -> None:
    # Given one event of each type
    event = sample_event(eventType=event_type, waveNumber=1)
    # Then it has its subject, its email template and its entry in the Slack lines
    assert event_type in SUBJECTS, f"add the subject of {event_type!r} to handlers/models/events.SUBJECTS"
    template = templates_dir() / "email" / f"{event_type}.txt.j2"
    assert template.exists(), f"add {template.relative_to(templates_dir().parent)}"
    assert event_type in LINES, f"add the Slack line of {event_type!r} to bot/blocks/events.LINES"
    # and each renders
    assert event.subject.startswith("[DRS] ") and "Payments" in event.subject
    assert "Payments" in build_message(event)["email"]
    event_line(event)


def test_no_subject_template_or_slack_line_names_an_unknown_event_type() -> None:
    templates = {p.name.removesuffix(".txt.j2") for p in (templates_dir() / "email").glob("[!_]*.txt.j2")}
    assert set(SUBJECTS) == set(LINES) == templates == set(EVENT_TYPES)


def test_derived_values_come_from_the_event_once() -> None:
    # Given a completed first wave (1 of 2 servers launched) of a real recovery
    event = sample_event(eventType="wave_complete", waveNumber=1, isDrill=False)
    # Then its launched/total, group, label and subject are derived from its waves and mode
    assert (event.launched, event.total, event.mode) == (1, 2, "RECOVERY")
    assert event.protectionGroupName == "DB"
    assert event.subject == "[DRS] Wave 1 completed: Payments"
    assert event_line(event) == "✅ Wave 1 (DB) completed: 1/2 servers launched"


@pytest.mark.parametrize(
    ("event_type", "approve_with"),
    [
        ("pause", "/resume"),
        ("wave_failed_pause", "/retry or /skip"),
        ("hook_failed_pause", "/retry or /skip"),
    ],
)
def test_a_pause_email_at_quorum_two_says_its_links_can_only_cancel(
    event_type: str, approve_with: str
) -> None:
    # Given a pause of each kind that needs two approvals, and the same at quorum 1
    def email(quorum: int) -> str:
        event = sample_event(eventType=event_type, waveNumber=1, quorum=quorum, executionId="e-42")
        return str(build_message(event)["email"])

    # Then only the quorum-2 email says how many approve and that its links can only cancel there
    assert "This pause needs 2 approvals" in email(2)
    assert "its page can only cancel" in email(2)
    assert f"POST /executions/e-42{approve_with})" in email(2)
    assert "can only cancel" not in email(1) and "approvals from" not in email(1)
