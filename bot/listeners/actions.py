"""Buttons: the confirmation buttons of ``run … recovery`` and ``cancel``. (Resume / Cancel on
pause messages, Retry / Skip on a failed wave's, open the reason form: ``bot/listeners/approvals.py``.)"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot import ids
from bot.blocks.common import Reply
from bot.identity import caller_for, person_for
from bot.listeners.common import Respond, answer, not_allowed, user_from_body
from bot.runs import cancel_options, run_options, start_run
from bot.subcommand_table import subcommand
from handlers.runs import decisions


def register(app: App) -> None:
    for action_id, work in (
        (ids.RUN_RECOVERY_CONFIRM, confirm_recovery),
        (ids.CANCEL_EXECUTION_CONFIRM, confirm_cancel),
    ):
        app.action(action_id)(ack=acknowledge, lazy=[work])


def acknowledge(ack: Ack) -> None:
    ack()


def confirm_recovery(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
    user = user_from_body(body)

    def work() -> Reply:
        refusal = not_allowed(user, subcommand("run").permission)
        if refusal:
            return refusal
        plan_id, command = run_options(str(action.get("value", "")))
        reply = start_run(user, person_for(user), plan_id, command, is_drill=False)
        respond(delete_original=True)
        return reply

    answer(respond, work)


def confirm_cancel(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
    user = user_from_body(body)

    def work() -> Reply:
        refusal = not_allowed(user, subcommand("cancel").permission)
        if refusal:
            return refusal
        execution_id, reason = cancel_options(str(action.get("value", "")))
        execution = decisions.cancel_execution(caller_for(user), execution_id, reason=reason)
        respond(delete_original=True)
        why = f" Reason: {reason}" if reason else ""
        text = (
            f"{user.principal} cancelled execution {execution.executionId} of {execution.planName}: "
            f"{execution.status}.{why}"
        )
        return Reply(text, in_channel=True)

    answer(respond, work)
