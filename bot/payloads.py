"""Slack's interactive payloads, checked with pydantic at the boundary before any listener runs.

A signed payload can still carry anything (a client bug, a replayed and edited request from someone
holding the signing secret, a Slack change): ``actions`` that is not a list of objects, a view
``state`` that is not ``{block: {action: element}}``. Bolt's own matchers and the listeners index
into those structures, so a wrong type would be a 500. The check runs as a global Bolt middleware
(:class:`RejectMalformed`: after the signature check, before listener matching) and answers 400
instead; listeners then read the parsed models (:func:`block_actions`, :func:`view_submission`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.ids import BLOCK_REASON as REASON_BLOCK
from bot.ids import ELEMENT as REASON_ELEMENT
from handlers.core.observability import count
from handlers.core.validation import describe
from handlers.models.fields import Actor, Reason

_LOOSE = ConfigDict(extra="ignore", hide_input_in_errors=True)


class SlackUserRef(BaseModel):
    model_config = _LOOSE
    id: str = Field(max_length=32)
    username: Actor | None = None
    name: Actor | None = None


class ChannelRef(BaseModel):
    model_config = _LOOSE
    id: str = Field(default="", max_length=32)


class Container(BaseModel):
    model_config = _LOOSE
    type: str = Field(default="", max_length=32)
    channel_id: str = Field(default="", max_length=32)
    message_ts: str = Field(default="", max_length=32)
    is_ephemeral: bool = False


class MessageRef(BaseModel):
    model_config = _LOOSE
    ts: str = Field(default="", max_length=32)


class Action(BaseModel):
    model_config = _LOOSE
    action_id: str = Field(max_length=255)
    block_id: str = Field(default="", max_length=255)
    value: str = Field(default="", max_length=2000)  # Slack's limit for a button value


class BlockActions(BaseModel):
    model_config = _LOOSE
    user: SlackUserRef
    trigger_id: str = Field(default="", max_length=255)
    actions: list[Action] = Field(min_length=1, max_length=25)
    channel: ChannelRef | None = None
    container: Container | None = None
    message: MessageRef | None = None


class Option(BaseModel):
    model_config = _LOOSE
    value: str = Field(max_length=2000)


class ElementState(BaseModel):
    """What Slack reports for one input element of a submitted view."""

    model_config = _LOOSE
    value: str | None = Field(default=None, max_length=3000)
    selected_option: Option | None = None
    selected_options: list[Option] = Field(default_factory=list, max_length=100)
    selected_users: list[str] = Field(default_factory=list, max_length=100)


class ViewState(BaseModel):
    model_config = _LOOSE
    values: dict[str, dict[str, ElementState]] = Field(default_factory=dict)


class View(BaseModel):
    model_config = _LOOSE
    callback_id: str = Field(default="", max_length=255)
    private_metadata: str = Field(default="", max_length=3000)
    state: ViewState = Field(default_factory=ViewState)


class ViewSubmission(BaseModel):
    model_config = _LOOSE
    user: SlackUserRef
    view: View


class BlockSuggestion(BaseModel):
    """An external select asking for options (the plan form's group picker)."""

    model_config = _LOOSE
    user: SlackUserRef
    action_id: str = Field(max_length=255)
    value: str = Field(default="", max_length=2000)
    view: View | None = None


_MODELS: dict[str, type[BaseModel]] = {
    "block_actions": BlockActions,
    "view_submission": ViewSubmission,
    "block_suggestion": BlockSuggestion,
}


def payload_problem(body: dict[str, Any]) -> str | None:
    """Why this interactive payload has the wrong shape, or None (other kinds are not checked)."""
    kind = body.get("type")
    model = _MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        return None
    try:
        model.model_validate(body)
    except pydantic.ValidationError as exc:
        return f"malformed {kind} payload: {describe(exc)}"
    return None


class RejectMalformed(Middleware):
    """Bolt global middleware: a payload of the wrong shape is a 400 saying which field is wrong.
    A class, not a function: Bolt would build a function's arguments (``action``, ``view``…) from
    the very payload that has the wrong shape."""

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],
    ) -> BoltResponse | None:
        problem = payload_problem(req.body)
        if problem:
            count("SlackMalformedPayload")
            return BoltResponse(status=400, body=problem)
        return next()


def block_actions(body: dict[str, Any]) -> BlockActions:
    return BlockActions.model_validate(body)


def view_submission(body: dict[str, Any]) -> ViewSubmission:
    return ViewSubmission.model_validate(body)


def block_suggestion(body: dict[str, Any]) -> BlockSuggestion:
    return BlockSuggestion.model_validate(body)


def submission_values(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted view's ``state.values`` as checked plain data (what ``read_submission`` reads)."""
    values: dict[str, Any] = View.model_validate(view).state.model_dump()["values"]
    return values


class PauseFormMetadata(BaseModel):
    """The reason form's ``private_metadata``: which pause (execution id and wave, never the approval
    id or a token), the decision asked for, and the message to update afterwards. Slack keeps a
    view's metadata server-side, so a submission carries what the bot wrote; it is still checked."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)
    channel: str = Field(min_length=1, max_length=32)
    executionId: str = Field(min_length=1, max_length=128)
    wave: int = Field(ge=1, le=10_000)
    action: Literal["resume", "cancel", "retry", "skip"]
    ts: str = Field(default="", max_length=32)
    ephemeral: bool = False
    home: bool = False  # clicked in the App Home: the home is published again afterwards


class PauseReason(BaseModel):
    """What the submitter typed: the reason rules every channel applies (length, one line, no
    control or format characters)."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)
    reason: Reason = ""


def pause_form(view: dict[str, Any]) -> tuple[PauseFormMetadata | None, str, str | None]:
    """A submitted reason form: its metadata (None when unreadable), the reason typed (its lines
    joined with spaces: the field is multi-line, a reason is one line on every channel) and why
    the reason is refused (None when it is fine)."""
    parsed = View.model_validate(view)
    try:
        metadata = PauseFormMetadata.model_validate_json(parsed.private_metadata or "{}")
    except pydantic.ValidationError:
        metadata = None
    block = parsed.state.values.get(REASON_BLOCK) or {}
    typed = (block.get(REASON_ELEMENT) or ElementState()).value or ""
    try:
        reason = PauseReason(reason=one_line(typed)).reason
    except pydantic.ValidationError as exc:
        return metadata, "", describe(exc).removeprefix("reason: ")
    return metadata, reason, None


def one_line(typed: str) -> str:
    """Text typed into a multi-line Slack field as one line: its lines (any line break, U+2028
    included) stripped and joined with a space, blank lines dropped. Slack input only: the API and
    direct invocation refuse a reason with a line break (handlers/models/fields.py)."""
    return " ".join(line.strip() for line in typed.splitlines() if line.strip())


class PlanFormMetadata(BaseModel):
    """The approvers form's ``private_metadata``: the channel (its account), the plan and the
    version the form was filled in from (a concurrent change is a conflict, not overwritten)."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)
    channel: str = Field(min_length=1, max_length=32)
    planId: str = Field(min_length=1, max_length=128)
    version: int = Field(ge=1)


def plan_form_metadata(view: dict[str, Any]) -> PlanFormMetadata | None:
    try:
        return PlanFormMetadata.model_validate_json(View.model_validate(view).private_metadata or "{}")
    except pydantic.ValidationError:
        return None


class HomeOpened(BaseModel):
    """The ``app_home_opened`` event: whose home, which tab."""

    model_config = _LOOSE
    user: str = Field(min_length=1, max_length=32)
    tab: str = Field(default="home", max_length=32)
