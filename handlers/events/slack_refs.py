"""Where the Slack notifier posted an execution's messages (``slackChannel``, ``slackParentTs``,
``slackPauseTs`` and the ``slackPauseWave`` it is for), kept on the execution item outside the
model, and the execution itself, read together once per event (bot/notifier.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.models.execution import Execution
from handlers.repositories.executions import ExecutionRepository


@dataclass(frozen=True)
class Posted:
    """The execution as stored (None: not found in the event's account) and where its messages are."""

    execution: Execution | None
    refs: dict[str, str] = field(default_factory=dict)


def posted(execution_id: str, account_id: str) -> Posted:
    """The execution of ``account_id`` and its Slack refs, in one read."""
    stored = ExecutionRepository().get_stored(execution_id)
    if stored is None:
        return Posted(None)
    execution = stored.execution if stored.execution.accountId == account_id else None
    return Posted(execution, stored.slack_refs)


def slack_refs(execution_id: str) -> dict[str, str]:
    """Where the execution's messages are (re-read after losing the race to post its parent)."""
    return ExecutionRepository().slack_refs(execution_id)


def set_slack_refs(execution_id: str, *, first_parent: bool = False, **refs: str | None) -> bool:
    """Record where a message was posted; ``first_parent``: only if no parent message is recorded
    yet (False when another poster was first)."""
    return ExecutionRepository().set_slack_refs(execution_id, first_parent=first_parent, **refs)
