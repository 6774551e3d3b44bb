"""The ``plan create`` modal: building it, reading a submission, and errors per field.

Waves are ordered slots: slot n picks the group of wave n and has its own "pause before" checkbox.
Picked slots are numbered in order (an empty slot in between is skipped). A slot's group picker is
an external select: Slack asks the options listener (``bot.listeners.options``) for the groups
matching what the user types, at most 100 at a time, so every group of the account can be picked
(a static select stops at 100 options)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError as PydanticValidationError
from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.approvers_form import block_for, policy_blocks, read_policy
from bot.blocks.common import context, plain
from handlers.models.protection_group import ProtectionGroup
from handlers.models.recovery_plan import RecoveryPlanCreate

MAX_WAVES = 10
MAX_OPTIONS = 100  # Slack's limit for the options of one select (and of one options response)
OPTION_TEXT_LIMIT = 75
_FIELD_BLOCKS = {
    "planName": ids.BLOCK_PLAN_NAME,
    "description": ids.BLOCK_DESCRIPTION,
    "notificationEmail": ids.BLOCK_EMAIL,
}


def plan_create_view(groups: list[ProtectionGroup], channel_id: str) -> View:
    """The form; one wave slot per group, up to ``MAX_WAVES``."""
    blocks: list[Block] = [
        _input(ids.BLOCK_PLAN_NAME, "Name", PlainTextInputElement(action_id=ids.ELEMENT, max_length=255)),
        _input(
            ids.BLOCK_DESCRIPTION,
            "Description",
            PlainTextInputElement(action_id=ids.ELEMENT, multiline=True, max_length=1000),
            optional=True,
        ),
    ]
    for number in range(1, min(len(groups), MAX_WAVES) + 1):
        select = ExternalDataSelectElement(
            action_id=ids.WAVE_GROUP, placeholder="Type to find a protection group", min_query_length=0
        )
        blocks.append(_input(ids.wave_block(number), f"Wave {number}", select, optional=number > 1))
        pause = CheckboxesElement(
            action_id=ids.ELEMENT, options=[Option(text=plain(f"Pause before wave {number}"), value="pause")]
        )
        blocks.append(_input(ids.pause_block(number), f"Wave {number} pause", pause, optional=True))
    if len(groups) > MAX_OPTIONS:
        blocks.append(context(f"{len(groups)} groups: type part of a name or id to find one."))
    blocks += [
        _input(
            ids.BLOCK_EMAIL, "Notification email", PlainTextInputElement(action_id=ids.ELEMENT), optional=True
        ),
        *policy_blocks(None, RecoveryPlanCreate),
    ]
    return View(
        type="modal",
        callback_id=ids.PLAN_CREATE_VIEW,
        title="New recovery plan",
        submit="Create",
        close="Cancel",
        private_metadata=channel_id,
        blocks=blocks,
    )


def group_options(groups: list[ProtectionGroup], typed: str) -> list[Option]:
    """The picker's options: groups whose name or id contains ``typed`` (any case), by name, at
    most ``MAX_OPTIONS``."""
    wanted = typed.strip().casefold()
    found = [g for g in groups if wanted in g.groupName.casefold() or wanted in g.groupId.casefold()]
    found.sort(key=lambda g: (g.groupName.casefold(), g.groupId))
    return [Option(text=plain(g.groupName, OPTION_TEXT_LIMIT), value=g.groupId) for g in found[:MAX_OPTIONS]]


def _input(block_id: str, label: str, element: Any, *, optional: bool = False) -> InputBlock:
    return InputBlock(block_id=block_id, label=plain(label, 2000), element=element, optional=optional)


def _value(values: dict[str, Any], block_id: str, action_id: str = ids.ELEMENT) -> dict[str, Any]:
    return dict((values.get(block_id) or {}).get(action_id) or {})


def read_submission(
    values: dict[str, Any], channel_id: str
) -> tuple[RecoveryPlanCreate | None, dict[str, str]]:
    """The request the modal describes, or errors keyed by block id (Slack shows them on the fields)."""
    waves, slots, errors = _waves(values)
    policy, policy_errors = read_policy(values, RecoveryPlanCreate)
    errors.update(policy_errors)
    body = {
        "planName": _value(values, ids.BLOCK_PLAN_NAME).get("value") or "",
        "description": _value(values, ids.BLOCK_DESCRIPTION).get("value") or "",
        "notificationEmail": (_value(values, ids.BLOCK_EMAIL).get("value") or "").strip(),
        **policy,
        "waves": waves,
        "slackChannelId": channel_id,
    }
    if errors:
        return None, errors
    try:
        return RecoveryPlanCreate.model_validate(body), {}
    except PydanticValidationError as exc:
        users = len(_value(values, ids.BLOCK_APPROVERS).get("selected_users") or [])
        for error in exc.errors():
            block = block_for(error["loc"], users) or _block_for(error["loc"], slots)
            errors.setdefault(block, str(error["msg"]).removeprefix("Value error, "))
        return None, errors


def _waves(values: dict[str, Any]) -> tuple[list[dict[str, Any]], list[int], dict[str, str]]:
    waves: list[dict[str, Any]] = []
    slots: list[int] = []
    errors: dict[str, str] = {}
    seen: dict[str, int] = {}
    for number in range(1, MAX_WAVES + 1):
        picked = _value(values, ids.wave_block(number), ids.WAVE_GROUP).get("selected_option")
        group = (picked or {}).get("value")
        if not group:
            continue
        if group in seen:
            errors[ids.wave_block(number)] = (
                f"this group is already wave {seen[group]}; a group runs in one wave"
            )
            continue
        seen[group] = number
        paused = bool(_value(values, ids.pause_block(number)).get("selected_options"))
        waves.append(
            {"waveNumber": len(waves) + 1, "protectionGroupId": group, "pauseBeforeExecution": paused}
        )
        slots.append(number)
    if not waves:
        errors[ids.wave_block(1)] = "pick the protection group of the first wave"
    return waves, slots, errors


def _block_for(loc: tuple[Any, ...], slots: list[int]) -> str:
    field = str(loc[0]) if loc else ""
    if field == "waves":
        index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
        return ids.wave_block(slots[index] if index < len(slots) else 1)
    return _FIELD_BLOCKS.get(field, ids.BLOCK_PLAN_NAME)
