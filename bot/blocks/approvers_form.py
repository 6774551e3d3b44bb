"""Who may decide a plan's pauses, as form fields: in ``plan create``'s modal and in the
``/dr plan <name> approvers`` form. Approvers are Slack users (a user picker) and user groups (their
``S…`` ids typed: Block Kit has no user-group picker); the quorum per mode and ``requireReason``
are offered only when the plan model accepts them, and only fields it accepts are sent. Whatever
the plan service still refuses (a 400: an unknown field, a quorum the approvers cannot reach) is
shown on the form's fields."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.common import plain
from handlers.models.recovery_plan import RecoveryPlan

MAX_QUORUM = 10
_GROUP = re.compile(r"^S[A-Z0-9]{2,20}$")
_REASONS = {
    "cancel": "To cancel (default)",
    "always": "To resume and to cancel",
    "never": "Never",
}
QUORUM_BLOCKS = {"drill": ids.BLOCK_QUORUM_DRILL, "recovery": ids.BLOCK_QUORUM_RECOVERY}
FIELD_BLOCKS = {"approvalQuorum": ids.BLOCK_QUORUM_RECOVERY, "requireReason": ids.BLOCK_REQUIRE_REASON}


def accepts(model: type[BaseModel], field: str) -> bool:
    return field in model.model_fields


def _input(block_id: str, label: str, element: Any, hint: str = "") -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=plain(label, 2000),
        element=element,
        optional=True,
        hint=plain(hint, 2000) if hint else None,
    )


def _select(options: Mapping[str, str], initial: str) -> StaticSelectElement:
    choices = [Option(text=plain(label, 75), value=value) for value, label in options.items()]
    picked = next((o for o in choices if o.value == initial), choices[0])
    return StaticSelectElement(action_id=ids.ELEMENT, options=choices, initial_option=picked)


def policy_blocks(plan: RecoveryPlan | None, model: type[BaseModel]) -> list[Block]:
    """The approver fields, filled in from ``plan`` when editing one."""
    approvers = list(plan.approvers) if plan else []
    users = [a for a in approvers if not a.startswith("S")]
    groups = " ".join(a for a in approvers if a.startswith("S"))
    blocks: list[Block] = [
        _input(
            ids.BLOCK_APPROVERS,
            "Approvers",
            UserMultiSelectElement(action_id=ids.ELEMENT, initial_users=users or None),
            "Who may resume or cancel a pause; none: the operators.",
        ),
        _input(
            ids.BLOCK_APPROVER_GROUPS,
            "Approver user groups",
            PlainTextInputElement(
                action_id=ids.ELEMENT, initial_value=groups or None, placeholder="S0123ABCD"
            ),
            "Slack user group ids (S…), separated by spaces; every member may decide.",
        ),
    ]
    if accepts(model, "approvalQuorum"):
        quorum = getattr(plan, "approvalQuorum", None)
        numbers = {str(n): str(n) for n in range(1, MAX_QUORUM + 1)}
        for mode, default in (("drill", 1), ("recovery", 2)):
            current = str(_quorum_of(quorum, mode, default))
            label = f"Approvals needed for a {mode}"
            blocks.append(_input(QUORUM_BLOCKS[mode], label, _select(numbers, current)))
    if accepts(model, "requireReason"):
        current = str(getattr(plan, "requireReason", "cancel"))
        blocks.append(_input(ids.BLOCK_REQUIRE_REASON, "A reason is required", _select(_REASONS, current)))
    return blocks


def _quorum_of(quorum: Any, mode: str, default: int) -> int:
    value = quorum.get(mode) if isinstance(quorum, dict) else getattr(quorum, mode, None)
    return value if isinstance(value, int) else default


def _value(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    return dict((values.get(block_id) or {}).get(ids.ELEMENT) or {})


def read_policy(values: dict[str, Any], model: type[BaseModel]) -> tuple[dict[str, Any], dict[str, str]]:
    """The policy fields the model accepts, from a submitted form; errors keyed by block id."""
    users = list(_value(values, ids.BLOCK_APPROVERS).get("selected_users") or [])
    typed = str(_value(values, ids.BLOCK_APPROVER_GROUPS).get("value") or "")
    groups = [g for g in re.split(r"[\s,]+", typed.strip()) if g]
    errors: dict[str, str] = {}
    bad = [g for g in groups if not _GROUP.match(g)]
    if bad:
        errors[ids.BLOCK_APPROVER_GROUPS] = f"not a user group id (S…): {', '.join(bad)[:100]}"
    fields: dict[str, Any] = {"approvers": users + groups}
    if accepts(model, "approvalQuorum"):
        fields["approvalQuorum"] = {
            mode: int((_value(values, block).get("selected_option") or {}).get("value") or default)
            for (mode, block), default in zip(QUORUM_BLOCKS.items(), (1, 2), strict=True)
        }
    if accepts(model, "requireReason"):
        picked = _value(values, ids.BLOCK_REQUIRE_REASON).get("selected_option") or {}
        fields["requireReason"] = picked.get("value") or "cancel"
    return fields, errors


def block_for(loc: tuple[Any, ...], users: int) -> str | None:
    """The block a validation error of a policy field belongs on (None: not a policy field)."""
    field = str(loc[0]) if loc else ""
    if field == "approvers":
        index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
        return ids.BLOCK_APPROVERS if index < users else ids.BLOCK_APPROVER_GROUPS
    if field == "approvalQuorum" and len(loc) > 1 and str(loc[1]) in QUORUM_BLOCKS:
        return QUORUM_BLOCKS[str(loc[1])]
    return FIELD_BLOCKS.get(field)


def approvers_view(plan: RecoveryPlan, model: type[BaseModel], channel_id: str) -> View:
    """``/dr plan <name> approvers``: the plan's approver fields, saved on submit."""
    metadata = {"channel": channel_id, "planId": plan.planId, "version": plan.version}
    return View(
        type="modal",
        callback_id=ids.PLAN_APPROVERS_VIEW,
        title="Plan approvers",
        submit="Save",
        close="Cancel",
        private_metadata=json.dumps(metadata),
        blocks=policy_blocks(plan, model),
    )
