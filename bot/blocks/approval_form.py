"""The reason form a pause's Resume / Cancel (a failed wave's Retry / Skip / Cancel) button opens
(``views.open`` with the click's trigger id), and the plan's rule for when a reason is required
(``requireReason``: ``"always"``, ``"cancel"`` (the default: cancelling needs one) or ``"never"``)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.common import context, plain, section
from bot.blocks.executions import Pause, markdown_context
from bot.payloads import PauseFormMetadata

REASON_MAX_LENGTH = 1000
_TITLES = {
    "resume": "Resume wave {wave}",
    "cancel": "Cancel the execution",
    "retry": "Retry wave {wave}",
    "skip": "Skip wave {wave}",
}
_SUBMITS = {"resume": "Resume", "cancel": "Cancel execution", "retry": "Retry", "skip": "Skip wave"}
_EFFECTS = {
    "resume": "Your vote resumes the run once the plan's approvals are in; wave {wave} then starts.",
    "cancel": "Cancelling ends the run at once: no further waves start.",
    "retry": "Your vote launches wave {wave}'s failed servers again once the plan's approvals are in.",
    "skip": "Your vote marks wave {wave} SKIPPED once the plan's approvals are in; the next wave then runs.",
}


def require_reason(plan: Any) -> str:
    """The plan's ``requireReason`` (read loosely: plans stored before the field existed have none)."""
    policy = getattr(plan, "requireReason", "cancel")
    return policy if policy in ("always", "cancel", "never") else "cancel"


def reason_required(plan: Any, action: str) -> bool:
    policy = require_reason(plan)
    return policy == "always" or (policy == "cancel" and action == "cancel")


def reason_form(pause: Pause, metadata: PauseFormMetadata, *, required: bool) -> View:
    """The modal: what is being decided, the votes so far, and the reason field."""
    action = metadata.action
    tally = pause.tally()
    hint = (
        "Required by this plan." if required else "Optional. Stored with your decision and shown to everyone."
    )
    field = PlainTextInputElement(
        action_id=ids.ELEMENT,
        multiline=True,
        max_length=REASON_MAX_LENGTH,
        placeholder="Why?" if required else "Why? (optional)",
    )
    blocks: list[Block] = [
        section(pause.text()),
        *([markdown_context(tally)] if tally else []),
        context(_EFFECTS[action].format(wave=pause.wave_number)),
        InputBlock(
            block_id=ids.BLOCK_REASON,
            label=plain("Reason", 2000),
            element=field,
            hint=plain(hint, 2000),
            optional=not required,
        ),
    ]
    return View(
        type="modal",
        callback_id=ids.APPROVAL_REASON_VIEW,
        title=_TITLES[action].format(wave=pause.wave_number)[:24],
        submit=_SUBMITS[action],
        close="Back",
        private_metadata=metadata.model_dump_json(),
        blocks=blocks,
    )
