""" "Add a hook" under ``/dr plan <name> hooks`` and its form (bot/blocks/hook_form.py; docs/hooks.md).

Operators only, in the channel's account (another account's plan is "not found", as everywhere).
The click opens the form at once (Slack's trigger id lasts 3 seconds). The submission is saved in
its ack through the plan service the API uses (``update_recovery_plan``: one conditional write at
the version the form was filled in from, the policy guard, the hook models and the run's history
budget), so whatever it refuses is shown on the form's fields, naming the field, instead of being
lost after the form closed. The submitter is then told what was added."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids, usergroups
from bot.access import operators_may
from bot.blocks.common import Reply, clip
from bot.blocks.hook_form import NewHook, hook_form_view, read_hook_form
from bot.identity import SlackUser, caller_for
from bot.listeners import native_plans
from bot.listeners.common import Respond, answer, not_allowed, user_from_body
from bot.names import named
from bot.payloads import PlanFormMetadata, block_actions, plan_form_metadata, submission_values
from handlers.core.errors import DomainError
from handlers.models.recovery_plan import RecoveryPlan
from handlers.plans import recovery_plans

MAY_ADD_HOOKS = operators_may("add hooks to plans")
STALE_FORM = "This form no longer names a plan; close it and click Add a hook again."
ERROR_LIMIT = 300


def register(app: App) -> None:
    app.action(ids.HOOK_ADD)(open_form)
    app.view(ids.HOOK_FORM_VIEW)(ack=save, lazy=[native_plans.refresh_copy])


def open_form(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    ack()
    user = user_from_body(body)
    trigger_id = block_actions(body).trigger_id
    answer(respond, lambda: _open(user, str(action.get("value", ""))[:128], trigger_id, client))


def _open(user: SlackUser, plan_id: str, trigger_id: str, client: WebClient) -> Reply | None:
    refusal = not_allowed(user, MAY_ADD_HOOKS)
    if refusal:
        return refusal
    plan = recovery_plans.get_recovery_plan(caller_for(user), plan_id)
    if not plan.waves:
        return Reply(f"{plan.planName} has no waves to add a hook to.")
    try:
        client.views_open(trigger_id=trigger_id, view=hook_form_view(plan, user.channel_id))
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error"))
        return Reply(f"Slack did not open the hook form ({error}); click Add a hook again.")
    return None


def save(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
    metadata = plan_form_metadata(view)
    if metadata is None:
        ack(response_action="errors", errors={ids.BLOCK_HOOK_WAVE: STALE_FORM})
        return
    user = user_from_body(body, metadata.channel)
    refusal = MAY_ADD_HOOKS.refusal(user.user_id)
    plan: RecoveryPlan | None = None
    added: NewHook | None = None
    if refusal:
        errors = {ids.BLOCK_HOOK_WAVE: refusal}
    else:
        plan, added, errors = _add(user, metadata, submission_values(view))
    if errors or plan is None or added is None:
        # field errors are plain text: people by name, not as <@U…> (bot/names.py)
        ack(response_action="errors", errors={k: clip(named(v), ERROR_LIMIT) for k, v in errors.items()})
        return
    ack()
    reply = added_reply(plan, added, user.principal).payload()
    reply.pop("response_type", None)
    client.chat_postEphemeral(channel=metadata.channel, user=user.user_id, **reply)


def _add(
    user: SlackUser, metadata: PlanFormMetadata, values: dict[str, Any]
) -> tuple[RecoveryPlan | None, NewHook | None, dict[str, str]]:
    """The plan with the form's hook added, or errors keyed by block id."""
    try:
        caller = caller_for(user)
        plan = recovery_plans.get_recovery_plan(caller, metadata.planId)  # another account's: not found
        request, added, errors = read_hook_form(values, plan, metadata.version)
        if request is None or added is None:
            return None, None, errors
        return recovery_plans.update_recovery_plan(caller, request, usergroups.group_members), added, {}
    except DomainError as exc:  # a plan changed meanwhile (version), gone, or a guard's refusal
        return None, None, {ids.BLOCK_HOOK_WAVE: exc.message}


def added_reply(plan: RecoveryPlan, added: NewHook, by: str) -> Reply:
    """What the submitter is told: the hook, where it runs, and the plan's new version (plain text)."""
    wave = next(w for w in plan.waves if w.waveNumber == added.wave)
    hook = added.hook
    target = hook.get("functionName") or hook.get("documentName") or ""
    flags = f"timeout {hook.get('timeoutMinutes')} min" + (", optional" if hook.get("optional") else "")
    text = (
        f"{by} added the {hook['type']} hook {hook['name']} ({target}; {flags}) {added.phase} wave "
        f"{wave.waveNumber} ({wave.protectionGroupName}) of {plan.planName}, now version {plan.version}."
    )
    return Reply(text)
