"""Blocks of DRS native plans in Slack: the "Export to DRS" button under ``/dr plan <name>``, and the
answers of ``/dr import`` and of the button (handlers/native_plans/, docs/native-plans.md)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject

from bot import ids
from bot.blocks.common import Reply, context, plain, section, sections


def export_button(plan_id: str, plan_name: str) -> Block:
    """Operators only (checked when pressed); value = the plan id."""
    confirm = ConfirmObject(
        title="Export to DRS?",
        text=plain(
            f"Write {plan_name} as a DRS native recovery plan (replacing its earlier copy): the break-glass "
            "copy that runs from the DRS console when drs-chatops is down."
        ),
        confirm="Export",
        deny="Not now",
    )
    button = ButtonElement(
        text="Export to DRS", action_id=ids.EXPORT_NATIVE, value=plan_id[:2000], confirm=confirm
    )
    return ActionsBlock(elements=[button])


def exported_reply(who: str, plan_name: str, result: dict[str, Any]) -> Reply:
    text = (
        f"{who} exported {plan_name} to DRS as native recovery plan {result['name']} "
        f"({result['steps']} steps, version {result['planVersion']}): {result['recoveryPlanArn']}"
    )
    blocks: list[Block] = [section(text)]
    left_out = result.get("notExported") or []
    if left_out:
        blocks.append(context("Not in the native plan (it cannot express them):"))
        blocks += sections(f"• {line}" for line in left_out)
    blocks.append(
        context("When drs-chatops is down, start it from the DRS console: docs/native-plans.md, Break glass")
    )
    return Reply(text, blocks, in_channel=True)


def imported_reply(who: str, result: dict[str, Any]) -> Reply:
    plan = result["recoveryPlan"]
    groups = {g["groupId"]: g for g in result["protectionGroups"]}
    text = (
        f"{who} imported DRS native recovery plan {plan['planName']} as recovery plan {plan['planName']} "
        f"({plan['planId']}): {len(plan['waves'])} waves, {len(groups)} new protection groups"
    )
    lines = []
    for wave in plan["waves"]:
        group = groups[wave["protectionGroupId"]]
        optional = len(group["optionalSourceServerIds"])
        wait = f", waits {wave['waitBeforeMinutes']} min first" if wave["waitBeforeMinutes"] else ""
        extra = f" ({optional} optional)" if optional else ""
        lines.append(
            f"Wave {wave['waveNumber']}: {group['groupName']}, "
            f"{len(group['sourceServerIds'])} servers{extra}{wait}"
        )
    blocks: list[Block] = [section(text), *sections(lines)]
    for note in result.get("notImported") or []:
        blocks.append(context(f"Not imported: {note}"))
    blocks.append(context("Add approvers, pauses and notifications to it: native plans have none."))
    return Reply(text, blocks, in_channel=True)
