"""The "Add a hook" form under ``/dr plan <name> hooks`` (bot/listeners/hook_form.py, docs/hooks.md):
an operator adds a ``lambda`` or ``ssmAutomation`` hook to a wave, judged by the hook models and
saved through the plan service the API uses; a bad field is an error on that field naming it;
viewers and other channels' accounts cannot touch the plan."""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from tests.conftest import ACCOUNT_B
from tests.integration.slack.conftest import Bot, text_of
from tests.support.data import group_body, plan_body
from tests.support.events import call_api
from tests.support.slack_requests import OPERATOR, VIEWER

FUNCTION = "drs-chatops-hook-db-ping"
CHANNEL_B = "C0OTHERTEAM"


def _plan(name: str = "Payments failover") -> dict[str, Any]:
    groups = [call_api("POST", "/protection-groups", group_body(f"Tier {i}"))[1]["groupId"] for i in range(2)]
    status, plan = call_api("POST", "/recovery-plans", plan_body(groups, name=name))
    assert status == 201, plan
    return dict(plan)


def _stored(plan: dict[str, Any]) -> dict[str, Any]:
    return dict(call_api("GET", f"/recovery-plans/{plan['planId']}")[1])


def _open(bot: Any, plan: dict[str, Any], user: str = OPERATOR) -> dict[str, Any]:
    opened = len(bot.fake.calls_to("views.open"))
    bot.click(ids.HOOK_ADD, plan["planId"], user=user)
    assert len(bot.fake.calls_to("views.open")) == opened + 1, bot.responses()
    return dict(bot.opened_form())


def _select(value: str) -> dict[str, Any]:
    return {ids.ELEMENT: {"type": "static_select", "selected_option": {"value": value}}}


def _typed(value: str | None) -> dict[str, Any]:
    return {ids.ELEMENT: {"type": "plain_text_input", "value": value}}


def _submit(
    bot: Any,
    view: dict[str, Any],
    *,
    user: str = OPERATOR,
    wave: str = "1",
    phase: str = "after",
    kind: str = "lambda",
    name: str = "db answers",
    function: str | None = FUNCTION,
    document: str | None = None,
    json_text: str | None = None,
    timeout: str = "5",
    optional: bool = False,
) -> dict[str, Any]:
    from sandbox.data.slack_requests import view_submission

    checked = [{"value": "optional"}] if optional else []
    values = {
        ids.BLOCK_HOOK_WAVE: _select(wave),
        ids.BLOCK_HOOK_PHASE: _select(phase),
        ids.BLOCK_HOOK_TYPE: _select(kind),
        ids.BLOCK_HOOK_NAME: _typed(name),
        ids.BLOCK_HOOK_FUNCTION: _typed(function),
        ids.BLOCK_HOOK_DOCUMENT: _typed(document),
        ids.BLOCK_HOOK_JSON: _typed(json_text),
        ids.BLOCK_HOOK_TIMEOUT: {ids.ELEMENT: {"type": "number_input", "value": timeout}},
        ids.BLOCK_HOOK_OPTIONAL: {ids.ELEMENT: {"type": "checkboxes", "selected_options": checked}},
    }
    return dict(bot.send(view_submission(user_id=user, user_name="oncall", view=view, values=values)))


def _errors(response: dict[str, Any]) -> dict[str, str]:
    body = json.loads(response["body"] or "{}")
    assert body.get("response_action") == "errors", body
    return dict(body["errors"])


def _buttons(reply: dict[str, Any]) -> dict[str, str]:
    return {
        element["action_id"]: element.get("value", "")
        for block in reply.get("blocks", [])
        if block.get("type") == "actions"
        for element in block["elements"]
    }


