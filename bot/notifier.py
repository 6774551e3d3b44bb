"""The Slack notifier Lambda: SNS execution events -> Slack, for plans with a ``slackChannelId``.

One parent message per execution, kept current with ``chat.update``; each event a reply in its
thread; the pause event a reply with Resume / Cancel buttons. Where the messages are is kept on the
execution item (outside the model), read with the execution once per event
(handlers/events/slack_refs.py). The pause message has this one writer, whichever channel decided:
a counted vote (the ``vote`` event) shows the tally in place, buttons kept; the decision (``resume``,
``cancel``, ``wave_retry``, ``wave_skip``) or the execution's end replaces the buttons with who
decided, how, when and why (the Slack listener only answers the clicker). Nothing here raises out
of the handler: Slack failures are retried or reported (``bot.delivery``), and a bad record is
logged and skipped. Each record is parsed once into the
:class:`~handlers.models.events.ExecutionEvent` the core published."""

from __future__ import annotations

import functools
from typing import Any

from bot import access
from bot.blocks.common import escape, markdown, section
from bot.blocks.events import (
    PAUSE_EVENTS,
    asked_line,
    event_line,
    pause_of,
    pause_outcome,
    reminder_blocks,
    reminder_text,
)
from bot.blocks.executions import (
    Pause,
    date_and_clock,
    decided_blocks,
    mention,
    pause_blocks,
    pause_of_execution,
    status_blocks,
    status_text,
)
from bot.delivery import deliver, web_client
from handlers.accounts.account_context import Caller
from handlers.core.errors import DomainError
from handlers.core.observability import logger, metrics, tracer
from handlers.events import slack_refs
from handlers.models.events import PLAN_EVENTS, ExecutionEvent, ExecutionSnapshot
from handlers.models.execution import Execution
from handlers.plans import recovery_plans

# Votes towards a quorum that did not decide the pause yet (handlers/runs/decisions.py announces them).
VOTE_EVENTS: frozenset[str] = frozenset({"vote"})


@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    done = 0
    for execution_event in execution_events(event):
        try:
            notify(execution_event)
            done += 1
        except DomainError as exc:  # the plan or execution is gone: nothing to show
            logger.warning("slack notification skipped", extra={"reason": exc.message})
    return {"notified": done}


def execution_events(event: dict[str, Any]) -> list[ExecutionEvent]:
    """The execution events in an SNS event (Powertools' ``SnsEnvelope``), one record at a time:
    a record that is not an SNS notification carrying an execution event is logged and skipped."""
    from aws_lambda_powertools.utilities.parser import envelopes  # first use, not cold start
    from pydantic import ValidationError

    parsed: list[ExecutionEvent] = []
    records = event.get("Records") if isinstance(event, dict) else None
    for index, record in enumerate(records if isinstance(records, list) else []):
        try:
            found = envelopes.SnsEnvelope().parse({"Records": [record]}, model=ExecutionEvent)
        except ValidationError as exc:
            fields = sorted({".".join(map(str, e["loc"])) for e in exc.errors(include_input=False)})
            logger.warning("not an execution event; skipped", extra={"record": index, "fields": fields[:10]})
            continue
        parsed.extend(e for e in found if e is not None)
    return parsed


