"""Resume / Cancel on a pause message, Retry / Skip / Cancel on a failed wave's (and on ``/dr status``
and the App Home).

A click opens the reason form at once, in the ack (Slack's trigger id lasts 3 seconds): only for
someone the pause's policy lets take that decision (the policy the pause opened with, read from its
approval: a plan edited since changes nothing; operators may always cancel), only in the account the
channel is bound to (another account's pause is not found). The submission is checked in its ack
(field errors stay on the form: the submitter must be allowed too, and a reason is required where
the pause's ``requireReason`` says so) and decided
lazily through the shared decision service (exactly once across channels).

The pause message itself is the notifier's alone (bot/notifier.py): it shows the tally after a
counted vote (the ``vote`` event) and who decided after the deciding one (``resume``, ``cancel``,
``wave_retry``, ``wave_skip``). Here the clicker is answered: an ephemeral line (or, from the App
Home, the home published again with the line on top) saying what their click or vote did. The
execution and its pause's approval are read once per request and passed along
(handlers/runs/paused.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import access, ids, usergroups
from bot.blocks.approval_form import reason_form
from bot.blocks.common import Reply, clip, escape, section
from bot.blocks.executions import (
    EXPIRED_LINE,
    Pause,
    decision_line,
    markdown_context,
    parse_pause_value,
    pause_of_execution,
)
from bot.identity import SlackUser, person_for, with_email
from bot.listeners.common import Respond, answer, user_from_body
from bot.listeners.home import home_channel, home_note
from bot.names import named
from bot.payloads import PauseFormMetadata, block_actions, pause_form
from handlers.accounts.account_context import Caller
from handlers.core.errors import DomainError, NotFoundError
from handlers.models.approval import OFFERS, Action, Approval, DecisionResult
from handlers.models.execution import Execution
from handlers.pauses.approval_policy import reason_problem
from handlers.pauses.approvals import not_offered_message
from handlers.runs import decisions
from handlers.runs.paused import Paused, read_paused

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
    """The paused execution a click or a form names, read once in the channel's account, and its
    pause's approval (the policy the pause opened with)."""

    caller: Caller
    paused: Paused

    @property
    def execution(self) -> Execution:
        return self.paused.execution

    @property
    def approval(self) -> Approval | None:
        """The open pause's approval (None when no pause waits for a decision)."""
        return self.paused.open

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
    return Target(caller, read_paused(caller, execution_id))


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
    if pause is None:  # decided (or over) already: the clicker is told who decided
        return told(*closed_line(found.execution, wave, found.paused.approval))
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
    if problem:  # a field error is plain text: people by name, never as <@U…> ids
        ack(response_action="errors", errors={ids.BLOCK_REASON: clip(named(problem), ERROR_LIMIT)})
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
        lambda: _decide(user, metadata, reason),
    )


def _decide(user: SlackUser, metadata: PauseFormMetadata, reason: str) -> Reply | None:
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
        paused=found.paused,
    )
    # the pause message follows the event this vote published (bot/notifier.py); the voter is told
    return told(*outcome(result, found, reason))


def outcome(result: DecisionResult, found: Target, reason: str) -> tuple[str, str]:
    """What the voter is told, and the reason shown with it: their decision, their counted vote,
    or the decision that won before it (or that the pause expired)."""
    if result.outcome == "decided":
        return decision_line(result.action, result.decidedBy, result.decidedVia, result.decidedAt), reason
    if result.outcome == "voted":
        return f"Your vote counted: {result.message}.", ""
    recorded = any(d.waveNumber == result.waveNumber for d in found.execution.decisions)
    if result.outcome == "already_decided" and result.decidedBy and not recorded:
        # decided since this request read the pause: the ballot's answer names who
        line = decision_line(
            result.action, result.decidedBy, result.decidedVia, result.decidedAt, already=True
        )
        return line, ""
    return closed_line(found.execution, result.waveNumber, found.paused.approval)


def closed_line(execution: Execution, wave: int, approval: Approval | None = None) -> tuple[str, str]:
    """Who decided the pause before ``wave`` and why (as the execution records it, or as its
    approval does until the record has it), or that it expired undecided."""
    decided = [d for d in execution.decisions if d.waveNumber == wave]
    if decided:
        last = decided[-1]
        line = decision_line(last.action, last.decidedBy, last.channel, last.decidedAt, already=True)
        return line, last.reason
    if (
        approval is not None
        and approval.status != "PENDING"
        and approval.waveNumber == wave
        and approval.decidedBy
    ):
        line = decision_line(
            approval.action, approval.decidedBy, approval.decidedVia, approval.decidedAt, already=True
        )
        return line, ""
    return EXPIRED_LINE, ""


def told(line: str, reason: str) -> Reply:
    """The voter's answer: the line, and the reason shown with it."""
    why = [markdown_context(f"Reason: {escape(reason)}")] if reason else []
    return Reply(line, [section(line), *why])