def test_an_operator_adds_a_lambda_hook_from_the_hooks_view_and_it_is_on_the_plan(bot: Bot) -> None:
    # Given a plan of two waves and its hooks view, which offers "Add a hook"
    plan = _plan()
    bot.command(f"plan {plan['planName']} hooks")
    assert _buttons(bot.responses()[-1]) == {ids.HOOK_ADD: plan["planId"]}
    view = _open(bot, plan)
    assert view["callback_id"] == ids.HOOK_FORM_VIEW
    wave_select = next(b for b in view["blocks"] if b["block_id"] == ids.BLOCK_HOOK_WAVE)
    assert [o["value"] for o in wave_select["element"]["options"]] == ["1", "2"]
    # When the operator adds an optional lambda hook after wave 2
    response = _submit(bot, view, wave="2", json_text='{"database": "orders"}', optional=True)
    # Then the form closes and the hook is on the plan's wave 2, as the model stores it, at a new version
    assert not response["body"], response
    stored = _stored(plan)
    assert stored["version"] == plan["version"] + 1
    assert stored["waves"][0].get("hooks") in (None, {"before": [], "after": []})
    (hook,) = stored["waves"][1]["hooks"]["after"]
    assert hook == {
        "name": "db answers",
        "type": "lambda",
        "functionName": FUNCTION,
        "payload": {"database": "orders"},
        "timeoutMinutes": 5,
        "optional": True,
    }
    # and the submitter is told, and the hooks view lists it
    (told,) = bot.fake.calls_to("chat.postEphemeral")
    assert told["user"] == OPERATOR
    assert "@oncall added the lambda hook db answers" in text_of(told) and "after wave 2" in text_of(told)
    bot.command(f"plan {plan['planName']} hooks")
    assert "after 1. db answers (lambda)" in text_of(bot.responses()[-1])


def test_an_ssm_automation_hook_goes_before_its_wave_with_its_parameters(bot: Bot) -> None:
    plan = _plan()
    response = _submit(
        bot,
        _open(bot, plan),
        phase="before",
        kind="ssmAutomation",
        name="smoke test",
        function=None,
        document="drs-chatops-smoke-test",
        json_text='{"InstanceIds": ["{{instanceIds}}"]}',
        timeout="20",
    )
    assert not response["body"], response
    (hook,) = _stored(plan)["waves"][0]["hooks"]["before"]
    assert (hook["type"], hook["documentName"], hook["timeoutMinutes"]) == (
        "ssmAutomation",
        "drs-chatops-smoke-test",
        20,
    )
    assert hook["parameters"] == {"InstanceIds": ["{{instanceIds}}"]}


def test_a_viewer_may_neither_open_nor_submit_the_form(bot: Bot) -> None:
    plan = _plan()
    view = _open(bot, plan)  # an operator's form
    opened = len(bot.fake.calls_to("views.open"))
    bot.click(ids.HOOK_ADD, plan["planId"], user=VIEWER)
    assert len(bot.fake.calls_to("views.open")) == opened
    assert "Only operators may add hooks to plans" in bot.last_reply()
    errors = _errors(_submit(bot, view, user=VIEWER))
    assert "Only operators may add hooks to plans" in errors[ids.BLOCK_HOOK_WAVE]
    assert "<@" not in errors[ids.BLOCK_HOOK_WAVE]  # plain text: people by name (bot/names.py)
    assert _stored(plan)["version"] == plan["version"]


