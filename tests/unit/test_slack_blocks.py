"""Block Kit builders: escaping, Slack's limits, pagination."""

from __future__ import annotations

from bot import ids
from bot.blocks.common import BLOCK_LIMIT, Reply, escape, paginate, section
from bot.blocks.events import event_line, pause_outcome
from bot.blocks.executions import (
    Pause,
    decided_blocks,
    decision_line,
    parse_pause_value,
    pause_blocks,
    status_blocks,
)
from tests.support.sns import sample_event


def test_escape_neutralises_mentions_and_entities():
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_user_text_goes_into_plain_text_verbatim_and_clipped():
    block = section("<!here> *x* " + "y" * 5000).to_dict()
    assert block["text"]["type"] == "plain_text" and block["text"]["text"].startswith("<!here> *x* ")
    assert len(block["text"]["text"]) == 3000


def test_replies_keep_to_fifty_blocks_and_escape_the_fallback_text():
    payload = Reply("<!channel>", [section(str(i)) for i in range(80)]).payload()
    assert len(payload["blocks"]) == BLOCK_LIMIT and "31 more not shown" in str(payload["blocks"][-1])
    assert payload["text"] == "&lt;!channel&gt;" and payload["response_type"] == "ephemeral"


def test_pagination_says_how_many_are_shown():
    page = paginate(list(range(143)), 1)
    assert (
        len(page.items) == 20
        and page.footer("/dr plans") == "showing 20 of 143 (page 1 of 8; next: /dr plans 2)"
    )
    assert paginate(list(range(143)), 99).footer("/dr plans") == "showing 3 of 143 (page 8 of 8)"


def test_pause_buttons_carry_the_execution_and_wave_and_cancel_is_confirmed():
    execution_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
    blocks = [b.to_dict() for b in pause_blocks(Pause("P", 2, "DB", "2030-01-01T14:02:00Z"), execution_id)]
    resume, cancel = blocks[-1]["elements"]
    assert (resume["action_id"], resume["value"]) == (ids.APPROVAL_RESUME, f"{execution_id}:2")
    assert parse_pause_value(resume["value"]) == (execution_id, 2)
    assert cancel["action_id"] == ids.APPROVAL_CANCEL and cancel["confirm"]["style"] == "danger"
    assert "14:02 UTC" in str(blocks)


def test_a_pause_button_value_that_names_no_wave_is_refused():
    for value in ("", "a" * 43, "abc:", ":2", "abc:two", "x" * 300 + ":2"):
        assert parse_pause_value(value) is None


def test_decided_pause_has_no_buttons_and_says_who_and_when():
    line = decision_line("resume", "@alice", "slack", "2030-01-01T14:02:09.5Z")
    assert line == "Resumed by @alice via slack at 14:02 UTC"
    blocks = [b.to_dict() for b in decided_blocks(Pause("P", 2, "DB"), line)]
    assert all(b["type"] != "actions" for b in blocks)
    assert decision_line("cancel", "dr@example.com", "email", "x", already=True).startswith(
        "Already cancelled"
    )


def test_status_shows_an_emoji_and_progress_per_wave():
    execution = sample_event(
        planName="P",
        waves=[
            {"waveNumber": 1, "protectionGroupName": "DB", "status": "COMPLETED", "launched": 2, "total": 2},
            {"waveNumber": 2, "protectionGroupName": "App", "status": "RUNNING", "launched": 1, "total": 3},
        ],
    )
    text = str([b.to_dict() for b in status_blocks(execution)])
    assert "✅ Wave 1: DB · 2/2 servers launched" in text and "🔄 Wave 2: App · 1/3 servers launched" in text


def test_event_lines_and_pause_outcomes():
    assert event_line(sample_event()) is None
    failed = sample_event(eventType="wave_fail", waveNumber=3, protectionGroupName="Web", message="boom")
    assert "Wave 3 (Web) failed: boom" in (event_line(failed) or "")
    assert "expired" in (pause_outcome(sample_event(eventType="timeout")) or "")
    assert pause_outcome(sample_event(eventType="wave_complete")) is None


def test_an_unanswered_pause_names_who_was_asked_and_who_approved():
    from bot.blocks.events import asked_line
    from handlers.models.execution import Vote

    vote = Vote(action="resume", by="alice", via="slack", at="2026-11-27T00:02:49Z", reason="ok")
    timed_out = sample_event(
        eventType="timeout",
        waveNumber=2,
        askedApprovers=["U0BOB", "S0OPS"],
        askedPrincipals=["<!channel>@example.com"],
        quorum=2,
        votes=[vote],
    )
    assert asked_line(timed_out) == (
        "Asked: <@U0BOB>, <!subteam^S0OPS>, &lt;!channel&gt;@example.com · 1 of 2 approvals: alice"
    )
    assert (
        asked_line(sample_event(eventType="timeout")) == "Asked: any operator (the plan names no approvers)"
    )
    assert asked_line(sample_event(eventType="complete")) == ""


def test_a_pause_deadline_shows_its_date_not_only_the_time():
    from bot.blocks.executions import date_and_clock

    assert date_and_clock("2026-11-27T00:02:49Z") == "2026-11-27 00:02 UTC"
