"""The ``plan create`` modal's submission: field errors in the ack (pure validation), the plan
itself created lazily and reported to the submitter in the channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import ids
from bot.blocks.common import Reply, clip, section
from bot.blocks.modal import read_submission
from bot.identity import caller_for
from bot.listeners import native_plans, plan_approvers
from bot.listeners.common import answer, user_from_body
from bot.names import named
from bot.payloads import submission_values
from bot.subcommand_table import subcommand
from handlers.plans import recovery_plans

CREATE_PLANS = subcommand("plan create").permission


def register(app: App) -> None:
    app.view(ids.PLAN_CREATE_VIEW)(ack=acknowledge, lazy=[create_plan])
    app.view(ids.PLAN_APPROVERS_VIEW)(ack=plan_approvers.save, lazy=[native_plans.refresh_copy])


def acknowledge(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    channel = str(view.get("private_metadata", ""))
    refusal = CREATE_PLANS.refusal(user_from_body(body, channel).user_id)
    if refusal:
        # a field error is plain text: the operators by name, not as <@U…> (bot/names.py)
        ack(response_action="errors", errors={ids.BLOCK_PLAN_NAME: clip(named(refusal), 150)})
        return
    _, errors = read_submission(submission_values(view), channel)
    if errors:
        ack(response_action="errors", errors=errors)
    else:
        ack()


def create_plan(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
    channel = str(view.get("private_metadata", ""))
    user = user_from_body(body, channel)
    request, errors = read_submission(submission_values(view), channel)
    if request is None or errors or CREATE_PLANS.refusal(user.user_id):
        return  # the ack showed why

    def post(**reply: Any) -> None:
        reply.pop("response_type", None)
        client.chat_postEphemeral(channel=channel, user=user.user_id, **reply)

    def work() -> Reply:
        plan = recovery_plans.create_recovery_plan(caller_for(user), request)
        text = f"Created recovery plan {plan.planName} ({len(plan.waves)} waves, id {plan.planId})."
        return Reply(text, [section(text)])

    answer(post, work)
