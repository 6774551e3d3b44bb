"""What each ``/dr`` subcommand does, once acknowledged: call the shared services, build a Reply
(or, for ``plan create``, the form to open). Runs in lazy listeners (never before the ack); the
table in ``bot/subcommand_table.py`` says which handler serves which subcommand, and who may."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject
from slack_sdk.models.views import View

from bot import access, ids, runs
from bot.blocks import catalog
from bot.blocks import groups as group_blocks
from bot.blocks.approval_form import reason_form
from bot.blocks.approvers_form import approvers_view
from bot.blocks.common import Reply, context, escape_but_mentions, markdown, paginate, plain, section
from bot.blocks.executions import (
    cleanup_blocks,
    cleanup_line,
    pause_blocks,
    pause_of_execution,
    status_blocks,
    status_text,
)
from bot.blocks.modal import plan_create_view
from bot.blocks.native_plans import export_button
from bot.blocks.readiness import readiness_reply
from bot.identity import SlackUser, caller_for, person_for
from bot.lookup import all_groups, all_plans, find_group, find_plan, last_execution
from bot.parsing import Command
from bot.payloads import PauseFormMetadata
from handlers.accounts import channel_settings
from handlers.accounts.account_context import Caller
from handlers.cleanup.cleanup import refuse_if_not_cleanable
from handlers.core.errors import ConflictError, NotFoundError
from handlers.models.approval import OFFERS, Approval
from handlers.models.events import ExecutionSnapshot, mode_label
from handlers.models.execution import Execution
from handlers.models.recovery_plan import RecoveryPlanUpdate
from handlers.native_plans import exporting
from handlers.pauses.approval_policy import reason_problem
from handlers.pauses.approvals import pending_approval
from handlers.plans import recovery_plans
from handlers.readiness import readiness
from handlers.runs import executions

RECENT = 20  # executions /dr status looks through for open pauses
MAX_OFFERED_PAUSES = 5


def show_account(user: SlackUser, command: Command) -> Reply:
    account = channel_settings.channel_account(user.channel_id)
    if account:
        return Reply(f"This channel acts on account {account}.")
    return Reply(f"This channel has no account yet. Set one: {user.command} account <12-digit id>")


def set_account(user: SlackUser, command: Command) -> Reply:
    channel_settings.set_channel_account(user.channel_id, command.target, by=user.principal)
    return Reply(
        f"This channel now acts on account {command.target} (set by {user.principal}).", in_channel=True
    )


def plan_form(user: SlackUser, command: Command) -> Reply | View:
    """``plan create``: the form to open (the listener opens it with the request's trigger id)."""
    groups = all_groups(caller_for(user))
    if not groups:
        return Reply("There are no protection groups in this channel's account: create one first.")
    return plan_create_view(groups, user.channel_id)


def plan_approvers_form(user: SlackUser, command: Command) -> View:
    """``plan <name> approvers``: the form (the listener opens it with the request's trigger id)."""
    plan = find_plan(caller_for(user), command.target)
    return approvers_view(plan, RecoveryPlanUpdate, user.channel_id)


def list_groups(user: SlackUser, command: Command) -> Reply:
    caller = caller_for(user)
    page = paginate(all_groups(caller), command.page)
    return Reply(
        f"Protection groups: {page.footer('')}", catalog.group_list(page, user.command, caller.account_id)
    )


def list_plans(user: SlackUser, command: Command) -> Reply:
    caller = caller_for(user)
    page = paginate(all_plans(caller), command.page)
    return Reply(
        f"Recovery plans: {page.footer('')}", catalog.plan_list(page, user.command, caller.account_id)
    )


def show_group(user: SlackUser, command: Command) -> Reply:
    """``group <name|id>``: the group's servers as DRS reports them now (a tag group resolved)."""
    from handlers.plans.group_servers import list_group_servers

    caller = caller_for(user)
    details = list_group_servers(caller, find_group(caller, command.target).groupId)
    return Reply(
        f"Protection group {details['groupName']}", group_blocks.group_details(details, user.command)
    )


def show_plan(user: SlackUser, command: Command) -> Reply:
    caller = caller_for(user)
    plan = find_plan(caller, command.target)
    stored = all_groups(caller)
    groups = {g.groupId: len(g.sourceServerIds) for g in stored}
    tags = {g.groupId: g.serverSelectionTags for g in stored if g.serverSelectionTags}
    servers = {w.protectionGroupId: groups.get(w.protectionGroupId, 0) for w in plan.waves}
    people = access.people(access.decider_ids(plan.approvers)) or "nobody (no operators configured)"
    if not plan.approvers:
        people += " (operators: the plan names no approvers)"
    details = catalog.plan_details(plan, servers, last_execution(caller, plan.planId), people, tags)
    return Reply(f"Recovery plan {plan.planName}", [*details, export_button(plan.planId, plan.planName)])


def run_plan(user: SlackUser, command: Command) -> Reply:
    caller = person_for(user)
    plan = find_plan(caller, command.target)
    if command.recovery:
        when = f" from {command.point_in_time}" if command.point_in_time else ""
        forced = " (forced past failing readiness checks)" if command.force else ""
        return confirm_reply(
            f"Start a real RECOVERY of {plan.planName}{when}{forced}? This launches recovery instances "
            f"for {len(plan.waves)} waves in account {plan.accountId}; "
            f"a drill is {user.command} run <plan> drill.",
            ButtonElement(
                text="Start recovery",
                action_id=ids.RUN_RECOVERY_CONFIRM,
                value=runs.run_value(plan.planId, command),
                style="danger",
            ),
            title="Start a real recovery?",
            confirm="Start recovery",
        )
    return runs.start_run(user, caller, plan.planId, command, is_drill=True)


def check_plan(user: SlackUser, command: Command) -> Reply:
    caller = caller_for(user)
    plan = find_plan(caller, command.target)
    result = readiness.check_readiness(caller, plan.planId, command.point_in_time or None)
    return readiness_reply(plan.planName, result)


def show_status(user: SlackUser, command: Command) -> Reply:
    """One execution (the newest without an id) and, for people who may decide them, the Resume /
    Cancel buttons of its open pause and of other recent paused executions: a pause whose
    announcement was lost can still be decided from here."""
    caller = caller_for(user)
    if command.target:
        execution = executions.get_execution(caller, command.target)
        paused = [execution]
    else:
        recent = executions.list_executions(caller, limit=RECENT).items
        if not recent:
            return Reply(f"No executions in account {caller.account_id} yet.")
        execution = recent[0]
        paused = [execution, *[e for e in recent[1:] if e.status == "PAUSED"][:MAX_OFFERED_PAUSES]]
    snapshot = ExecutionSnapshot.of(execution)
    blocks = status_blocks(snapshot)
    for each in paused:
        blocks += pause_offer(user, caller, each)
    return Reply(status_text(snapshot), blocks)


def show_report(user: SlackUser, command: Command) -> Reply:
    """The evidence report of an execution of the channel's account (another account's: not found)."""
    from bot.blocks.reports import report_blocks
    from handlers.core.settings import get_settings
    from handlers.reports.reports import build_report

    report = build_report(executions.get_execution(caller_for(user), command.target))
    settings = get_settings()
    blocks = report_blocks(
        report, api_url=settings.api_gateway_url or "", bucket=settings.reports_bucket or ""
    )
    return Reply(f"Evidence report: {report['planName']} ({report['status']})", blocks)


def pause_offer(user: SlackUser, caller: Caller, execution: Execution) -> list[Block]:
    """An open pause with its buttons for a user who may decide it (by the policy the pause opened
    with), or who may."""
    pause = pause_of_execution(execution, [])
    approval = pending_approval(execution) if pause is not None else None
    if pause is None or approval is None:
        return [section(pause.text())] if pause is not None else []
    pause = pause_of_execution(execution, access.pause_deciders(approval)) or pause
    refusal = access.pause_refusal(caller, approval, OFFERS[approval.kind][0])
    if not refusal:
        return pause_blocks(pause, execution.executionId)
    blocks: list[Block] = [section(pause.text()), markdown(escape_but_mentions(refusal))]
    if access.pause_refusal(caller, approval, "cancel") is None:  # an operator: may always cancel
        blocks.append(context(f"You may cancel it: {user.command} cancel {execution.executionId} <reason>"))
    return blocks


def cancel_run(user: SlackUser, command: Command) -> Reply | View:
    """``cancel <executionId> [reason…]``: the confirm button (with the reason typed), or, for a pause
    that needs a reason to cancel when none was typed, the pause's Cancel form (as its button opens)."""
    execution = executions.get_execution(caller_for(user), command.target)
    if execution.status not in ("RUNNING", "PAUSED"):
        return Reply(f"Execution {execution.executionId} has already finished: {execution.status}.")
    approval = pending_approval(execution) if execution.status == "PAUSED" else None
    if approval is not None and not command.reason and reason_problem(approval, "cancel", ""):
        return cancel_form(user, execution, approval)
    what = f"the {mode_label(execution.isDrill).lower()} of {execution.planName} ({execution.status})"
    why = f" Reason: {command.reason}" if command.reason else ""
    return confirm_reply(
        f"Cancel {what}?{why}",
        ButtonElement(
            text="Cancel execution",
            action_id=ids.CANCEL_EXECUTION_CONFIRM,
            value=runs.cancel_value(execution.executionId, command.reason),
            style="danger",
        ),
        title="Cancel the execution?",
        confirm="Cancel execution",
    )


def cancel_form(user: SlackUser, execution: Execution, approval: Approval) -> View:
    """The reason form of the pause's Cancel, for ``/dr cancel`` typed without a reason; decided by
    its submission as from the button, the outcome told to the user (the command left no message)."""
    pause = pause_of_execution(execution, access.pause_deciders(approval))
    if pause is None:  # the execution moved on since it was read: say so as the button would
        raise ConflictError(f"execution {execution.executionId} is no longer paused; cancel it again")
    metadata = PauseFormMetadata(
        channel=user.channel_id,
        executionId=execution.executionId,
        wave=approval.waveNumber,
        action="cancel",
        ephemeral=True,
    )
    return reason_form(pause, metadata, required=True)


def cleanup_drill(user: SlackUser, command: Command) -> Reply:
    """``/dr cleanup <executionId>``: what the drill left, behind a Clean up button and its confirm."""
    execution = executions.get_execution(caller_for(user), command.target)
    snapshot = ExecutionSnapshot.of(execution)
    refuse_if_not_cleanable(execution)
    if execution.cleanup is not None and execution.cleanup.status == "COMPLETED":
        return Reply(cleanup_line(snapshot))
    question = f"Clean up the drill of {execution.planName} ({execution.status})?"
    return Reply(question, [section(question), *cleanup_blocks(snapshot)])


def confirm_reply(question: str, button: ButtonElement, *, title: str, confirm: str) -> Reply:
    button.confirm = ConfirmObject(title=title, text=plain(question, 300), confirm=confirm, deny="Go back")
    blocks: list[Block] = [section(question), ActionsBlock(elements=[button])]
    return Reply(question, blocks)


def subscribe(user: SlackUser, command: Command) -> Reply:
    return _set_email(user, command, command.email)


def unsubscribe(user: SlackUser, command: Command) -> Reply:
    return _set_email(user, command, "")


def _set_email(user: SlackUser, command: Command, email: str) -> Reply:
    caller = caller_for(user)
    plan = find_plan(caller, command.target)
    if not email and not plan.notificationEmail:
        raise NotFoundError(f"{plan.planName} has no email subscription")
    updated = recovery_plans.update_recovery_plan(
        caller, RecoveryPlanUpdate(planId=plan.planId, version=plan.version, notificationEmail=email)
    )
    exporting.export_after_save(updated)  # a new version: its DRS native copy too, as a REST save
    if email:
        state = updated.subscriptionStatus.replace("_", " ")
        text = f"{updated.planName}: notifications go to {email} ({state}; SNS asks the address to confirm)."
    else:
        text = f"{updated.planName}: email notifications stopped (was {plan.notificationEmail})."
    return Reply(text, [section(text), context(f"changed by {user.principal}")])
