"""Email subjects and bodies (no AWS needed)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers.core.rendering import email_subject, render_html
from handlers.events.notifications import build_message
from handlers.models.events import EVENT_TYPES
from tests.support.sns import sample_event


@given(st.text())
def test_subjects_are_ascii_single_line_and_short(text):
    subject = email_subject(text)
    assert subject.isascii() and "\n" not in subject and "\r" not in subject
    assert 0 < len(subject) <= 100


def test_subject_names_the_plan_and_mode():
    assert sample_event(planName="Payments", isDrill=False).subject == "[DRS] RECOVERY started: Payments"
    assert sample_event(eventType="pause", planName="Café ☕", waveNumber=2).subject.startswith(
        "[DRS] Approval needed: Cafe"
    )


def test_every_event_type_renders_a_plain_text_email():
    fields = {
        "planName": "<b>P</b>",
        "waveNumber": 2,
        "requestedAt": "t",
        "expiresAt": "t",
        "resumeUrl": "https://x/r",
        "cancelUrl": "https://x/c",
        "decidedBy": "bo",
        "decidedVia": "slack",
        "decidedAt": "t",
        "endTime": "t",
        "reason": "r",
        "message": "m",
    }
    for event_type in EVENT_TYPES:
        message = build_message(sample_event(eventType=event_type, **fields))
        assert "<b>P</b>" in message["email"]  # plain text: shown verbatim, not escaped
        assert message["default"] == message["email"]


def test_html_pages_are_autoescaped():
    html = render_html("pages/error.html.j2", title="<script>x</script>", message="a & b")
    assert "<script>x" not in html and "&lt;script&gt;" in html and "a &amp; b" in html
