"""The "Add a hook" form under ``/dr plan <name> hooks`` (docs/hooks.md): an operator adds a
``lambda`` or ``ssmAutomation`` hook to one wave of a plan.

Block Kit input fields cannot change with the type picked, so the form has both a function field
(``lambda``) and a document field (``ssmAutomation``); the one the other type needs must stay empty.
One JSON field is a ``lambda`` hook's ``payload`` or an ``ssmAutomation`` hook's ``parameters``.

A submission is read into the plan's whole ``waves`` with the new hook appended to the chosen wave
and side, as a :class:`RecoveryPlanUpdate`, so the same pydantic models the API uses judge it (the
hook's fields, the names unique in a wave, 10 a side, the run's history budget); each error is shown
on the form field it is about, naming the field (``functionName: must match …``). Saving it is the
listener's (bot/listeners/hook_form.py), through the plan service the API uses.

Names, payloads and messages are user text: the form shows them in ``plain_text`` objects only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError as PydanticValidationError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.common import plain
from handlers.models.hooks import MAX_HOOKS_PER_PHASE, Phase
from handlers.models.recovery_plan import RecoveryPlan, RecoveryPlanUpdate

FormType = Literal["lambda", "ssmAutomation"]
TYPES: dict[str, str] = {
    "lambda": "lambda: invoke a function",
    "ssmAutomation": "ssmAutomation: run an SSM Automation",
}
PHASES: dict[str, str] = {
    "after": "after: once the wave's servers launched",
    "before": "before: before the wave's servers launch",
}
DEFAULT_TIMEOUT = 15
OPTION_TEXT_LIMIT = 75
JSON_LIMIT = 3000  # Slack's limit for a plain-text input
# The form field each hook field is entered in.
FIELD_BLOCKS: dict[str, str] = {
    "name": ids.BLOCK_HOOK_NAME,
    "type": ids.BLOCK_HOOK_TYPE,
    "functionName": ids.BLOCK_HOOK_FUNCTION,
    "documentName": ids.BLOCK_HOOK_DOCUMENT,
    "payload": ids.BLOCK_HOOK_JSON,
    "parameters": ids.BLOCK_HOOK_JSON,
    "timeoutMinutes": ids.BLOCK_HOOK_TIMEOUT,
    "optional": ids.BLOCK_HOOK_OPTIONAL,
}


def add_hook_button(plan_id: str) -> Block:
    """Under ``/dr plan <name> hooks``; operators only (checked when pressed); value = the plan id."""
    return ActionsBlock(
        elements=[ButtonElement(text="Add a hook", action_id=ids.HOOK_ADD, value=plan_id[:2000])]
    )


def hook_form_view(plan: RecoveryPlan, channel_id: str) -> View:
    """The form for ``plan``'s waves, remembering the channel (its account), the plan and the
    version it was filled in from: a plan changed meanwhile is a conflict, not overwritten."""
    waves = [
        Option(
            text=plain(f"Wave {w.waveNumber} ({w.protectionGroupName})", OPTION_TEXT_LIMIT),
            value=str(w.waveNumber),
        )
        for w in plan.waves
    ]
    metadata = {"channel": channel_id, "planId": plan.planId, "version": plan.version}
    blocks: list[Block] = [
        _input(ids.BLOCK_HOOK_WAVE, "Wave", _select(waves)),
        _input(ids.BLOCK_HOOK_PHASE, "When", _select(_options(PHASES))),
        _input(ids.BLOCK_HOOK_TYPE, "Type", _select(_options(TYPES))),
        _input(
            ids.BLOCK_HOOK_NAME,
            "Name",
            PlainTextInputElement(action_id=ids.ELEMENT, max_length=64, placeholder="db answers"),
            hint="Letters, digits, spaces and ._- ; unique in its wave.",
        ),
        _input(
            ids.BLOCK_HOOK_FUNCTION,
            "Function name (lambda)",
            PlainTextInputElement(
                action_id=ids.ELEMENT, max_length=64, placeholder="drs-chatops-hook-db-ping"
            ),
            optional=True,
            hint="A lambda hook's function in the plan's account, matching the HookFunctionPattern.",
        ),
        _input(
            ids.BLOCK_HOOK_DOCUMENT,
            "Document name (ssmAutomation)",
            PlainTextInputElement(
                action_id=ids.ELEMENT, max_length=128, placeholder="drs-chatops-smoke-test"
            ),
            optional=True,
            hint="An ssmAutomation hook's document: AWS-owned or matching the HookDocumentPattern.",
        ),
        _input(
            ids.BLOCK_HOOK_JSON,
            "Payload (lambda) or parameters (ssmAutomation), JSON",
            PlainTextInputElement(
                action_id=ids.ELEMENT,
                multiline=True,
                max_length=JSON_LIMIT,
                placeholder='{"database": "orders"}',
            ),
            optional=True,
            hint='A JSON object; parameters map names to lists of strings ("{{instanceIds}}": its instances)',
        ),
        _input(
            ids.BLOCK_HOOK_TIMEOUT,
            "Timeout (minutes)",
            NumberInputElement(
                action_id=ids.ELEMENT,
                is_decimal_allowed=False,
                initial_value=str(DEFAULT_TIMEOUT),
                min_value="1",
                max_value="120",
            ),
            hint="1-120; a lambda hook at most 15.",
        ),
        _input(
            ids.BLOCK_HOOK_OPTIONAL,
            "Optional",
            CheckboxesElement(
                action_id=ids.ELEMENT,
                options=[
                    Option(text=plain("Optional: a failure is reported, the wave goes on"), value="optional")
                ],
            ),
            optional=True,
        ),
    ]
    return View(
        type="modal",
        callback_id=ids.HOOK_FORM_VIEW,
        title="Add a hook",
        submit="Add",
        close="Cancel",
        private_metadata=json.dumps(metadata),
        blocks=blocks,
    )


@dataclass(frozen=True)
class NewHook:
    """What the form adds: the hook (as the model reads it), to which wave and side."""

    wave: int
    phase: Phase
    hook: dict[str, Any]


def read_hook_form(
    values: dict[str, Any], plan: RecoveryPlan, version: int
) -> tuple[RecoveryPlanUpdate | None, NewHook | None, dict[str, str]]:
    """The plan update the submitted form asks for (``plan``'s waves with the new hook appended, at
    the form's ``version``) and the hook, or errors keyed by block id, each naming its field."""
    new, errors = _new_hook(values, plan)
    if new is None or errors:
        return None, None, errors
    waves = [w.model_dump(mode="json", exclude_none=True) for w in plan.waves]
    index = next(i for i, w in enumerate(plan.waves) if w.waveNumber == new.wave)
    hooks = waves[index].setdefault("hooks", {"before": [], "after": []})
    side = hooks.setdefault(new.phase, [])
    side.append(new.hook)
    try:
        request = RecoveryPlanUpdate.model_validate(
            {"planId": plan.planId, "version": version, "waves": waves}
        )
    except PydanticValidationError as exc:
        at = ("waves", index, "hooks", new.phase, len(side) - 1)
        for error in exc.errors():
            block, text = _error_for(tuple(error["loc"]), str(error["msg"]).removeprefix("Value error, "), at)
            errors.setdefault(block, text)
        return None, None, errors
    return request, new, {}


def _new_hook(values: dict[str, Any], plan: RecoveryPlan) -> tuple[NewHook | None, dict[str, str]]:
    errors: dict[str, str] = {}
    wave = _selected(values, ids.BLOCK_HOOK_WAVE)
    if not any(str(w.waveNumber) == wave for w in plan.waves):
        errors[ids.BLOCK_HOOK_WAVE] = "pick one of the plan's waves"
    phase: Phase = "before" if _selected(values, ids.BLOCK_HOOK_PHASE) == "before" else "after"
    kind: FormType = (
        "ssmAutomation" if _selected(values, ids.BLOCK_HOOK_TYPE) == "ssmAutomation" else "lambda"
    )
    hook: dict[str, Any] = {"name": _typed(values, ids.BLOCK_HOOK_NAME), "type": kind}
    timeout = _typed(values, ids.BLOCK_HOOK_TIMEOUT) or str(DEFAULT_TIMEOUT)
    try:
        hook["timeoutMinutes"] = int(timeout)
    except ValueError:
        errors[ids.BLOCK_HOOK_TIMEOUT] = "timeoutMinutes: a whole number of minutes, 1-120"
    hook["optional"] = bool(_value(values, ids.BLOCK_HOOK_OPTIONAL).get("selected_options"))
    function, document = _typed(values, ids.BLOCK_HOOK_FUNCTION), _typed(values, ids.BLOCK_HOOK_DOCUMENT)
    if kind == "lambda":
        hook["functionName"] = function
        if document:
            errors[ids.BLOCK_HOOK_DOCUMENT] = (
                "documentName: only an ssmAutomation hook runs a document; leave it empty"
            )
    else:
        hook["documentName"] = document
        if function:
            errors[ids.BLOCK_HOOK_FUNCTION] = (
                "functionName: only a lambda hook invokes a function; leave it empty"
            )
    field = "payload" if kind == "lambda" else "parameters"
    parsed, problem = _json_object(_typed(values, ids.BLOCK_HOOK_JSON), field)
    if problem:
        errors[ids.BLOCK_HOOK_JSON] = problem
    elif parsed is not None:
        hook[field] = parsed
    if errors:
        return None, errors
    return NewHook(wave=int(wave), phase=phase, hook=hook), {}


def _json_object(typed: str, field: str) -> tuple[dict[str, Any] | None, str]:
    if not typed:
        return None, ""
    try:
        parsed = json.loads(typed)
    except json.JSONDecodeError as exc:
        return None, f"{field}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    except RecursionError:
        return None, f"{field}: nested too deeply"
    if not isinstance(parsed, dict):
        return None, f"{field}: must be a JSON object ({{...}})"
    return parsed, ""


def _error_for(loc: tuple[Any, ...], message: str, new: tuple[Any, ...]) -> tuple[str, str]:
    """The block an error of the plan update belongs on, and its text naming the field."""
    if loc[: len(new)] == new:  # the new hook itself: (…, <type tag>, field, …)
        rest = [str(p) for p in loc[len(new) :] if str(p) not in TYPES]
        if not rest:  # a rule of the whole hook (a lambda hook's timeout): the field it names
            field = next((f for f in FIELD_BLOCKS if message.startswith(f)), "name")
            return FIELD_BLOCKS[field], message
        return FIELD_BLOCKS.get(rest[0], ids.BLOCK_HOOK_NAME), f"{'.'.join(rest)}: {message}"
    side = new[:4]
    if loc == side:  # too many hooks on that side of the wave
        return ids.BLOCK_HOOK_PHASE, f"{side[3]}: {message} (at most {MAX_HOOKS_PER_PHASE} a side)"
    if loc == side[:3]:  # a rule of the wave's hooks: names unique within it
        return ids.BLOCK_HOOK_NAME, f"name: {message}"
    if loc == ("waves",):  # the run's history budget: the hooks' timeouts
        return ids.BLOCK_HOOK_TIMEOUT, f"waves: {message}"
    return ids.BLOCK_HOOK_WAVE, f"{'.'.join(str(p) for p in loc)}: {message}"


def _options(labels: dict[str, str]) -> list[Option]:
    return [Option(text=plain(label, OPTION_TEXT_LIMIT), value=value) for value, label in labels.items()]


def _select(options: list[Option]) -> StaticSelectElement:
    return StaticSelectElement(
        action_id=ids.ELEMENT, options=options, initial_option=options[0] if options else None
    )


def _input(block_id: str, label: str, element: Any, *, optional: bool = False, hint: str = "") -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=plain(label, 2000),
        element=element,
        optional=optional,
        hint=plain(hint, 2000) if hint else None,
    )


def _value(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    return dict((values.get(block_id) or {}).get(ids.ELEMENT) or {})


def _selected(values: dict[str, Any], block_id: str) -> str:
    return str((_value(values, block_id).get("selected_option") or {}).get("value") or "")


def _typed(values: dict[str, Any], block_id: str) -> str:
    return str(_value(values, block_id).get("value") or "").strip()
