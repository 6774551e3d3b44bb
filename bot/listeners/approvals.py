"""Resume / Cancel on a pause message, Retry / Skip / Cancel on a failed wave's (and on ``/dr status``
and the App Home).

A click opens the reason form at once, in the ack (Slack's trigger id lasts 3 seconds): only for
someone the pause's policy lets take that decision (the policy the pause opened with, read from its
approval: a plan edited since changes nothing; operators may always cancel), only in the account the
channel is bound to (another account's pause is not found). The submission is checked in its ack
(field errors stay on the form: the submitter must be allowed too, and a reason is required where
the pause's ``requireReason`` says so) and decided
lazily through the shared decision service (exactly once across channels). The pause message is
then updated in place: still open with the votes so far, or closed with who, how, when and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import access, ids, usergroups
from bot.blocks.approval_form import reason_form
from bot.blocks.common import Reply, clip, escape
from bot.blocks.executions import (
    EXPIRED_LINE,
    Pause,
    decided_blocks,
    decision_line,
    parse_pause_value,
    pause_blocks,
    pause_of_execution,
)
from bot.identity import SlackUser, person_for, with_email
from bot.listeners.common import Respond, answer, user_from_body
from bot.listeners.home import home_channel, home_note, publish_home
from bot.payloads import PauseFormMetadata, block_actions, pause_form
from handlers.accounts.account_context import Caller
from handlers.core.errors import DomainError, NotFoundError
from handlers.core.observability import logger
from handlers.models.approval import OFFERS, Action, Approval, DecisionResult
from handlers.models.execution import Execution
from handlers.pauses.approval_policy import reason_problem
from handlers.pauses.approvals import not_offered_message, pending_approval
from handlers.runs import decisions, executions

# The buttons of a pause (Resume / Cancel) and of a failed wave's (Retry / Skip / Cancel): each opens
# the reason form for its decision.
VERBS: dict[str, Action] = {
    ids.APPROVAL_RESUME: "resume",
    ids.APPROVAL_CANCEL: "cancel",
    ids.WAVE_RETRY: "retry",
    ids.WAVE_SKIP: "skip",
}
STALE_FORM = "This form no longer names a pause; close it and click the pause's button again."
ERROR_LIMIT = 300


def register(app: App) -> None:
    for action_id in VERBS:
        app.action(action_id)(open_form)
    app.view(ids.APPROVAL_REASON_VIEW)(ack=check_form, lazy=[decide_form])


@dataclass(frozen=True)
class Target:
    """The paused execution a click or a form names, read in the channel's account, and its open
    pause's approval (the policy the pause opened with; None when no pause is open)."""

    caller: Caller
    execution: Execution
    approval: Approval | None

    def open_pause(self, wave: int) -> Pause | None:
        if self.approval is None or self.approval.waveNumber != wave:
            return None
        pause = pause_of_execution(self.execution, access.pause_deciders(self.approval))
        return pause if pause is not None and pause.wave_number == wave else None

    def refusal(self, action: str) -> str | None:
        """Why this Slack user may not take ``action`` on the open pause (None: they may, or no pause
        is open and the click shows who decided it)."""
        if self.approval is None:
            return None
        return access.pause_refusal(self.caller, self.approval, action)

    def reason_required(self, action: str) -> bool:
        return self.approval is not None and reason_problem(self.approval, action, "") is not None


def target(user: SlackUser, execution_id: str) -> Target:
    caller = person_for(user)  # a vote: the user as a person (the email Slack reports for them)
    execution = executions.get_execution(caller, execution_id)
    return Target(caller, execution, pending_approval(execution))


# --- the click ---


