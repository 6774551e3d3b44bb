"""The Slack notifier Lambda: SNS execution events -> Slack, for plans with a ``slackChannelId``.

One parent message per execution, kept current with ``chat.update``; each event a reply in its
thread; the pause event a reply with Resume / Cancel buttons. Where the messages are is kept on the
execution item (outside the model). A pause decided elsewhere (email, API) updates the Slack pause
message when its resume/cancel event arrives. Nothing here raises out of the handler: Slack failures
are retried or reported (``bot.delivery``), and a bad record is logged and skipped."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks.common import escape, section
from bot.blocks.events import event_line, pause_outcome
from bot.blocks.executions import Pause, decided_blocks, pause_blocks, status_blocks, status_text
from bot.delivery import deliver, web_client
from handlers.account_context import Caller
from handlers.errors import DomainError
from handlers.observability import logger, metrics, tracer
from handlers.repositories.executions import ExecutionRepository
from handlers.services import executions, recovery_plans

EVENT_TYPES = frozenset(
    {"start", "pause", "resume", "cancel", "wave_complete", "wave_fail", "complete", "fail", "timeout"}
)


@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    done = 0
    for record in event.get("Records") or []:
        details = _details(record)
        if details is None:
            continue
        try:
            notify(details)
            done += 1
        except DomainError as exc:  # the plan or execution is gone: nothing to show
            logger.warning("slack notification skipped", extra={"reason": exc.message})
    return {"notified": done}


def _details(record: dict[str, Any]) -> dict[str, Any] | None:
    try:
        details = json.loads((record.get("Sns") or {}).get("Message") or "")
    except ValueError:
        logger.warning("not a JSON execution event; skipped")
        return None
    required = ("eventType", "executionId", "planId", "accountId")
    if (
        not isinstance(details, dict)
        or details.get("eventType") not in EVENT_TYPES
        or not all(details.get(k) for k in required)
    ):
        logger.warning("not an execution event; skipped")
        return None
    return details


def notify(details: dict[str, Any]) -> None:
    caller = Caller(account_id=str(details["accountId"]), principal="slack-notifier", source="system")
    plan = recovery_plans.get_recovery_plan(caller, str(details["planId"]))
    if not plan.slackChannelId:
        return
    execution_id = str(details["executionId"])
    refs = parent_message(execution_id, plan.slackChannelId, current_state(caller, details))
    if refs is None:
        return
    channel, parent = refs["slackChannel"], refs["slackParentTs"]
    if details["eventType"] == "pause":
        post_pause(execution_id, refs, details)
        return
    line = event_line(details)
    if line:
        deliver(
            lambda: web_client().chat_postMessage(
                channel=channel, thread_ts=parent, text=escape(line), blocks=[section(line).to_dict()]
            ),
            channel=channel,
            what="thread reply",
        )
    outcome = pause_outcome(details)
    if outcome and refs.get("slackPauseTs"):
        close_pause(execution_id, channel, refs["slackPauseTs"], details, outcome)


def current_state(caller: Caller, details: dict[str, Any]) -> dict[str, Any]:
    """The execution as stored now (events may arrive out of order); the event's view as fallback."""
    try:
        stored = executions.get_execution(caller, str(details["executionId"])).model_dump()
    except DomainError:
        return details
    for wave in stored["waves"]:
        wave["launched"] = sum(1 for s in wave["servers"] if s["launchStatus"] == "LAUNCHED")
        wave["total"] = len(wave["servers"])
    return stored


def parent_message(execution_id: str, channel: str, state: dict[str, Any]) -> dict[str, str] | None:
    """Post the execution's parent message once (a conditional write picks one poster), else update it."""
    repository = ExecutionRepository()
    refs = repository.slack_refs(execution_id)
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
    if repository.set_slack_refs(execution_id, first_parent=True, slackChannel=channel, slackParentTs=ts):
        return {"slackChannel": channel, "slackParentTs": ts}
    deliver(lambda: client.chat_delete(channel=channel, ts=ts), channel=channel, what="delete duplicate")
    return parent_message(execution_id, channel, state)


def _pause(details: dict[str, Any]) -> Pause:
    return Pause(
        plan_name=str(details.get("planName", "")),
        wave_number=int(details.get("waveNumber") or 0),
        group_name=str(details.get("protectionGroupName") or _group_of(details)),
        expires_at=str(details.get("expiresAt", "")),
    )


def _group_of(details: dict[str, Any]) -> str:
    waves = {w.get("waveNumber"): w.get("protectionGroupName", "") for w in details.get("waves") or []}
    return str(waves.get(details.get("waveNumber"), ""))


def post_pause(execution_id: str, refs: dict[str, str], details: dict[str, Any]) -> None:
    """The pause with its buttons, as a thread reply also shown in the channel. A redelivered
    pause event (SNS retries a failed Lambda) updates the message already posted for this wave
    instead of posting a second set of live buttons."""
    pause = _pause(details)
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
        ExecutionRepository().set_slack_refs(
            execution_id, slackPauseTs=str(posted["ts"]), slackPauseWave=str(pause.wave_number)
        )


def close_pause(execution_id: str, channel: str, ts: str, details: dict[str, Any], outcome: str) -> None:
    """Buttons replaced by who decided (whichever channel it was) and when."""
    blocks = [b.to_dict() for b in decided_blocks(_pause(details), outcome)]
    deliver(
        lambda: web_client().chat_update(channel=channel, ts=ts, text=escape(outcome), blocks=blocks),
        channel=channel,
        what="pause update",
    )
    ExecutionRepository().set_slack_refs(execution_id, slackPauseTs=None)
