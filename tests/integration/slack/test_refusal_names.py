"""A refusal shown where Slack renders text as it is (a modal's field errors) names people by name,
never as a ``<@U…>`` id (bot/names.py): the plan create modal and the plan approvers form, with
names from ``users.info`` / ``usergroups.list``, and "a Slack user" when Slack names nobody."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot import ids, names
from tests.support.slack_requests import APPROVER, OPERATOR, VIEWER

# What the workspace calls its people and groups (the fake Slack reports ids and emails only).
DISPLAY = {OPERATOR: "Olga Operator", "U0SECONDOP": "Sam Second", APPROVER: "Ann Approver"}
HANDLES = {"S0APPROVERS": "dr-approvers"}


@pytest.fixture
def named_workspace(bot: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The bot's fake Slack, answering users.info with display names and usergroups.list with handles."""
    answer = bot.fake.slack.web_api

    def web_api(method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "users.info" and args.get("user") in DISPLAY:
            user = args["user"]
            return {"ok": True, "user": {"id": user, "name": "x", "profile": {"display_name": DISPLAY[user]}}}
        if method == "usergroups.list":
            return {"ok": True, "usergroups": [{"id": g, "handle": h, "name": h} for g, h in HANDLES.items()]}
        return dict(answer(method, args))

    monkeypatch.setattr(bot.fake.slack, "web_api", web_api)
    names.clear_cache()
    yield bot
    names.clear_cache()


def errors_of(response: dict[str, Any]) -> dict[str, str]:
    body = json.loads(response["body"] or "{}")
    assert body.get("response_action") == "errors", body
    return dict(body["errors"])


def test_a_viewer_submitting_the_plan_create_modal_reads_the_operators_names(named_workspace: Any) -> None:
    # When a viewer submits the plan create modal
    errors = errors_of(named_workspace.submit({}, user=VIEWER))
    # Then the field error names the operators as people, not as ids Slack would show raw
    error = errors[ids.BLOCK_PLAN_NAME]
    assert error.startswith("Only operators may create plans: @Olga Operator, @Sam Second"), error
    assert "<@" not in error and OPERATOR not in error


def test_the_approvers_form_names_the_people_and_group_its_policy_names(named_workspace: Any) -> None:
    from sandbox.data.slack_requests import view_submission
    from tests.integration.slack.test_commands import make_plan
    from tests.support.data import ONE_APPROVER

    # Given a plan decided by APPROVER and a user group
    plan = make_plan(approvers=[APPROVER, "S0APPROVERS"], approvalQuorum=ONE_APPROVER)
    named_workspace.command(f"plan {plan['planName']} approvers")
    view = named_workspace.opened_form()
    # When an operator it does not name tries to name himself
    values = {
        ids.BLOCK_APPROVERS: {
            ids.ELEMENT: {"type": "multi_users_select", "selected_users": [OPERATOR, "U0SECONDOP"]}
        },
        ids.BLOCK_APPROVER_GROUPS: {ids.ELEMENT: {"type": "plain_text_input", "value": None}},
    }
    body = view_submission(user_id=OPERATOR, user_name="oncall", view=view, values=values)
    errors = errors_of(named_workspace.send(body))
    error = errors.get(ids.BLOCK_APPROVERS, str(errors))
    # Then the refusal says who may by name and handle
    assert "Only the people its current policy names" in error, error
    assert "@Ann Approver" in error and "@dr-approvers" in error
    assert "<@" not in error and "<!subteam" not in error and APPROVER not in error


def test_a_person_slack_does_not_name_is_a_slack_user_never_an_id(bot: Any) -> None:
    # Given users.info failing for everyone
    names.clear_cache()
    bot.fake.fail("users.info", "user_not_found", times=10)
    # When a viewer submits the plan create modal
    error = errors_of(bot.submit({}, user=VIEWER))[ids.BLOCK_PLAN_NAME]
    # Then the operators are "a Slack user", the ids stay out of the plain text
    assert error == "Only operators may create plans: a Slack user, a Slack user.", error
    names.clear_cache()
