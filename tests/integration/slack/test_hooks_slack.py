"""Wave hooks in Slack (docs/hooks.md): the notifier posts a failed hook's pause with the hook's message
shown as typed (markup and <!channel> stay text) and Retry / Skip / Cancel; a Slack Retry runs the hook
again (never the servers); ``/dr plan <name> hooks`` lists a plan's hooks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot import ids
from sandbox.runtime import hook_function, hook_surfaces
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.integration.hooks_support import deploy_function
from tests.integration.slack.conftest import text_of
from tests.integration.slack.test_commands import make_groups
from tests.integration.slack.test_pause_decisions import buttons
from tests.integration.test_executions import TERMINAL, execution_status
from tests.support.data import ONE_APPROVER, group_body, plan_body
from tests.support.events import call_api
from tests.support.orchestration import wait_until
from tests.support.slack_requests import APPROVER, CHANNEL

HOSTILE = "<!channel> *bold* <https://evil.example|click> & <@U0EVIL>"


def _hostile_hook(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"status": "FAILED", "message": HOSTILE}


@pytest.fixture
def hooked(orchestration: Any, bot: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from tests.conftest import reset_caches
    from tests.support.inprocess import lambda_functions

    monkeypatch.setenv("HOOK_SECONDS_PER_MINUTE", "1")
    monkeypatch.setenv("HOOK_POLL_SECONDS", "1")
    reset_caches()
    hook_surfaces.install(orchestration.drs.state, None, complete_after_polls=2, ok_after_polls=1)
    for name in (hook_function.NAME, "drs-chatops-hook-hostile"):
        deploy_function(ACCOUNT_A, name)
    try:
        with lambda_functions(
            {hook_function.NAME: hook_function.lambda_handler, "drs-chatops-hook-hostile": _hostile_hook}
        ):
            yield orchestration
            orchestration.drain()
    finally:
        hook_surfaces.uninstall()


def _plan(after: list[dict[str, Any]]) -> dict[str, Any]:
    groups = make_groups(1)
    body = plan_body(groups, slackChannelId=CHANNEL, approvers=[APPROVER], approvalQuorum=ONE_APPROVER)
    body["waves"][0]["pauseBeforeExecution"] = False
    body["waves"][0]["hooks"] = {"before": [], "after": after}
    status, plan = call_api("POST", "/recovery-plans", body)
    assert status == 201, plan
    return dict(plan)


def _paused(hooked: Any, bot: Any, function: str) -> dict[str, Any]:
    plan = _plan([{"name": "gate", "type": "lambda", "functionName": function, "payload": {"fail": True}}])
    bot.command(f"run {plan['planId']}")
    execution_id = bot.responses()[-1]["text"].rsplit("status ", 1)[1]
    paused = execution_status(execution_id, {"PAUSED"} | TERMINAL)
    assert paused["pendingApproval"]["kind"] == "hook_failed", paused
    hooked.wait_for_event("hook_failed_pause")
    bot.pump()
    (message,) = [m for m in bot.fake.messages.values() if buttons(m)]
    return {"executionId": execution_id, "message": message, "plan": plan}


def test_the_failed_hook_pause_shows_its_message_as_text_with_retry_skip_cancel(hooked, bot):
    paused = _paused(hooked, bot, "drs-chatops-hook-hostile")
    message = paused["message"]
    assert set(buttons(message)) == {ids.WAVE_RETRY, ids.WAVE_SKIP, ids.APPROVAL_CANCEL}
    assert set(buttons(message).values()) == {f"{paused['executionId']}:1"}
    text = text_of(message)
    assert "a hook of wave 1" in text and "gate" in text
    # the hook's message is shown as typed: every block carrying it is plain text (no mrkdwn parsing),
    # or its markup is escaped, so no <!channel>, link or mention reaches Slack as markup
    raw = str(message.get("blocks", []))
    carrying = [b for b in message.get("blocks", []) if "channel" in str(b)]
    assert carrying, raw
    for block in carrying:
        obj = block.get("text") or {}
        if obj.get("type") == "mrkdwn":
            assert "<!channel>" not in obj["text"] and "<@U0EVIL>" not in obj["text"], obj
            assert "<https://evil.example" not in obj["text"], obj
    assert "<!channel>" not in str(message.get("text", "")) or message.get("blocks")


def test_a_slack_retry_runs_the_failed_hook_again_not_the_servers(hooked, bot):
    paused = _paused(hooked, bot, hook_function.NAME)
    launched = len(hooked.drs.started)
    value = buttons(paused["message"])[ids.WAVE_RETRY]
    bot.decide(ids.WAVE_RETRY, value, user=APPROVER, user_name="alice", message_ts=paused["message"]["ts"])

    def second_attempt() -> dict[str, Any] | None:
        current = call_api("GET", f"/executions/{paused['executionId']}")[1]
        runs = [r for r in current["waves"][0]["hooks"] if r["name"] == "gate"]
        return current if len(runs) == 2 and runs[1]["status"] not in {"PENDING", "RUNNING"} else None

    again = wait_until(second_attempt, 30)
    assert again, call_api("GET", f"/executions/{paused['executionId']}")[1]
    gate = [r for r in again["waves"][0]["hooks"] if r["name"] == "gate"]
    assert [(r["attempt"], r["status"]) for r in gate] == [(1, "FAILED"), (2, "FAILED")]
    assert gate[1]["requestedBy"] == "@alice"
    assert len(hooked.drs.started) == launched  # the servers were not launched again
    assert (again["decisions"][0]["action"], again["decisions"][0]["decidedBy"]) == ("retry", "@alice")
    # and the thread says the hook runs again, not the servers
    hooked.wait_for_event("wave_retry")
    bot.pump()
    lines = [text_of(m) for m in bot.fake.messages.values()]
    assert any("hook gate of wave 1 runs again" in line for line in lines), lines
    assert not any("launches its failed servers again" in line for line in lines), lines


def test_plan_hooks_lists_each_waves_hooks_and_another_accounts_plan_is_no_plan_here(hooked, bot):
    plan = _plan(
        [
            {
                "name": "db answers",
                "type": "lambda",
                "functionName": hook_function.NAME,
                "payload": {"db": "x"},
            },
            {
                "name": "smoke",
                "type": "ssmAutomation",
                "documentName": "AWS-RunShellScript",
                "optional": True,
            },
        ]
    )
    bot.command(f"plan {plan['planName']} hooks")
    reply = bot.responses()[-1]
    text = str(reply)
    assert (
        "Hooks of" in text
        and "after 1. db answers (lambda)" in text
        and "after 2. smoke (ssmAutomation)" in text
    )
    assert "optional" in text
    # and another account's plan, even by its id, is no plan of this channel's account
    other = call_api("POST", "/protection-groups", group_body("Elsewhere"), account=ACCOUNT_B)[1]["groupId"]
    theirs = call_api("POST", "/recovery-plans", plan_body([other], name="Theirs"), account=ACCOUNT_B)[1]
    bot.command(f"plan {theirs['planId']} hooks")
    refused = bot.responses()[-1]["text"]
    assert "no plan named" in refused and "Hooks of" not in str(bot.responses()[-1]), refused
