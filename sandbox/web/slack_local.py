"""The back end of ``/slack-local``: what the page sends (a typed command, a click, a filled-in
modal) becomes the signed request Slack would send to the sandbox's own ``/slack/events``, from the
channel the page shows. The page can also add a channel (as a Slack user creates one and invites
the bot); a command typed in a channel nobody has used brings it into being the same way.

Every body the page posts is validated here (pydantic) before anything is signed; the page gets
``{"ok": false, "error": ..., "message": ...}`` for anything it cannot do, never a stack trace.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.data import slack_requests, slack_rules
from sandbox.data.names import SLACK_USERS
from sandbox.emulators.slack_fake import DEFAULT_CHANNEL, ChannelRefused
from sandbox.web import slack_local_home as home
from sandbox.web.web_host import SlackLocalHost

Answer = tuple[int, dict[str, str], bytes]
Send = Callable[[dict[str, str], bytes], Answer]
Role = home.Role
BIND_SECONDS = 60.0  # the bot's first answer includes its cold start


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=3000)


class CommandInput(_Input):
    """The command box: ``/dr`` and what follows, typed as a sandbox user (operator, viewer, approver)."""

    user: Role = "operator"
    text: str = Field(min_length=1)
    channel: str = Field(default=DEFAULT_CHANNEL, pattern=r"^[A-Z0-9]{1,20}$")
    channelName: str = Field(default="", max_length=80)  # for a channel nobody has used yet


class ChannelInput(_Input):
    """The page's "add a channel": its name, and who creates it (the bot is invited at once)."""

    user: Role = "operator"
    name: str = Field(min_length=1, max_length=80)


class ActionInput(_Input):
    """A button click on a recorded message."""

    user: Role = "operator"
    channel: str = Field(pattern=r"^[A-Z0-9]{1,20}$")
    ts: str = Field(pattern=r"^\d+\.\d+$")
    actionId: str = Field(min_length=1, max_length=255)
    blockId: str = Field(default="", max_length=255)
    value: str = Field(default="", max_length=2000)
    text: str = Field(default="", max_length=255)


class SubmitInput(_Input):
    """A modal's submission: ``values`` as Slack puts them in ``view.state.values``."""

    user: Role = "operator"
    viewId: str = Field(pattern=r"^V\d+$")
    values: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)


class OptionsInput(_Input):
    """An external select in an open modal asking for its options: what the user typed."""

    user: Role = "operator"
    viewId: str = Field(pattern=r"^V\d+$")
    blockId: str = Field(min_length=1, max_length=255)
    actionId: str = Field(min_length=1, max_length=255)
    value: str = Field(default="", max_length=255)


class CloseInput(_Input):
    viewId: str = Field(pattern=r"^V\d+$")


InputT = TypeVar("InputT", bound=BaseModel)


def _json(status: int, value: Any) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(value, default=str).encode()


def _problem(status: int, error: str, message: str, **extra: Any) -> Answer:
    return _json(status, {"ok": False, "error": error, "message": message, **extra})


def _validated(model: type[InputT], work: Callable[[InputT], Answer], body: bytes) -> Answer:
    """``work(request)`` for a body that is a valid ``model``; a 400 naming the bad fields if not."""
    try:
        request = model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        return _problem(400, "VALIDATION_ERROR", f"not a valid request: {fields}")
    return work(request)


