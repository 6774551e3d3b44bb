"""The Slack reason form's field is multi-line; a reason is one line on every channel. A reason
typed over several lines is joined with spaces (Slack input only: bot/payloads.py ``one_line``) and
recorded so; a format character (U+202E) is a field error in the form, and nothing is decided."""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from tests.support.data import ONE_APPROVER, group_body, plan_body
from tests.support.events import call_api
from tests.support.orchestration import wait_until
from tests.support.slack_requests import APPROVER, CHANNEL


def _status(execution_id: str) -> dict[str, Any]:
    return dict(call_api("GET", f"/executions/{execution_id}")[1])


def _resume_form(orchestration: Any, bot: Any) -> tuple[str, dict[str, Any]]:
    """A Slack-connected drill (one approver) paused before wave 2; the form its Resume opens."""
    groups = [call_api("POST", "/protection-groups", group_body(f"Tier {n}"))[1]["groupId"] for n in (1, 2)]
    body = plan_body(groups, slackChannelId=CHANNEL, approvers=[APPROVER], approvalQuorum=ONE_APPROVER)
    status, plan = call_api("POST", "/recovery-plans", body)
    assert status == 201, plan
    execution_id = call_api("POST", "/executions", {"planId": plan["planId"]})[1]["executionId"]
    wait_until(lambda: _status(execution_id)["status"] == "PAUSED", timeout=30)
    orchestration.wait_for_event("pause")
    bot.pump()

    def resume_button() -> tuple[str, str] | None:
        for message in bot.fake.messages.values():
            for block in (b for b in message.get("blocks") or [] if b["type"] == "actions"):
                for element in block["elements"]:
                    if element["action_id"] == ids.APPROVAL_RESUME:
                        return str(message["ts"]), str(element["value"])
        return None

    found = resume_button()
    assert found, bot.fake.messages
    ts, value = found
    bot.click(ids.APPROVAL_RESUME, value, user=APPROVER, user_name="alice", message_ts=ts)
    return execution_id, bot.opened_form()


def test_a_reason_typed_over_two_lines_in_slack_is_joined_with_a_space(orchestration, bot):
    # Given the reason form of a paused drill
    execution_id, view = _resume_form(orchestration, bot)
    # When the approver types the reason over two lines (and a blank one) and submits
    response = bot.submit_form(view, "db verified\r\n\r\n  CHG-1042 approved  ", user=APPROVER)
    # Then the form closes, the drill resumes, and the reason is recorded as one line
    assert response["statusCode"] == 200 and "errors" not in (response["body"] or ""), response
    done = wait_until(lambda: _status(execution_id) if _status(execution_id)["decisions"] else None)
    assert done["decisions"][0]["reason"] == "db verified CHG-1042 approved"


def test_a_reason_with_a_format_character_is_a_field_error_in_the_form(orchestration, bot):
    execution_id, view = _resume_form(orchestration, bot)
    response = bot.submit_form(view, "approved by \u202egnikaerb", user=APPROVER)
    body = json.loads(response["body"] or "{}")
    assert body.get("response_action") == "errors", body
    assert "invisible format characters" in body["errors"][ids.BLOCK_REASON]
    assert _status(execution_id)["status"] == "PAUSED" and _status(execution_id)["decisions"] == []
