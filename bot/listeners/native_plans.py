"""The "Export to DRS" button under ``/dr plan <name>``: exports the plan as a DRS native recovery
plan (handlers/native_plans/exporting.py). Operators only, in the channel's account.

:func:`refresh_copy` is the lazy half of the plan forms that save in their ack (approvers, hooks):
a plan with ``exportNative`` is exported again after the save, as a REST save does, and the
submitter is told if DRS refused it (readiness then warns that the copy is stale)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import ids
from bot.access import operators_may
from bot.blocks.common import Reply, clip, escape
from bot.blocks.native_plans import exported_reply
from bot.identity import caller_for, person_for
from bot.listeners.common import Respond, answer, not_allowed, user_from_body
from bot.payloads import plan_form_metadata
from handlers.core.errors import DomainError
from handlers.native_plans import exporting
from handlers.plans.recovery_plans import get_recovery_plan

MAY_EXPORT = operators_may("export plans to DRS")


def register(app: App) -> None:
    app.action(ids.EXPORT_NATIVE)(ack=acknowledge, lazy=[export_native])


def acknowledge(ack: Ack) -> None:
    ack()


def export_native(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
    user = user_from_body(body)

    def work() -> Reply:
        refusal = not_allowed(user, MAY_EXPORT)
        if refusal:
            return refusal
        caller = person_for(user)
        plan = get_recovery_plan(caller, str(action.get("value", ""))[:128])  # another account's: not found
        return exported_reply(user.principal, plan.planName, exporting.export_plan(plan))

    answer(respond, work)


def refresh_copy(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
    """After a plan form's save: the plan's DRS native copy exported again if it is now stale."""
    metadata = plan_form_metadata(view)
    if metadata is None:
        return
    user = user_from_body(body, metadata.channel)
    try:
        outcome = exporting.export_if_stale(caller_for(user), metadata.planId)
    except DomainError:  # the plan is gone (or not the channel account's): nothing to export
        return
    if outcome and outcome.get("error"):
        text = (
            f"The plan was saved, but its DRS native copy could not be exported again: "
            f"{clip(str(outcome['error']), 500)}. Readiness warns that the copy is stale until an "
            "export (Export to DRS under /dr plan) succeeds."
        )
        client.chat_postEphemeral(channel=metadata.channel, user=user.user_id, text=escape(text))
