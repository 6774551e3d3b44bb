"""The "Export to DRS" button under ``/dr plan <name>``: exports the plan as a DRS native recovery
plan (handlers/native_plans/exporting.py). Operators only, in the channel's account."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot import ids
from bot.access import operators_may
from bot.blocks.common import Reply
from bot.blocks.native_plans import exported_reply
from bot.identity import person_for
from bot.listeners.common import Respond, answer, not_allowed, user_from_body
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