def notify(event: ExecutionEvent) -> None:
    if event.eventType in PLAN_EVENTS:
        post_plan_event(event)
        return
    caller = Caller(account_id=event.accountId, principal="slack-notifier", source="system")
    plan = recovery_plans.get_recovery_plan(caller, event.planId)
    if not plan.slackChannelId:
        return
    execution_id = event.executionId
    stored = slack_refs.posted(execution_id, event.accountId)
    state = ExecutionSnapshot.of(stored.execution) if stored.execution else event  # events may arrive late
    refs = parent_message(execution_id, plan.slackChannelId, state, stored.refs)
    if refs is None:
        return
    channel, parent = refs["slackChannel"], refs["slackParentTs"]
    if event.eventType in PAUSE_EVENTS:
        post_pause(execution_id, refs, event, open_pause(stored.execution, event, plan.approvers))
        return
    if event.eventType in VOTE_EVENTS:
        if refs.get("slackPauseTs"):
            update_votes(execution_id, refs, open_pause(stored.execution, event, plan.approvers))
        return
    if event.eventType == "pause_reminder":
        remind_approvers(refs, open_pause(stored.execution, event, plan.approvers))
        return
    if event.eventType == "cleanup_reminder":
        post_reminder(refs, event)
        return
    line = event_line(event)
    if line:
        asked = asked_line(event)  # mrkdwn: mentions the approvers an unanswered pause asked
        blocks = [section(line).to_dict(), *([markdown(asked).to_dict()] if asked else [])]
        text = f"{escape(line)} {asked}".strip()
        deliver(
            lambda: web_client().chat_postMessage(
                channel=channel, thread_ts=parent, text=text, blocks=blocks
            ),
            channel=channel,
            what="thread reply",
        )
    outcome = pause_outcome(event)
    if outcome and refs.get("slackPauseTs"):
        closed = closed_pause(stored.execution, event)
        close_pause(execution_id, channel, refs["slackPauseTs"], event, outcome, closed)


def post_plan_event(event: ExecutionEvent) -> None:
    """An event about a plan (a policy change): a message of its own in each channel it names."""
    line = event_line(event) or ""
    blocks = [section(line).to_dict()]
    for channel in event.slackChannels:
        text = escape(line)
        post = functools.partial(web_client().chat_postMessage, channel=channel, text=text, blocks=blocks)
        deliver(post, channel=channel, what="plan event")


def parent_message(
    execution_id: str, channel: str, state: ExecutionSnapshot, refs: dict[str, str]
) -> dict[str, str] | None:
    """Post the execution's parent message once (a conditional write picks one poster), else update
    it. ``refs``: where its messages are, as read with the execution."""
    blocks = [b.to_dict() for b in status_blocks(state)]
    text = escape(status_text(state))
    client = web_client()
    if refs.get("slackParentTs"):
        ch, ts = refs["slackChannel"], refs["slackParentTs"]
        deliver(
            lambda: client.chat_update(channel=ch, ts=ts, text=text, blocks=blocks), channel=ch, what="update"
        )
        return refs
    posted = deliver(
        lambda: client.chat_postMessage(channel=channel, text=text, blocks=blocks),
        channel=channel,
        what="post",
    )
    if posted is None:
        return None
    ts = str(posted["ts"])
    if slack_refs.set_slack_refs(execution_id, first_parent=True, slackChannel=channel, slackParentTs=ts):
        return {"slackChannel": channel, "slackParentTs": ts}
    deliver(lambda: client.chat_delete(channel=channel, ts=ts), channel=channel, what="delete duplicate")
    return parent_message(execution_id, channel, state, slack_refs.slack_refs(execution_id))


def open_pause(execution: Execution | None, event: ExecutionEvent, approvers: list[str]) -> Pause:
    """The pause the event is about, with its quorum and votes as stored (the event's own view when
    the execution has moved on, or was not found)."""
    stored = pause_of_execution(execution, sorted(access.decider_ids(approvers))) if execution else None
    return stored if stored is not None and stored.wave_number == event.waveNumber else pause_of(event)


def closed_pause(execution: Execution | None, event: ExecutionEvent) -> Pause:
    """The decided pause as it was: before its wave, or after the wave failed (its failure named),
    from the stored execution (the event's own view when it has none)."""
    wave = event.waveNumber
    named = next((w for w in execution.waves if w.waveNumber == wave), None) if execution and wave else None
    if execution is None or named is None or wave is None:
        return pause_of(event)
    failed = named.status in ("FAILED", "SKIPPED") or bool(named.attempts)
    return Pause(
        execution.planName,
        wave,
        named.protectionGroupName,
        kind=execution.pause_kind(wave, failed=failed),
        message=named.message if failed else "",
    )