class SlackLocal:
    def __init__(self, sandbox: SlackLocalHost, send: Send) -> None:
        """``send(headers, body) -> (status, headers, body)`` delivers to ``/slack/events``."""
        self.sandbox = sandbox
        self.send = send

    def handle(self, path: str, body: bytes) -> Answer:
        routes: dict[str, Callable[[bytes], Answer]] = {
            "/slack-local/command": lambda raw: _validated(CommandInput, self.command, raw),
            "/slack-local/action": lambda raw: _validated(ActionInput, self.action, raw),
            "/slack-local/submit": lambda raw: _validated(SubmitInput, self.submit, raw),
            "/slack-local/close": lambda raw: _validated(CloseInput, self.close, raw),
            "/slack-local/options": lambda raw: _validated(OptionsInput, self.options, raw),
            "/slack-local/channel": lambda raw: _validated(ChannelInput, self.create_channel, raw),
            "/slack-local/home": lambda raw: _validated(
                home.HomeInput, lambda r: home.as_json(home.open_home(self.sandbox, self.send, r)), raw
            ),
            "/slack-local/home-view": lambda raw: _validated(
                home.HomeInput, lambda r: home.as_json(home.home_view(self.sandbox, r)), raw
            ),
            "/slack-local/home-action": lambda raw: _validated(
                home.HomeActionInput,
                lambda r: home.as_json(home.home_action(self.sandbox, self.send, r)),
                raw,
            ),
        }
        route = routes.get(path)
        if route is None:
            return _problem(404, "NOT_FOUND", f"/slack-local serves no POST {path}")
        return route(body)

    def _user(self, role: str) -> tuple[str, str]:
        return SLACK_USERS[role], f"sandbox-{role}"

    def _channel_name(self, channel: str, fallback: str = "") -> str:
        return self.sandbox.slack.channels.get(channel) or fallback or channel.lower()

    def _response_url(self, channel: str, ts: str = "-") -> str:
        return f"{self.sandbox.base_url}/slack-response/{channel}/{ts}/{secrets.token_urlsafe(8)}"

    def _deliver(self, body: str) -> tuple[int, dict[str, Any] | str]:
        headers = slack_requests.signed_headers(self.sandbox.signing_secret, body)
        status, _, raw = self.send(headers, body.encode())
        text = raw.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text.strip() else {}
        except ValueError:
            return status, text
        return status, parsed if isinstance(parsed, dict) else text

    def _failed(self, status: int, reply: dict[str, Any] | str) -> Answer:
        message = (reply.get("errorMessage") or reply.get("message")) if isinstance(reply, dict) else reply
        detail = reply.get("errorType", "") if isinstance(reply, dict) else ""
        text = f"the bot answered {status}: {detail + ': ' if detail else ''}{message or 'no details'}"
        return _problem(502, "BOT_ERROR", text + " (the sandbox log has the details)", botStatus=status)

    def command(self, request: CommandInput) -> Answer:
        text = request.text.strip()
        command, _, rest = text.partition(" ")
        if not command.startswith("/"):
            command, rest = "/dr", text
        user_id, user_name = self._user(request.user)
        body = slack_requests.slash_command(
            text=rest.strip(),
            user_id=user_id,
            user_name=user_name,
            channel=request.channel,
            response_url=self._response_url(request.channel),
            command=command,
            channel_name=self._channel_name(request.channel, request.channelName),
        )
        status, reply = self._deliver(body)
        if status != 200:
            return self._failed(status, reply)
        if isinstance(reply, dict) and (reply.get("text") or reply.get("blocks")):
            refusal = slack_rules.message_refusal(reply)
            if refusal is not None:  # Slack shows the user an error instead of such a reply
                error, problems = refusal
                return _problem(
                    502, "SLACK_REFUSED", f"Slack refuses the bot's reply: {error} {problems[:3]}"
                )
            self.sandbox.slack.record_ack(request.channel, user_id, reply)
        elif isinstance(reply, str) and reply.strip():
            self.sandbox.slack.record_ack(request.channel, user_id, {"text": reply})
        return _json(200, {"ok": True, "status": status})

    def action(self, request: ActionInput) -> Answer:
        message = self.sandbox.slack.message(request.channel, request.ts)
        if message is None:
            return _problem(404, "NOT_FOUND", f"no message {request.ts} in {request.channel}")
        user_id, user_name = self._user(request.user)
        action = slack_requests.button(request.actionId, request.blockId, request.value, request.text)
        body = slack_requests.block_actions(
            user_id=user_id,
            user_name=user_name,
            message=message,
            action=action,
            response_url=self._response_url(request.channel, request.ts),
            channel_name=self._channel_name(request.channel),
        )
        status, reply = self._deliver(body)
        return _json(200, {"ok": True, "status": status}) if status == 200 else self._failed(status, reply)

    def submit(self, request: SubmitInput) -> Answer:
        view = self.sandbox.slack.view(request.viewId)
        if view is None:
            return _problem(404, "NOT_FOUND", f"no open modal {request.viewId}")
        user_id, user_name = self._user(request.user)
        body = slack_requests.view_submission(
            user_id=user_id, user_name=user_name, view=view, values=request.values
        )
        status, reply = self._deliver(body)
        if status != 200:
            return self._failed(status, reply)
        if isinstance(reply, dict) and reply.get("response_action") == "errors":
            return _json(200, {"ok": False, "error": "FIELD_ERRORS", "errors": reply.get("errors") or {}})
        self.sandbox.slack.close_view(request.viewId)
        return _json(200, {"ok": True, "status": status})

    def options(self, request: OptionsInput) -> Answer:
        """Slack's ``block_suggestion`` round trip: the bot's options for what was typed."""
        view = self.sandbox.slack.view(request.viewId)
        if view is None:
            return _problem(404, "NOT_FOUND", f"no open modal {request.viewId}")
        user_id, user_name = self._user(request.user)
        body = slack_requests.block_suggestion(
            user_id=user_id,
            user_name=user_name,
            view=view,
            action_id=request.actionId,
            block_id=request.blockId,
            value=request.value,
        )
        status, reply = self._deliver(body)
        if status != 200:
            return self._failed(status, reply)
        options = reply.get("options") if isinstance(reply, dict) else None
        return _json(200, {"ok": True, "options": options or []})

    def close(self, request: CloseInput) -> Answer:
        self.sandbox.slack.close_view(request.viewId)
        return _json(200, {"ok": True})

    def create_channel(self, request: ChannelInput) -> Answer:
        """A channel the sandbox user creates, with the bot invited: ``{"ok", "channel": {id, name}}``."""
        try:
            channel = self.sandbox.slack.create_channel(request.name, self._user(request.user)[0])
        except ChannelRefused as exc:
            return _problem(409 if exc.error == "name_taken" else 400, exc.error, str(exc))
        return _json(200, {"ok": True, "channel": channel})

    def bind(self, channel: str, account: str, timeout: float = BIND_SECONDS) -> None:
        """``/dr account <account>`` typed in ``channel`` by the sandbox operator: from then on the
        channel's commands act on that account. The bot answers it in the channel once it is set
        (an ephemeral answer is a refusal); RuntimeError when it refuses or does not answer."""
        seen = len(self.sandbox.slack.messages())
        status, _, raw = self.command(CommandInput(text=f"/dr account {account}", channel=channel))
        deadline = time.monotonic() + timeout
        replies: list[dict[str, Any]] = []
        while status == 200 and not replies and time.monotonic() < deadline:
            time.sleep(0.05)
            replies = [m for m in self.sandbox.slack.messages()[seen:] if m["channel"] == channel]
        if status != 200 or not any(_in_channel(m) for m in replies):
            said = [m["text"] for m in replies] or raw.decode("utf-8", "replace") or "no answer"
            raise RuntimeError(f"binding channel {channel} to account {account} failed: {said}")


def _in_channel(message: dict[str, Any]) -> bool:
    """Seen by everyone in the channel (not only by the user who typed the command)."""
    return message["kind"] == "message" or message.get("responseType") == "in_channel"
