"""In headless Chromium: /slack-local as the sandbox operator and viewer - commands, the pause
message's buttons, the plan create modal, and user text shown as text, never as markup."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import RunningSandbox
from tests.e2e.waiting import execution, seeded_plan, wait_for, wait_until_finished

pytestmark = pytest.mark.e2e


@pytest.fixture
def slack(sandbox: RunningSandbox, page: Any) -> Any:
    assert sandbox.info["functions"]["bot"], "the sandbox deployed no bot (cfn/bot.yaml)"
    page.goto(sandbox.info["lambdaEndpoint"] + "/slack-local")
    page.wait_for_selector("#messages")
    return page


def send(page: Any, text: str, role: str = "operator") -> None:
    page.select_option("#role", role)
    page.fill("#command", text)
    page.press("#command", "Enter")
    page.wait_for_selector("#status:has-text('acknowledged'), #error:not([hidden])")


def test_the_page_says_slack_and_drs_are_simulated(slack: Any) -> None:
    assert "nothing here is real Slack or real DRS" in slack.text_content("#simulated")
    slack.wait_for_selector("#drs-label:has-text('simulated DRS')")  # filled in from /_sandbox/info
    assert "simulated DRS" in slack.text_content("#drs-label")


def test_dr_plans_lists_the_seeded_plan(slack: Any) -> None:
    send(slack, "/dr plans")
    slack.wait_for_selector(".msg:has-text('Recovery plans in')")
    assert "Payments failover" in slack.text_content("#messages")


def test_resume_button_resumes_the_paused_drill_and_the_message_shows_who(
    sandbox: RunningSandbox, slack: Any
) -> None:
    # Given a drill started from slack-local, paused before wave 2
    wait_for(lambda: not _latest_execution(sandbox, "RUNNING") and not _latest_execution(sandbox, "PAUSED"))
    send(slack, "/dr run Payments failover")
    pause = slack.locator(
        ".msg[data-kind=message]", has=slack.locator("button[data-action-id=approval_resume]")
    )
    pause.first.wait_for()
    execution_id = wait_for(lambda: _latest_execution(sandbox, "PAUSED"), what="a PAUSED execution")

    # When the operator clicks Resume, and gives a reason in the form it opens
    pause.first.locator("button[data-action-id=approval_resume]").click()
    slack.wait_for_selector("#modal #field-reason")
    slack.fill("#modal #field-reason", "db verified <ok> & ready")
    slack.click("#modal-submit")
    slack.wait_for_selector("#overlay", state="hidden")

    # Then the pause message loses its buttons and says who decided and why, and the drill goes on
    slack.wait_for_selector(".msg:has-text('Resumed by @sandbox-operator via slack')")
    slack.wait_for_selector(".msg:has-text('Reason: db verified <ok> & ready')")
    slack.wait_for_function("!document.querySelector('button[data-action-id=approval_resume]')")
    decisions = execution(sandbox, execution_id)["decisions"]
    assert decisions[0]["reason"] == "db verified <ok> & ready"
    wait_for(lambda: execution(sandbox, execution_id)["waves"][1]["status"] != "WAITING_APPROVAL")
    assert wait_until_finished(sandbox, execution_id)["status"] == "SUCCEEDED"


def test_the_home_tab_shows_the_pause_waiting_for_the_operator_and_cancels_it(
    sandbox: RunningSandbox, slack: Any
) -> None:
    # Given a paused drill
    wait_for(lambda: not _latest_execution(sandbox, "RUNNING") and not _latest_execution(sandbox, "PAUSED"))
    send(slack, "/dr run Payments failover")
    execution_id = wait_for(lambda: _latest_execution(sandbox, "PAUSED"), what="a PAUSED execution")

    # When the operator opens their Home tab: the pause waits for them, with its buttons
    slack.click("#home-operator")
    home = slack.locator(".home-view[data-user=operator]")
    home.locator("button[data-action-id=approval_cancel]").first.wait_for()
    assert "Waiting for you" in home.text_content()

    # And cancels it from there, with the reason the plan requires
    home.locator("button[data-action-id=approval_cancel]").first.click()
    slack.click("#confirm-yes")
    slack.wait_for_selector("#modal #field-reason")
    slack.fill("#modal #field-reason", "drill window closed")
    slack.click("#modal-submit")

    # Then the Home says so, and the drill is cancelled with that reason
    slack.wait_for_selector(".home-view:has-text('Cancelled by @sandbox-operator via slack')")
    final = wait_until_finished(sandbox, execution_id)
    assert final["status"] == "CANCELLED" and final["decisions"][0]["reason"] == "drill window closed"


def test_the_viewer_is_refused_and_told_who_may(slack: Any) -> None:
    send(slack, "/dr run Payments failover", role="viewer")
    slack.wait_for_selector(".msg.ephemeral:has-text('Only operators may start executions')")


def test_plan_create_modal_shows_field_errors_then_creates_the_plan(
    sandbox: RunningSandbox, slack: Any
) -> None:
    send(slack, "/dr plan create")
    slack.wait_for_selector("#modal")
    slack.click("#modal-submit")  # nothing filled in
    slack.wait_for_selector("#modal .field.invalid .error:not(:empty)")

    slack.fill("#field-plan_name", "Browser-made plan")
    slack.fill(".field[data-block-id=wave_1] input.suggest", "web")  # the picker asks the bot again
    slack.select_option("#field-wave_1", label="Web tier")
    slack.click("#modal-submit")

    slack.wait_for_selector("#overlay", state="hidden")
    slack.wait_for_selector(".msg:has-text('Created recovery plan Browser-made plan')")
    names = [p["planName"] for p in sandbox.api("GET", "/recovery-plans").json()["items"]]
    assert "Browser-made plan" in names


def test_names_with_markup_are_shown_as_text(sandbox: RunningSandbox, slack: Any) -> None:
    hostile = '<img src=x onerror="window.__pwned=1"><b>bold</b>'
    waves = [{"waveNumber": 1, "protectionGroupId": seeded_plan(sandbox)["waves"][0]["protectionGroupId"]}]
    created = sandbox.api("POST", "/recovery-plans", {"planName": hostile, "waves": waves})
    assert created.status == 201, created.body

    send(slack, "/dr plans")
    slack.wait_for_selector(f".msg:has-text('{hostile[:20]}')")
    assert slack.locator("#messages img, #messages b:has-text('bold')").count() == 0
    assert slack.evaluate("window.__pwned") is None


def _latest_execution(sandbox: RunningSandbox, status: str) -> str | None:
    items = sandbox.api("GET", "/executions").json()["items"]
    found = [e for e in items if e["status"] == status and e["planName"] == "Payments failover"]
    return str(found[0]["executionId"]) if found else None
