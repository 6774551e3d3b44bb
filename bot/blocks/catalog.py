"""Protection groups and recovery plans in Slack: paginated lists and one plan's details."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject

from bot.blocks.common import PageOf, clip, context, header, section, sections
from bot.blocks.executions import STATUS_ICONS, clock
from bot.blocks.groups import selection_label
from handlers.models.events import mode_label
from handlers.models.execution import Execution
from handlers.models.recovery_plan import RecoveryPlan


def group_list(page: PageOf, command: str, account_id: str) -> list[Block]:
    if not page.total:
        return [section(f"No protection groups in account {account_id} yet.")]
    lines = [
        f"• {g.groupName} · {selection_label(g.serverSelectionTags, len(g.sourceServerIds))} · {g.region} · "
        f"{g.groupId}"
        for g in page.items
    ]
    return [
        header(f"Protection groups in {account_id}"),
        *sections(lines),
        context(page.footer(f"{command} groups")),
    ]


def plan_list(page: PageOf, command: str, account_id: str) -> list[Block]:
    if not page.total:
        return [section(f"No recovery plans in account {account_id} yet. Create one: {command} plan create")]
    lines = [f"• {p.planName} · {len(p.waves)} waves · {p.planId}" for p in page.items]
    return [
        header(f"Recovery plans in {account_id}"),
        *sections(lines),
        context(page.footer(f"{command} plans")),
    ]


def plan_details(
    plan: RecoveryPlan,
    servers: dict[str, int],
    last: Execution | None,
    people: str,
    tags: dict[str, dict[str, str]] | None = None,
) -> list[Block]:
    """``servers``: a group of ids' server count; ``tags``: a tag group's tags (resolved at run time,
    so shown as its tags, not a count)."""
    tags = tags or {}
    waves = [
        f"{w.waveNumber}. {w.protectionGroupName} · "
        + (
            f"servers tagged {selection_label(tags[w.protectionGroupId]).removeprefix('tags ')}"
            if w.protectionGroupId in tags
            else f"{servers.get(w.protectionGroupId, 0)} servers"
        )
        + (" · pauses before" if w.pauseBeforeExecution else "")
        for w in plan.waves
    ]
    subscription = (
        f"{plan.notificationEmail} ({plan.subscriptionStatus.replace('_', ' ')})"
        if plan.notificationEmail
        else "none"
    )
    blocks: list[Block] = [header(plan.planName)]
    if plan.description:
        blocks.append(section(plan.description))
    blocks += [
        *sections([f"Waves ({len(plan.waves)}, {sum(servers.values())} servers):", *waves]),
        context(f"Email notifications: {subscription}"),
        ContextBlock(elements=[MarkdownTextObject(text=clip(f"Approvers: {people}"))]),  # configured ids
        context(f"Last execution: {_last(last)}"),
        context(f"Plan {plan.planId} · account {plan.accountId} · version {plan.version}"),
    ]
    if plan.status != "valid":
        blocks.append(section(f"⚠️ This plan cannot run: {plan.statusReason}"))
    return blocks


def _last(execution: Execution | None) -> str:
    if execution is None:
        return "never run"
    icon = STATUS_ICONS.get(execution.status, "")
    return (
        f"{icon} {mode_label(execution.isDrill)} {execution.status} · started {execution.startTime[:10]} "
        f"{clock(execution.startTime)} by {execution.startedBy} · {execution.executionId}"
    )


def candidates(names: Sequence[tuple[str, str]]) -> list[Block]:
    return list(sections(f"• {name} ({plan_id})" for name, plan_id in names))