def test_a_bad_field_is_an_error_on_that_field_naming_it_and_nothing_is_saved(bot: Bot) -> None:
    plan = _plan()
    view = _open(bot, plan)
    # a function outside the deployment's HookFunctionPattern
    errors = _errors(_submit(bot, view, function="payroll-prod-delete"))
    assert set(errors) == {ids.BLOCK_HOOK_FUNCTION}
    assert errors[ids.BLOCK_HOOK_FUNCTION].startswith("functionName: ")
    assert "HookFunctionPattern" in errors[ids.BLOCK_HOOK_FUNCTION]
    # a function name of characters no function name has
    errors = _errors(_submit(bot, view, function="drs-chatops-hook-x;rm"))
    assert errors[ids.BLOCK_HOOK_FUNCTION].startswith("functionName: "), errors
    # a payload that is not JSON, or not a JSON object
    errors = _errors(_submit(bot, view, json_text='{"database": orders}'))
    assert set(errors) == {ids.BLOCK_HOOK_JSON} and errors[ids.BLOCK_HOOK_JSON].startswith(
        "payload: not JSON"
    )
    errors = _errors(_submit(bot, view, json_text="[1, 2]"))
    assert errors[ids.BLOCK_HOOK_JSON] == "payload: must be a JSON object ({...})"
    # a lambda hook waiting longer than a function runs
    errors = _errors(_submit(bot, view, timeout="30"))
    assert set(errors) == {ids.BLOCK_HOOK_TIMEOUT} and "timeoutMinutes" in errors[ids.BLOCK_HOOK_TIMEOUT]
    # a hook name with markup
    errors = _errors(_submit(bot, view, name="<!channel> gate"))
    assert set(errors) == {ids.BLOCK_HOOK_NAME} and errors[ids.BLOCK_HOOK_NAME].startswith("name: ")
    # a lambda hook naming a document too
    errors = _errors(_submit(bot, view, document="AWS-RunShellScript"))
    assert errors[ids.BLOCK_HOOK_DOCUMENT].startswith("documentName: ")
    assert _stored(plan)["version"] == plan["version"]


def test_a_second_hook_of_the_same_name_in_a_wave_is_refused_on_the_name(bot: Bot) -> None:
    plan = _plan()
    assert not _submit(bot, _open(bot, plan))["body"]
    errors = _errors(_submit(bot, _open(bot, _stored(plan)), kind="lambda"))
    assert "unique within a wave" in errors[ids.BLOCK_HOOK_NAME], errors
    assert len(_stored(plan)["waves"][0]["hooks"]["after"]) == 1


def test_a_plan_changed_since_the_form_opened_is_a_conflict_not_overwritten(bot: Bot) -> None:
    plan = _plan()
    view = _open(bot, plan)
    call_api("PUT", f"/recovery-plans/{plan['planId']}", {"description": "changed meanwhile"})
    errors = _errors(_submit(bot, view))
    assert "version" in errors[ids.BLOCK_HOOK_WAVE], errors
    stored = _stored(plan)
    assert stored["description"] == "changed meanwhile" and not stored["waves"][0].get("hooks")


def test_another_channels_account_cannot_touch_the_plan(bot: Bot) -> None:
    from handlers.accounts.channel_settings import set_channel_account

    # Given a plan of account A, and a channel bound to account B
    plan = _plan()
    set_channel_account(CHANNEL_B, ACCOUNT_B, by="@setup")
    view = _open(bot, plan)
    # When an operator in channel B clicks Add a hook with the plan's id
    opened = len(bot.fake.calls_to("views.open"))
    bot.click(ids.HOOK_ADD, plan["planId"], channel=CHANNEL_B)
    # Then no form opens and the plan is not found there
    assert len(bot.fake.calls_to("views.open")) == opened
    assert "not found" in bot.last_reply()
    # and a form naming channel B and the plan cannot add a hook to it
    metadata = json.loads(view["private_metadata"])
    forged = {**view, "private_metadata": json.dumps({**metadata, "channel": CHANNEL_B})}
    errors = _errors(_submit(bot, forged))
    assert "not found" in errors[ids.BLOCK_HOOK_WAVE], errors
    assert _stored(plan)["version"] == plan["version"]


def test_the_plan_name_in_the_confirmation_is_shown_as_typed(bot: Bot) -> None:
    plan = _plan(name="<!channel> Payments *now*")
    assert not _submit(bot, _open(bot, plan))["body"]
    (told,) = bot.fake.calls_to("chat.postEphemeral")
    assert "<!channel>" not in told["text"] and "&lt;!channel&gt;" in told["text"]
    assert all(b["text"]["type"] == "plain_text" for b in told["blocks"] if "text" in b)
