"""What Slack's Web API refuses, checked before the fake Slack records anything.

Used by the sandbox's fake Slack (:mod:`sandbox.emulators.slack_fake`) and, through it, by the tests' fake
(``tests/support/fake_slack.py``): one set of rules. Two layers, both applied:

1. ``slack_sdk.models``: every block is parsed with ``Block.parse`` (a view with ``View``) and
   validated (``validate_json`` and ``to_dict``, which validate nested objects too). An unknown block
   type parses to nothing and is refused.
2. Slack's documented limits, from the Block Kit reference (``docs.slack.dev/reference/block-kit``),
   in the tables below: counts of blocks, elements, options and fields, and text lengths.

``check(method, args, channel_exists)`` returns Slack's error code (``invalid_blocks``,
``invalid_arguments`` for a view (a modal or home tab over 100 blocks, a title over 24 characters,
private_metadata over 3000, a modal given to ``views.publish``), ``invalid_trigger_id``,
``msg_too_long``, ``no_text``, ``channel_not_found``) with the
messages Slack would put in ``response_metadata``, or None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_TEXT_LIMIT = 40_000
BLOCKS_PER_MESSAGE = 50
BLOCKS_PER_VIEW = 100  # modal and home tab

# type -> field -> max characters (of a string field, or of a text object's ``text``)
CHARS: dict[str, dict[str, int]] = {
    "section": {"text": 3000, "block_id": 255},
    "header": {"text": 150, "block_id": 255},
    "context": {"block_id": 255},
    "actions": {"block_id": 255},
    "divider": {"block_id": 255},
    "image": {"alt_text": 2000, "image_url": 3000, "title": 2000, "block_id": 255},
    "input": {"label": 2000, "hint": 2000, "block_id": 255},
    "button": {"text": 75, "value": 2000, "url": 3000, "action_id": 255},
    "static_select": {"placeholder": 150, "action_id": 255},
    "multi_static_select": {"placeholder": 150, "action_id": 255},
    "external_select": {"placeholder": 150, "action_id": 255},
    "multi_external_select": {"placeholder": 150, "action_id": 255},
    "users_select": {"placeholder": 150, "action_id": 255},
    "multi_users_select": {"placeholder": 150, "action_id": 255},
    "conversations_select": {"placeholder": 150, "action_id": 255},
    "channels_select": {"placeholder": 150, "action_id": 255},
    "overflow": {"action_id": 255},
    "checkboxes": {"action_id": 255},
    "radio_buttons": {"action_id": 255},
    "plain_text_input": {"placeholder": 150, "action_id": 255, "initial_value": 3000},
    "plain_text": {"text": 3000},
    "mrkdwn": {"text": 3000},
}
# type -> list field -> max items
COUNTS: dict[str, dict[str, int]] = {
    "section": {"fields": 10},
    "actions": {"elements": 25},
    "context": {"elements": 10},
    "static_select": {"options": 100, "option_groups": 100},
    "multi_static_select": {"options": 100, "option_groups": 100},
    "overflow": {"options": 5},
    "checkboxes": {"options": 10},
    "radio_buttons": {"options": 10},
}
SECTION_FIELD_CHARS = 2000
OPTION_CHARS = {"text": 75, "value": 150, "description": 75}
CONFIRM_CHARS = {"title": 100, "text": 300, "confirm": 30, "deny": 30}
VIEW_CHARS = {"title": 24, "submit": 24, "close": 24, "private_metadata": 3000, "callback_id": 255}
PLAIN_TEXT_INPUT_MAX_LENGTH = 3000

_MESSAGE_METHODS = ("chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage")
_CHANNEL_METHODS = (*_MESSAGE_METHODS, "chat.delete")
_VIEW_METHODS = ("views.open", "views.push", "views.update", "views.publish")


Refusal = tuple[str, list[str]]  # Slack's error code, and the messages of its response_metadata


def check(method: str, args: dict[str, Any], channel_exists: Callable[[str], bool]) -> Refusal | None:
    """Slack's refusal of this Web API call, or None when Slack would accept it. Slack answers a
    bad view with ``invalid_arguments`` (messages name what is wrong), bad message blocks with
    ``invalid_blocks``."""
    if method in _CHANNEL_METHODS and not channel_exists(str(args.get("channel") or "")):
        return "channel_not_found", []
    if method in _MESSAGE_METHODS:
        return message_refusal(args)
    if method in _VIEW_METHODS:
        return view_refusal(method, args)
    return None


def view_refusal(method: str, args: dict[str, Any]) -> Refusal | None:
    """``views.open``/``views.push`` take a modal and a trigger id, ``views.publish`` a home tab and
    the user it is for, ``views.update`` a view id; then the view's own limits."""
    view = args.get("view")
    kind = view.get("type") if isinstance(view, dict) else None
    if method in ("views.open", "views.push") and not args.get("trigger_id"):
        return "invalid_trigger_id", []
    wanted = "home" if method == "views.publish" else None if method == "views.update" else "modal"
    if wanted and kind != wanted:
        return "invalid_arguments", [f"{method} takes a view of type {wanted} (got {kind})"]
    if method == "views.publish" and not args.get("user_id"):
        return "invalid_arguments", ["views.publish needs user_id"]
    if method == "views.update" and not (args.get("view_id") or args.get("external_id")):
        return "invalid_arguments", ["views.update needs view_id or external_id"]
    problems = view_problems(view)
    return ("invalid_arguments", problems) if problems else None