def open_form(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    ack()
    container = block_actions(body).container
    in_home = container is not None and container.type == "view"
    user = user_from_body(body, home_channel(str(action.get("block_id", ""))) if in_home else "")
    if in_home:  # a home tab has no response_url: what the click answers is shown on the home
        respond = home_note(client, user.user_id)
    verb = VERBS.get(str(action.get("action_id")), "cancel")
    answer(respond, lambda: _open_form(user, verb, str(action.get("value", "")), body, client))


def _open_form(
    user: SlackUser, verb: Action, value: str, body: dict[str, Any], client: WebClient
) -> Reply | None:
    named = parse_pause_value(value)
    if named is None:
        raise NotFoundError(
            f"This button does not name a pause (it may be from an older message): {user.command} status "
            "<executionId> shows an open pause with fresh buttons"
        )
    execution_id, wave = named
    found = target(user, execution_id)
    refusal = found.refusal(verb)
    if refusal:
        return Reply.refusal(refusal)
    clicked = block_actions(body)
    container = clicked.container
    metadata = PauseFormMetadata(
        channel=user.channel_id,
        executionId=execution_id,
        wave=wave,
        action=verb,
        ts=container.message_ts if container else "",
        ephemeral=bool(container and container.is_ephemeral),
        home=bool(container and container.type == "view"),
    )
    pause = found.open_pause(wave)
    if pause is None:  # decided (or over) already: say so where the button was
        line, reason = closed_line(found.execution, wave)
        blocks = decided_blocks(_closed_pause(found, wave), line, reason)
        return show(client, metadata, blocks, line, user.user_id)
    if verb not in OFFERS[pause.kind]:  # e.g. a Resume value replayed on a failed wave's pause
        return Reply(not_offered_message(pause.kind, wave, verb))
    form = reason_form(pause, metadata, required=found.reason_required(verb))
    try:
        client.views_open(trigger_id=clicked.trigger_id, view=form)
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error"))
        return Reply(f"Slack did not open the reason form ({error}); click {verb.title()} again.")
    return None


# --- the submission ---


def check_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Field errors in the ack, so the form stays open and says what to fix."""
    metadata, reason, problem = pause_form(view)
    if metadata is None:
        problem = STALE_FORM
    elif problem:
        problem = f"The reason {problem}."
    else:
        try:
            problem = form_problem(user_from_body(body, metadata.channel), metadata, reason)
        except DomainError as exc:
            problem = exc.message
    if problem:
        ack(response_action="errors", errors={ids.BLOCK_REASON: clip(problem, ERROR_LIMIT)})
    else:
        ack()


def form_problem(
    user: SlackUser, metadata: PauseFormMetadata, reason: str, found: Target | None = None
) -> str | None:
    """Why this submitter may not decide with this reason: who may, checked again (the submitter,
    who may not be who clicked), and the pause's ``requireReason``."""
    found = found or target(user, metadata.executionId)
    refusal = found.refusal(metadata.action)
    if refusal:
        return refusal
    if not reason and found.reason_required(metadata.action):
        return f"This pause asks for a reason to {metadata.action} (the plan's requireReason)."
    return None


def decide_form(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
    metadata, reason, problem = pause_form(view)
    if metadata is None or problem:
        return  # the ack showed why
    user = user_from_body(body, metadata.channel)

    def post(**reply: Any) -> None:
        reply.pop("response_type", None)
        client.chat_postEphemeral(channel=metadata.channel, user=user.user_id, **reply)

    # from the App Home, the answer (e.g. a refusal of the decision) is shown on the home instead
    answer(
        home_note(client, user.user_id) if metadata.home else post,
        lambda: _decide(user, metadata, reason, client),
    )


def _decide(user: SlackUser, metadata: PauseFormMetadata, reason: str, client: WebClient) -> Reply | None:
    try:
        found = target(user, metadata.executionId)
        if form_problem(user, metadata, reason, found):
            return None  # the ack showed why
    except DomainError:
        return None  # the ack showed why
    result = decisions.decide_pause(
        with_email(found.caller),  # one person, one vote, in Slack and through the API
        metadata.executionId,
        metadata.wave,
        metadata.action,
        reason=reason,
        group_members=usergroups.group_members,
        execution=found.execution,
    )
    if result.outcome == "decided":  # this vote decided: the pause as read just before it, closed
        line = decision_line(result.action, result.decidedBy, result.decidedVia, result.decidedAt)
        return show(
            client,
            metadata,
            decided_blocks(_closed_pause(found, metadata.wave), line, reason),
            line,
            user.user_id,
        )
    execution = executions.get_execution(found.caller, metadata.executionId)
    after = Target(found.caller, execution, pending_approval(execution))
    pause = after.open_pause(metadata.wave)
    if pause is not None:  # a vote towards the quorum: the message shows it, with its buttons
        blocks = pause_blocks(pause, metadata.executionId)
        return show(client, metadata, blocks, f"{pause.text()} {pause.tally()}".strip(), user.user_id)
    line, why = outcome(result, after.execution, reason)
    blocks = decided_blocks(_closed_pause(after, metadata.wave), line, why)
    return show(client, metadata, blocks, line, user.user_id)


def outcome(result: DecisionResult, execution: Execution, reason: str) -> tuple[str, str]:
    """The closed pause's line and reason: this decision's, or the one that won before it."""
    if result.outcome == "decided":
        return decision_line(result.action, result.decidedBy, result.decidedVia, result.decidedAt), reason
    return closed_line(execution, result.waveNumber)


def closed_line(execution: Execution, wave: int) -> tuple[str, str]:
    """Who decided the pause before ``wave`` and why, or that it expired undecided."""
    decided = [d for d in execution.decisions if d.waveNumber == wave]
    if not decided:
        return EXPIRED_LINE, ""
    last = decided[-1]
    return decision_line(last.action, last.decidedBy, last.channel, last.decidedAt, already=True), last.reason


def _closed_pause(found: Target, wave: int) -> Pause:
    """The decided pause as it was: before the wave, or after it failed (its failed servers named)."""
    named = next((w for w in found.execution.waves if w.waveNumber == wave), None)
    if named is None:
        return Pause(found.execution.planName, wave, "")
    failed = named.status in ("FAILED", "SKIPPED") or bool(named.attempts)
    return Pause(
        found.execution.planName,
        wave,
        named.protectionGroupName,
        kind=found.execution.pause_kind(wave, failed=failed),
        message=named.message if failed else "",
    )


def show(
    client: WebClient, metadata: PauseFormMetadata, blocks: list[Any], line: str, user_id: str
) -> Reply | None:
    """Update the pause message in place; an ephemeral one (``/dr status``) cannot be updated, so
    the line is the answer instead (as it is when Slack refuses the update: the decision stands).
    From the App Home, the home is published again with the line on top."""
    if metadata.home:
        publish_home(client, user_id, escape(line))
        return None
    if metadata.ephemeral or not metadata.ts:
        return Reply(line)
    try:
        client.chat_update(
            channel=metadata.channel,
            ts=metadata.ts,
            text=escape(line),
            blocks=[b.to_dict() for b in blocks],
        )
    except SlackClientError as exc:
        logger.warning("pause message not updated", extra={"error": type(exc).__name__})
        return Reply(line)
    return None