def remind_approvers(refs: dict[str, str], pause: Pause) -> None:
    """A pause still open at half (and nine tenths) of its timeout: a thread reply mentioning the
    approvers who have not voted (configured ids, so the mentions are safe to send as mrkdwn)."""
    channel, parent = refs["slackChannel"], refs["slackParentTs"]
    who = " ".join(mention(a) for a in pause.waiting_for) or "approvers"
    until = f" until {date_and_clock(pause.expires_at)}" if pause.expires_at else ""
    plan = escape(pause.plan_name)  # user text; the mentions are configured ids
    line = f"⏰ {who}: wave {pause.wave_number} of {plan} still waits for a decision{until}."
    tally = pause.tally()
    text = f"{line} {tally}".strip()
    deliver(
        lambda: web_client().chat_postMessage(
            channel=channel, thread_ts=parent, text=text, blocks=[section(text).to_dict()]
        ),
        channel=channel,
        what="pause reminder",
    )


def update_votes(execution_id: str, refs: dict[str, str], pause: Pause) -> None:
    """A vote towards the quorum (``eventType: "vote"``, from any channel): the open pause message
    shows it in place, buttons kept ("1 of 2 approvals: @alice (reason) · waiting for @bob")."""
    channel, ts = refs["slackChannel"], refs["slackPauseTs"]
    if refs.get("slackPauseWave") != str(pause.wave_number):
        return
    blocks = [b.to_dict() for b in pause_blocks(pause, execution_id)]
    text = escape(f"{pause.text()} {pause.tally()}".strip())
    deliver(
        lambda: web_client().chat_update(channel=channel, ts=ts, text=text, blocks=blocks),
        channel=channel,
        what="pause votes",
    )


def post_pause(execution_id: str, refs: dict[str, str], event: ExecutionEvent, pause: Pause) -> None:
    """The pause with its buttons, as a thread reply also shown in the channel. A redelivered
    pause event (SNS retries a failed Lambda) updates the message already posted for this wave
    instead of posting a second set of live buttons."""
    channel, parent = refs["slackChannel"], refs["slackParentTs"]
    blocks = [b.to_dict() for b in pause_blocks(pause, execution_id)]
    text = escape(pause.text())
    client = web_client()
    if refs.get("slackPauseTs") and refs.get("slackPauseWave") == str(pause.wave_number):
        ts = refs["slackPauseTs"]
        deliver(
            lambda: client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks),
            channel=channel,
            what="pause message",
        )
        return
    posted = deliver(
        lambda: client.chat_postMessage(
            channel=channel, thread_ts=parent, reply_broadcast=True, text=text, blocks=blocks
        ),
        channel=channel,
        what="pause message",
    )
    if posted is not None:
        slack_refs.set_slack_refs(
            execution_id, slackPauseTs=str(posted["ts"]), slackPauseWave=str(pause.wave_number)
        )


def post_reminder(refs: dict[str, str], event: ExecutionEvent) -> None:
    """The cleanup reminder, a thread reply with its Keep / Clean up buttons."""
    channel, parent = refs["slackChannel"], refs["slackParentTs"]
    blocks = [b.to_dict() for b in reminder_blocks(event)]
    deliver(
        lambda: web_client().chat_postMessage(
            channel=channel, thread_ts=parent, text=escape(reminder_text(event)), blocks=blocks
        ),
        channel=channel,
        what="cleanup reminder",
    )


def close_pause(
    execution_id: str, channel: str, ts: str, event: ExecutionEvent, outcome: str, pause: Pause
) -> None:
    """Buttons replaced by who decided (whichever channel it was), when and why."""
    decided_by_someone = event.eventType in ("resume", "cancel", "wave_retry", "wave_skip")
    why = event.reason if decided_by_someone and event.decidedBy else ""
    blocks = [b.to_dict() for b in decided_blocks(pause, outcome, why)]
    deliver(
        lambda: web_client().chat_update(channel=channel, ts=ts, text=escape(outcome), blocks=blocks),
        channel=channel,
        what="pause update",
    )
    slack_refs.set_slack_refs(execution_id, slackPauseTs=None)