def message_refusal(args: dict[str, Any]) -> Refusal | None:
    """For a message (Web API arguments or a response_url payload)."""
    text, blocks = args.get("text"), args.get("blocks")
    if text is not None and len(str(text)) > MESSAGE_TEXT_LIMIT:
        return "msg_too_long", []
    problems = block_problems(blocks, BLOCKS_PER_MESSAGE) if blocks is not None else []
    if problems:
        return "invalid_blocks", problems
    if not text and not blocks and not args.get("delete_original"):
        return "no_text", []
    return None


def block_problems(blocks: Any, limit: int) -> list[str]:
    """Why Slack would refuse these blocks (empty: it would not)."""
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    problems = [f"no more than {limit} blocks are allowed (got {len(blocks)})"] if len(blocks) > limit else []
    for index, block in enumerate(blocks):
        problems += [f"blocks[{index}]: {p}" for p in _block_problems(block)]
    return problems


def view_problems(view: Any) -> list[str]:
    """Why Slack would refuse this modal or home tab (empty: it would not)."""
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        return ["view must be an object of type modal or home"]
    problems = [f"{p} (view)" for p in _sdk_problems(lambda: View(**view))]
    problems += list(_too_long(view, VIEW_CHARS))
    if view["type"] == "modal" and not view.get("title"):
        problems.append("a modal needs a title")
    return problems + block_problems(view.get("blocks") or [], BLOCKS_PER_VIEW)


def _block_problems(block: Any) -> list[str]:
    if not isinstance(block, dict):
        return ["a block must be an object"]
    problems = _sdk_problems(lambda: Block.parse(block))
    return problems + list(_walk(block))


def _sdk_problems(build: Callable[[], Any]) -> list[str]:
    try:
        parsed = build()
        if parsed is None:
            return ["unknown block type"]
        parsed.validate_json()
        parsed.to_dict()
    except SlackObjectFormationError as exc:
        return [str(exc)]
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        return [f"malformed: {exc}"]
    return []


def _walk(node: dict[str, Any]) -> Iterator[str]:
    """Slack's documented limits, for this object and everything inside it."""
    kind = str(node.get("type", ""))
    yield from _too_long(node, CHARS.get(kind, {}))
    for field, most in COUNTS.get(kind, {}).items():
        if len(node.get(field) or []) > most:
            yield f"{kind}.{field}: no more than {most} items (got {len(node[field])})"
    if kind in ("plain_text", "mrkdwn") and not str(node.get("text") or ""):
        yield f"{kind}: text must not be empty"
    if kind == "section":
        for field in node.get("fields") or []:
            yield from _too_long({"field": field}, {"field": SECTION_FIELD_CHARS})
    if kind == "plain_text_input" and int(node.get("max_length") or 0) > PLAIN_TEXT_INPUT_MAX_LENGTH:
        yield f"plain_text_input.max_length: at most {PLAIN_TEXT_INPUT_MAX_LENGTH}"
    for option in [*(node.get("options") or []), *(node.get("initial_options") or [])]:
        yield from _too_long(option, OPTION_CHARS, "option")
    if isinstance(node.get("confirm"), dict):
        yield from _too_long(node["confirm"], CONFIRM_CHARS, "confirm")
    for value in node.values():
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, dict) and "type" in child:
                yield from _walk(child)


def _too_long(node: dict[str, Any], limits: dict[str, int], where: str = "") -> Iterator[str]:
    name = where or str(node.get("type", "view"))
    for field, most in limits.items():
        value = node.get(field)
        text = value.get("text") if isinstance(value, dict) else value
        if isinstance(text, str) and len(text) > most:
            yield f"{name}.{field}: at most {most} characters (got {len(text)})"
