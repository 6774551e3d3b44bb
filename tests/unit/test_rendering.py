"""Email subjects and bodies (no AWS needed)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers.notifications import build_message, subject_for
from handlers.rendering import email_subject, render_html


@given(st.text())
def test_subjects_are_ascii_single_line_and_short(text):
    subject = email_subject(text)
    assert subject.isascii() and "\n" not in subject and "\r" not in subject
    assert 0 < len(subject) <= 100


def test_subject_names_the_plan_and_mode():
    assert (
        subject_for("start", {"planName": "Payments", "isDrill": False}) == "[DRS] RECOVERY started: Payments"
    )
    assert subject_for("pause", {"planName": "Café ☕", "waveNumber": 2}).startswith(
        "[DRS] Approval needed: Cafe"
    )


def test_every_event_type_renders_a_plain_text_email():
    details = {
        "planName": "<b>P</b>",
        "planId": "p",
        "executionId": "e",
        "accountId": "111111111111",
        "isDrill": True,
        "startedBy": "ana",
        "waveCount": 2,
        "waveNumber": 2,
        "protectionGroupName": "DB",
        "requestedAt": "t",
        "expiresAt": "t",
        "resumeUrl": "https://x/r",
        "cancelUrl": "https://x/c",
        "decidedBy": "bo",
        "decidedVia": "slack",
        "decidedAt": "t",
        "endTime": "t",
        "summary": "Waves:",
        "reason": "r",
        "launched": 1,
        "total": 2,
        "message": "m",
    }
    for event in (
        "start",
        "pause",
        "resume",
        "cancel",
        "wave_complete",
        "wave_fail",
        "complete",
        "fail",
        "timeout",
    ):
        message = build_message(event, details)
        assert "<b>P</b>" in message["email"]  # plain text: shown verbatim, not escaped
        assert message["default"] == message["email"]


def test_html_pages_are_autoescaped():
    html = render_html("pages/error.html.j2", title="<script>x</script>", message="a & b")
    assert "<script>x" not in html and "&lt;script&gt;" in html and "a &amp; b" in html
