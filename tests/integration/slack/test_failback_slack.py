"""Failback from Slack: ``/dr reprotect`` reverses a recovery (operators only), ``/dr failback``
shows where each server stands and, once all are ready, a "Start failback" button behind Slack's
confirm dialog; pressing it starts a FAILBACK that waits for the plan's recovery quorum (two
approvers, not the starter) before anything launches; then ``/dr reprotect <failback>`` re-protects.
Attackers: a viewer, and an operator in a channel bound to another account."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import ids
from handlers.models.execution import TERMINAL_STATUSES, Execution
from handlers.repositories.executions import ExecutionRepository
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.integration.slack.conftest import text_of
from tests.support.drills import finished_execution, plan_with_groups
from tests.support.drs import log_failback_calls
from tests.support.orchestration import wait_until
from tests.support.slack_requests import APPROVER, CHANNEL, OPERATOR, VIEWER

SECOND = "U0SECONDOP"  # an operator the plan names as its second approver
CHANNEL_B = "C0ACCOUNTB"


@pytest.fixture
def drs_log(aws: Any) -> list[tuple[str, str]]:
    """(operation, recovery instance) of every DRS call that changes failback."""
    return log_failback_calls(aws.drs)


def _buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    blocks = message.get("blocks") or []
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def _recovery(drs_log: list[tuple[str, str]], **plan_fields: Any) -> Execution:
    """A RECOVERY that SUCCEEDED; the log holds only what happens after it."""
    plan = plan_with_groups(ACCOUNT_A, servers=(1,), slackChannelId=CHANNEL, **plan_fields)
    recovery = finished_execution(plan, is_drill=False)
    drs_log.clear()
    return recovery


def _ready_view(bot: Any, execution_id: str) -> dict[str, Any]:
    """``/dr failback`` until the view offers the start button (the emulator's reversed servers
    turn continuous after a read)."""

    def probe() -> dict[str, Any] | None:
        bot.command(f"failback {execution_id}", user=VIEWER)
        reply: dict[str, Any] = bot.responses()[-1]
        return reply if ids.FAILBACK_START in _buttons(reply) else None

    found = wait_until(probe, 10, interval=0.1)
    assert found, bot.last_reply()
    return found  # type: ignore[no-any-return]


def _execution(execution_id: str, statuses: set[str], timeout: float = 60) -> Execution:
    def probe() -> Execution | None:
        found = ExecutionRepository().get(execution_id)
        return found if found is not None and found.status in statuses else None

    execution = wait_until(probe, timeout, interval=0.2)
    assert execution is not None, ExecutionRepository().get(execution_id)
    return execution  # type: ignore[no-any-return]


def test_reprotect_then_the_view_offers_start_failback_behind_a_confirm_dialog(
    aws: Any, bot: Any, drs_log: list[tuple[str, str]]
) -> None:
    # Given a RECOVERY that SUCCEEDED
    recovery = _recovery(drs_log)
    # When an operator reverses it from Slack
    bot.command(f"reprotect {recovery.executionId}", user=OPERATOR)
    # Then its one instance was reversed once, and the view says REVERSING, not ready yet
    assert [op for op, _ in drs_log] == ["ReverseReplication"]
    shown = bot.last_reply()
    assert "REVERSING" in shown and "Not ready yet" in shown
    assert ids.FAILBACK_START not in _buttons(bot.responses()[-1])
    # When anyone reads the view once the reversed server replicates
    view = _ready_view(bot, recovery.executionId)
    # Then it offers Start failback, danger-styled, behind a confirm naming the quorum
    button = _buttons(view)[ids.FAILBACK_START]
    assert button["value"] == recovery.executionId and button["style"] == "danger"
    assert button["confirm"]["confirm"]["text"] == "Start failback"
    assert "recovery quorum" in button["confirm"]["text"]["text"]
    assert "READY" in text_of(view)
    # and reading again reversed nothing more
    assert [op for op, _ in drs_log] == ["ReverseReplication"]


def test_start_failback_waits_for_two_approvers_other_than_the_starter_then_reprotect(
    aws: Any, orchestration: Any, bot: Any, drs_log: list[tuple[str, str]]
) -> None:
    # Given a READY recovery of a plan naming three approvers, the starter among them (quorum 2)
    recovery = _recovery(drs_log, approvers=[APPROVER, SECOND, OPERATOR])
    bot.command(f"reprotect {recovery.executionId}", user=OPERATOR)
    _ready_view(bot, recovery.executionId)
    # When an operator presses Start failback
    bot.click(ids.FAILBACK_START, recovery.executionId, user=OPERATOR)
    # Then the channel is told, and a FAILBACK execution waits before wave 1 with nothing launched
    reply = bot.responses()[-1]
    assert reply.get("response_type") == "in_channel", reply
    assert "started a FAILBACK" in text_of(reply) and "recovery quorum" in text_of(reply)
    record = ExecutionRepository().get(recovery.executionId)
    assert record is not None and record.failback is not None
    failback_id = record.failback.failbackExecutionId
    paused = _execution(failback_id, {"PAUSED"})
    assert paused.mode == "FAILBACK" and paused.failbackOf == recovery.executionId
    assert paused.pendingApproval is not None and paused.pendingApproval.kind == "start"
    assert not [op for op, _ in drs_log if op in ("StartRecovery", "StartFailbackLaunch")]
    # When the starter (an approver too) approves, it does not count; one approver is not enough
    bot.decide(ids.APPROVAL_RESUME, f"{failback_id}:1", user=OPERATOR, user_name="oncall")
    refused = "\n".join(str(c.get("text", "")) for c in bot.fake.calls_to("chat.postEphemeral"))
    assert "started this execution" in refused
    bot.decide(ids.APPROVAL_RESUME, f"{failback_id}:1", user=APPROVER, user_name="approver")
    assert _execution(failback_id, {"PAUSED"}).status == "PAUSED"
    assert not [op for op, _ in drs_log if op in ("StartRecovery", "StartFailbackLaunch")]
    # When the second approver approves, the FAILBACK runs to SUCCEEDED
    bot.decide(ids.APPROVAL_RESUME, f"{failback_id}:1", user=SECOND, user_name="second")
    finished = _execution(failback_id, TERMINAL_STATUSES)
    assert finished.status == "SUCCEEDED", finished.statusReason
    assert [op for op, _ in drs_log].count("StartRecovery") == 1
    # and once the original says FAILED_BACK, /dr reprotect <failback> re-protects the origin
    wait_until(
        lambda: (
            (r := ExecutionRepository().get(recovery.executionId))
            and r.failback
            and r.failback.status == "FAILED_BACK"
        ),
        10,
    )
    bot.command(f"reprotect {failback_id}", user=OPERATOR)
    assert "REPROTECTED" in bot.last_reply()
    original = ExecutionRepository().get(recovery.executionId)
    assert original is not None and original.failback is not None
    assert original.failback.status == "REPROTECTED"


def test_start_before_every_server_is_ready_names_them_and_starts_nothing(
    aws: Any, bot: Any, drs_log: list[tuple[str, str]]
) -> None:
    recovery = _recovery(drs_log)
    bot.click(ids.FAILBACK_START, recovery.executionId, user=OPERATOR)
    assert "cannot fail back yet" in bot.last_reply()
    assert not [op for op, _ in drs_log if op in ("StartRecovery", "StartFailbackLaunch")]
    record = ExecutionRepository().get(recovery.executionId)
    assert record is not None and record.failback is not None and record.failback.status == "REVERSING"


def test_a_viewer_may_read_the_view_but_neither_reverse_nor_start(
    aws: Any, bot: Any, drs_log: list[tuple[str, str]]
) -> None:
    # Given a RECOVERY
    recovery = _recovery(drs_log)
    # When a viewer asks to reverse it, then they are refused naming the operators, nothing called
    acked = bot.command(f"reprotect {recovery.executionId}", user=VIEWER)
    assert "Only operators may reverse replication" in text_of(json.loads(acked["body"]))
    assert drs_log == []
    # When an operator reverses it and it is ready, the viewer reads the view with its button
    bot.command(f"reprotect {recovery.executionId}", user=OPERATOR)
    _ready_view(bot, recovery.executionId)
    # but pressing it is refused, and no FAILBACK starts
    bot.click(ids.FAILBACK_START, recovery.executionId, user=VIEWER)
    assert "Only operators may start a failback" in bot.last_reply()
    record = ExecutionRepository().get(recovery.executionId)
    assert record is not None and record.failback is not None and record.failback.status == "READY"
    assert not [op for op, _ in drs_log if op in ("StartRecovery", "StartFailbackLaunch")]


def test_another_channels_account_is_told_not_found_and_nothing_is_called(
    aws: Any, bot: Any, drs_log: list[tuple[str, str]]
) -> None:
    from handlers.accounts.channel_settings import set_channel_account

    # Given A's ready recovery, and an operator in a channel bound to account B
    recovery = _recovery(drs_log)
    bot.command(f"reprotect {recovery.executionId}", user=OPERATOR)
    _ready_view(bot, recovery.executionId)
    set_channel_account(CHANNEL_B, ACCOUNT_B, by="@setup")
    calls, before = len(drs_log), ExecutionRepository().get(recovery.executionId)
    # When they reverse, read or start A's failback from there
    for text in (f"reprotect {recovery.executionId}", f"failback {recovery.executionId}"):
        bot.command(text, channel=CHANNEL_B, user=OPERATOR)
        # Then they are told it is not found, shown nothing of A's
        assert f"execution {recovery.executionId} not found" in bot.last_reply()
        assert recovery.planName not in bot.last_reply()
    bot.click(ids.FAILBACK_START, recovery.executionId, channel=CHANNEL_B, user=OPERATOR)
    assert f"execution {recovery.executionId} not found" in bot.last_reply()
    # and nothing of A's was called or changed
    assert len(drs_log) == calls
    assert ExecutionRepository().get(recovery.executionId) == before


def test_a_drill_is_refused_before_drs_is_called(aws: Any, bot: Any, drs_log: list[tuple[str, str]]) -> None:
    plan = plan_with_groups(ACCOUNT_A, servers=(1,), slackChannelId=CHANNEL)
    drill = finished_execution(plan, is_drill=True)
    drs_log.clear()
    bot.command(f"reprotect {drill.executionId}", user=OPERATOR)
    assert "drills are cleaned up, not failed back" in bot.last_reply()
    assert drs_log == []


def test_the_view_escapes_what_users_and_drs_wrote(
    aws: Any, bot: Any, drs_log: list[tuple[str, str]]
) -> None:
    from bot.blocks.failback import failback_view_blocks

    # Given a view whose plan name and DRS message carry Slack markup
    view = {
        "executionId": "e-1",
        "planName": "<!channel> Payments",
        "mode": "RECOVERY",
        "status": "REVERSING",
        "ready": False,
        "failbackExecutionId": "",
        "failbackOf": "",
        "notReady": ["s-1"],
        "servers": [
            {
                "sourceServerId": "s-1",
                "recoveryInstanceId": "i-1",
                "origin": "AWS",
                "state": "",
                "reversal": "FAILED",
                "message": "DRS said <@U0EVIL> & <https://evil.example|click>",
                "ready": False,
            }
        ],
    }
    # When its blocks are built, then the markup is shown, never sent
    shown = text_of({"blocks": [b.to_dict() for b in failback_view_blocks(view)]})
    assert "&lt;!channel&gt; Payments" in shown and "<!channel>" not in shown
    assert "&lt;@U0EVIL&gt; &amp; &lt;https://evil.example|click&gt;" in shown
    assert "<@U0EVIL>" not in shown
