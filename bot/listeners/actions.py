"""Buttons: Resume / Cancel on pause messages, Retry / Skip / Cancel on a failed wave's (decided
through the same approval service as email, exactly once across channels) and the confirmation
buttons of ``run … recovery`` and ``cancel``."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot import access, ids
from bot.blocks.common import Reply, escape, markdown
from bot.blocks.executions import EXPIRED_LINE, Pause, decided_blocks, decision_line, parse_pause_value
from bot.listeners.common import Respond, answer, not_allowed, user_from_body
from bot.runs import run_options, start_run
from bot.subcommand_table import subcommand
from bot.subcommands import SlackUser, caller_for
from handlers.errors import NotFoundError
from handlers.models.approval import Action, DecisionResult
from handlers.models.recovery_plan import RecoveryPlan
from handlers.observability import logger
from handlers.services import decisions, executions, recovery_plans


def register(app: App) -> None:
    for action_id, work in (
        (ids.APPROVAL_RESUME, decide_pause),
        (ids.APPROVAL_CANCEL, decide_pause),
        (ids.WAVE_RETRY, decide_pause),
        (ids.WAVE_SKIP, decide_pause),
        (ids.RUN_RECOVERY_CONFIRM, confirm_recovery),
        (ids.CANCEL_EXECUTION_CONFIRM, confirm_cancel),
    ):
        app.action(action_id)(ack=acknowledge, lazy=[work])


_VERBS: dict[str, Action] = {
    ids.APPROVAL_RESUME: "resume",
    ids.APPROVAL_CANCEL: "cancel",
    ids.WAVE_RETRY: "retry",
    ids.WAVE_SKIP: "skip",
}


def acknowledge(ack: Ack) -> None:
    ack()


def decide_pause(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond) -> None:
    user = user_from_body(body)
    verb = _VERBS.get(str(action.get("action_id")), "cancel")
    answer(respond, lambda: _decide(user, verb, str(action.get("value", "")), body, client))


def _decide(
    user: SlackUser, verb: Action, value: str, body: dict[str, Any], client: WebClient
) -> Reply | None:
    """A pause button: only in the account this channel is bound to (another account's execution
    is not found), only by the plan's approvers (or the operators)."""
    pause = parse_pause_value(value)
    if pause is None:
        raise NotFoundError(
            f"This button does not name a pause (it may be from an older message): {user.command} status "
            "<executionId> shows an open pause with fresh buttons"
        )
    execution_id, wave_number = pause
    caller = caller_for(user)
    execution = executions.get_execution(caller, execution_id)
    plan = recovery_plans.get_recovery_plan(caller, execution.planId)
    refusal = access.decider_refusal(user.user_id, plan.approvers)
    if refusal:
        return Reply(refusal, [markdown(refusal)])
    result = decisions.decide_pause(caller, execution_id, wave_number, verb)
    line = outcome_line(result)
    container = body.get("container") or {}
    if container.get("is_ephemeral"):  # a /dr status reply: Slack cannot update it, so answer
        return Reply(line)
    try:
        client.chat_update(
            channel=str(container.get("channel_id") or (body.get("channel") or {}).get("id", "")),
            ts=str(container.get("message_ts") or (body.get("message") or {}).get("ts", "")),
            text=escape(line),
            blocks=[b.to_dict() for b in decided_blocks(pause_of(plan, result), line)],
        )
    except SlackClientError as exc:  # the decision stands: tell the clicker, not "nothing changed"
        logger.warning("pause message not updated", extra={"error": type(exc).__name__})
        return Reply(line)
    return None


def outcome_line(result: DecisionResult) -> str:
    if result.outcome == "expired":
        return EXPIRED_LINE
    already = result.outcome == "already_decided"
    return decision_line(
        result.action, result.decidedBy, result.decidedVia, result.decidedAt, already=already
    )


def pause_of(plan: RecoveryPlan, result: DecisionResult) -> Pause:
    names = {w.waveNumber: w.protectionGroupName for w in plan.waves}
    return Pause(
        plan_name=plan.planName,
        wave_number=result.waveNumber,
        group_name=names.get(result.waveNumber, ""),
        kind=result.kind,
    )


def confirm_recovery(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
    user = user_from_body(body)

    def work() -> Reply:
        refusal = not_allowed(user, subcommand("run").permission)
        if refusal:
            return refusal
        plan_id, command = run_options(str(action.get("value", "")))
        reply = start_run(user, caller_for(user), plan_id, command, is_drill=False)
        respond(delete_original=True)
        return reply

    answer(respond, work)


def confirm_cancel(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
    user = user_from_body(body)

    def work() -> Reply:
        refusal = not_allowed(user, subcommand("cancel").permission)
        if refusal:
            return refusal
        execution = decisions.cancel_execution(caller_for(user), str(action.get("value", "")))
        respond(delete_original=True)
        text = (
            f"{user.principal} cancelled execution {execution.executionId} of {execution.planName}: "
            f"{execution.status}."
        )
        return Reply(text, in_channel=True)

    answer(respond, work)
