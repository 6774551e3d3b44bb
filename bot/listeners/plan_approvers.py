"""The ``/dr plan <name> approvers`` form's submission, saved in the ack through the shared
``update_recovery_plan`` (one conditional write), so whatever the plan service refuses (a 400 such
as a quorum the approvers cannot reach or a field it does not know, a 409 when the plan changed
meanwhile, a 403 when the plan's current policy does not name the submitter: see
handlers/plans/policy_guard.py) is shown on the form's fields instead of being lost after the
form closed."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError as PydanticValidationError
from slack_bolt import Ack
from slack_sdk import WebClient

from bot import access, ids, usergroups
from bot.blocks.approvers_form import FIELD_BLOCKS, block_for, read_policy
from bot.blocks.common import Reply, clip, escape, section
from bot.blocks.executions import markdown_context
from bot.identity import caller_for
from bot.listeners.common import user_from_body
from bot.names import named
from bot.payloads import plan_form_metadata, submission_values
from bot.subcommand_table import subcommand
from handlers.accounts.account_context import Caller
from handlers.core.errors import DomainError
from handlers.models.recovery_plan import RecoveryPlan, RecoveryPlanUpdate
from handlers.plans import recovery_plans

STALE_FORM = "This form no longer names a plan; close it and run the command again."
ERROR_LIMIT = 300


def save(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
    metadata = plan_form_metadata(view)
    if metadata is None:
        ack(response_action="errors", errors={ids.BLOCK_APPROVERS: STALE_FORM})
        return
    user = user_from_body(body, metadata.channel)
    refusal = subcommand("plan approvers").permission.refusal(user.user_id)
    values = submission_values(view)
    fields, errors = read_policy(values, RecoveryPlanUpdate)
    if refusal:
        errors = {ids.BLOCK_APPROVERS: refusal}
    plan: RecoveryPlan | None = None
    if not errors:
        users = len(fields["approvers"]) - len(
            [a for a in fields["approvers"] if isinstance(a, str) and a.startswith("S")]
        )
        plan, errors = _update(caller_for(user), metadata.planId, metadata.version, fields, users)
    if errors or plan is None:
        # field errors are plain text: people by name, not as <@U…> (bot/names.py)
        ack(response_action="errors", errors={k: clip(named(v), ERROR_LIMIT) for k, v in errors.items()})
        return
    ack()
    reply = saved(plan, user.principal).payload()
    reply.pop("response_type", None)
    client.chat_postEphemeral(channel=metadata.channel, user=user.user_id, **reply)


def _update(
    caller: Caller, plan_id: str, version: int, fields: dict[str, Any], users: int
) -> tuple[RecoveryPlan | None, dict[str, str]]:
    try:
        request = RecoveryPlanUpdate.model_validate({"planId": plan_id, "version": version, **fields})
        return recovery_plans.update_recovery_plan(caller, request, usergroups.group_members), {}
    except PydanticValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            block = block_for(error["loc"], users) or ids.BLOCK_APPROVERS
            errors.setdefault(block, str(error["msg"]).removeprefix("Value error, "))
        return None, errors
    except DomainError as exc:
        return None, {_block_named_in(exc.message): exc.message}


def _block_named_in(message: str) -> str:
    """The field a service error names (``approvalQuorum: …``), else the approvers field."""
    for field, block in FIELD_BLOCKS.items():
        if field in message:
            return block
    return ids.BLOCK_APPROVERS


def saved(plan: RecoveryPlan, by: str) -> Reply:
    who = access.people(access.decider_ids(plan.approvers)) or "nobody (no operators configured)"
    if not plan.approvers:
        who += " (the operators: the plan names no approvers)"
    text = f"{plan.planName}: pauses are decided by {who}."
    done = f"Deciders: {who} · changed by {escape(by)}"
    return Reply(text, [section(f"{plan.planName}: approvers saved."), markdown_context(done)])
