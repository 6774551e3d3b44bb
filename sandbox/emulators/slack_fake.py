"""A recording fake of the Slack Web API (``/slack-api/<method>``) and of ``response_url``.

Point ``slack_sdk.WebClient(base_url=<info.slackApiUrl>)`` at it. Every message the bot posts,
updates, sends ephemerally or to a response_url, and every modal it opens, is kept with
``channel``, ``ts``, ``text``, ``blocks`` and ``kind`` for ``/slack-local`` and its JSON.

It is strict: :meth:`SlackRecorder.answer` refuses what Slack refuses (:mod:`sandbox.data.slack_rules`:
Block Kit limits, over-long text, unknown channels) and plays the Slack fault in force
(:mod:`sandbox.emulators.faults`): ``ratelimited`` (HTTP 429 with ``Retry-After``), ``error`` (HTTP 500
``fatal_error``), ``down`` (:class:`SlackDown`: the server drops the connection unanswered).
The tests' fake Slack (``tests/support/fake_slack.py``) wraps this class, so both enforce one set
of rules.

Channels: the workspace starts with the ones it is given (every user a member, the bot in each).
Another comes into being as Slack users make one: :meth:`SlackRecorder.arrive` (a signed slash
command or click came from a channel nobody used: someone created it and invited the bot) and
:meth:`SlackRecorder.create_channel` (``/slack-local``'s "add a channel"). Until then a post to it
is ``channel_not_found``, as Slack answers a bot that is in no such channel.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from sandbox.data import slack_rules
from sandbox.data.names import SLACK_CHANNELS
from sandbox.emulators import faults

DEFAULT_CHANNEL = "C0SANDBOX"
# Slack's rule for a channel name: lowercase letters, digits, hyphens and underscores, at most 80
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{1,20}$")  # a public (C…) or private (G…) channel's id
BOT_USER = "U0SANDBOXBOT"
RETRY_AFTER_SECONDS = 1
Reply = tuple[int, dict[str, str], dict[str, Any]]


class SlackDown(Exception):
    """Slack is unreachable (fault ``down``): whoever serves the request drops the connection."""


class ChannelRefused(ValueError):
    """Slack refuses to create the channel: ``error`` is its code (``invalid_name``, ``name_taken``)."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error


def _sandbox_fault() -> str:
    return faults.current().slack


class SlackRecorder:
    def __init__(
        self,
        channels: Iterable[str] | Mapping[str, str] = (DEFAULT_CHANNEL,),
        users: Iterable[str] = (),
        fault: Callable[[], str] = _sandbox_fault,
        usergroups: Mapping[str, Iterable[str]] | None = None,
        emails: Mapping[str, str] | None = None,
    ) -> None:
        """``channels`` exist (ids, or id -> name; every user a member), and so do direct messages
        to ``users`` (or to any ``D…`` id);
        ``fault()`` is the Slack fault in force; ``usergroups`` maps ``S…`` ids to their members
        (``usergroups.users.list``; any other group is ``no_such_subteam``); ``emails`` is the
        profile email ``users.info`` reports for a user (a user without one has none, as a bot;
        anyone not in ``users`` is ``user_not_found``)."""
        named = channels if isinstance(channels, Mapping) else {c: _known_name(c) for c in channels}
        self.channels: dict[str, str] = dict(named)  # id -> name, in the order they came to be
        self.users = set(users)
        self.emails = dict(emails or {})
        self.usergroups = {g: list(m) for g, m in (usergroups or {}).items()}
        self.homes: dict[str, dict[str, Any]] = {}  # user id -> the home tab last published
        # channel -> its members (``users.conversations``); everyone is in a channel not listed
        self.members: dict[str, set[str]] = {}
        self.conversations_page_size = 100  # channels per users.conversations page, at most
        self.fault = fault
        self._messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._serial = itertools.count(1)

    def channel_exists(self, channel: str) -> bool:
        return channel in self.channels or channel in self.users or channel.startswith("D")

    def channel_list(self) -> list[dict[str, Any]]:
        """Every channel, oldest first: ``id``, ``name`` and ``members`` (None: every user)."""
        with self._lock:
            return [
                {"id": c, "name": n, "members": sorted(self.members[c]) if c in self.members else None}
                for c, n in self.channels.items()
            ]

    def arrive(self, channel: str, user: str, name: str = "") -> bool:
        """A signed slash command or interaction came from ``user`` in ``channel``. Slack sends one
        only from a channel the user is in and the app was invited to: a channel nobody has used
        comes into being as if ``user`` had created it (named ``name`` when that is a free, valid
        name) and invited the bot, its members the two; a user new to a channel joins it. Direct
        messages (``D…``, a user's id) exist already; anything not a channel id is ignored. True
        when the channel is new."""
        if not CHANNEL_ID.match(channel) or channel in self.users:
            return False
        with self._lock:
            if channel in self.channels:
                if channel in self.members:
                    self.members[channel].add(user)
                return False
            free = CHANNEL_NAME.match(name) and name not in self.channels.values()
            self.channels[channel] = name if free else channel.lower()
            self.members[channel] = {user, BOT_USER}
        return True

    def create_channel(self, name: str, creator: str) -> dict[str, str]:
        """``creator`` creates a channel called ``name`` and invites the bot: ``{"id", "name"}``.
        Raises :class:`ChannelRefused` for a name Slack refuses (invalid, or taken)."""
        if not CHANNEL_NAME.match(name):
            message = "a channel name is lowercase letters, digits, - and _, at most 80 characters"
            raise ChannelRefused("invalid_name", message)
        with self._lock:
            if name in self.channels.values():
                raise ChannelRefused("name_taken", f"there is a channel called #{name} already")
            channel = f"C0{secrets.token_hex(5).upper()}"
            self.channels[channel] = name
            self.members[channel] = {creator, BOT_USER}
        return {"id": channel, "name": name}

    def _faulty(self) -> Reply | None:
        fault = self.fault()
        if fault == "down":
            raise SlackDown("sandbox fault: slack is set to down (/_sandbox/faults)")
        if fault == "ratelimited":
            return 429, {"Retry-After": str(RETRY_AFTER_SECONDS)}, {"ok": False, "error": "ratelimited"}
        if fault == "error":
            return 500, {}, {"ok": False, "error": "fatal_error"}
        return None

    def answer(self, method: str, args: dict[str, Any]) -> Reply:
        """One Web API call as Slack answers it: HTTP status, headers, body. Raises SlackDown."""
        faulty = self._faulty()
        if faulty is not None:
            return faulty
        args = _decoded(args)
        refusal = slack_rules.check(method, args, self.channel_exists)
        if refusal is not None:
            return 200, {}, _refused(*refusal)
        return 200, {}, self.web_api(method, args)

    def answer_response_url(self, path: str, payload: dict[str, Any]) -> Reply:
        """A POST to a response_url as Slack answers it (a refused message is an HTTP 400)."""
        faulty = self._faulty()
        if faulty is not None:
            return faulty
        payload = _decoded(payload)
        refusal = slack_rules.message_refusal(payload)
        if refusal is not None:
            return 400, {}, _refused(*refusal)
        return 200, {}, self.response_url(path, payload)

    def _ts(self) -> str:
        return f"{int(time.time())}.{next(self._serial):06d}"

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._messages]

    def _record(self, kind: str, args: dict[str, Any], **extra: Any) -> dict[str, Any]:
        message = {
            "kind": kind,
            "channel": args.get("channel") or DEFAULT_CHANNEL,
            "ts": self._ts(),
            "text": args.get("text") or "",
            "blocks": _json_field(args.get("blocks")) or [],
            "threadTs": args.get("thread_ts"),
            "replyBroadcast": _truthy(args.get("reply_broadcast")),
            "user": args.get("user"),
            "receivedAt": time.time(),
            **extra,
        }
        with self._lock:
            self._messages.append(message)
        return message

    def web_api(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """Answer one Web API call as Slack would (``ok`` plus the fields clients read)."""
        if method == "chat.postMessage":
            message = self._record("message", args)
            return {"ok": True, "channel": message["channel"], "ts": message["ts"], "message": message}
        if method == "chat.postEphemeral":
            message = self._record("ephemeral", args)
            return {"ok": True, "message_ts": message["ts"]}
        if method == "chat.update":
            return self._update(args)
        if method == "chat.delete":
            return self._delete(str(args.get("ts", "")))
        if method in ("views.open", "views.push", "views.update"):
            view = {"id": f"V{next(self._serial):08d}", **(_json_field(args.get("view")) or {})}
            fields = {"text": _view_title(view), "blocks": view.get("blocks", [])}
            self._record("modal", fields, view=view, viewId=view["id"], triggerId=args.get("trigger_id"))
            return {"ok": True, "view": view}
        if method == "views.publish":
            return self._publish(args)
        if method == "usergroups.users.list":
            members = self.usergroups.get(str(args.get("usergroup") or ""))
            if members is None:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": sorted(members)}
        if method == "users.conversations":
            return self._conversations(args)
        if method == "users.info":
            return self._user(str(args.get("user") or ""))
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "team_id": "T0SANDBOX", "bot_id": "B0SANDBOX"}
        return {"ok": True, "warning": f"sandbox: {method} accepted and ignored"}

    def member_of(self, user: str) -> list[str]:
        """The channels ``user`` is a member of (``members``; everyone is in a channel it does not list)."""
        with self._lock:
            return sorted(c for c in self.channels if user in self.members.get(c, {user}))

    def _conversations(self, args: dict[str, Any]) -> dict[str, Any]:
        """``users.conversations`` as Slack pages it: ``channels`` and the ``next_cursor`` of the next
        page ("" on the last)."""
        user = str(args.get("user") or BOT_USER)  # no user: the token's own, the bot
        cursor = str(args.get("cursor") or "")
        try:
            start = int(base64.b64decode(cursor).decode()) if cursor else 0
        except ValueError:
            return {"ok": False, "error": "invalid_cursor"}
        size = min(int(args.get("limit") or 100), self.conversations_page_size)
        channels = self.member_of(user)
        end = start + size
        cursor = base64.b64encode(str(end).encode()).decode() if end < len(channels) else ""
        page = [{"id": c, "is_channel": True, "is_member": True} for c in channels[start:end]]
        return {"ok": True, "channels": page, "response_metadata": {"next_cursor": cursor}}

    def response_url(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A POST to a response_url. The sandbox's response URLs name the message they answer for
        (``/slack-response/<channel>/<ts>/<nonce>``), as Slack's own do, so ``replace_original`` and
        ``delete_original`` act on it; without them the payload is a new message."""
        parts = path.strip("/").split("/")
        channel = parts[1] if len(parts) > 1 else None
        original = parts[2] if len(parts) > 2 and parts[2] != "-" else payload.get("message_ts")
        if _truthy(payload.get("delete_original")) and original:
            return self._delete(str(original))
        if _truthy(payload.get("replace_original")) and original:
            return self._update({**payload, "ts": original})
        response_type = payload.get("response_type") or "ephemeral"
        self._record(
            "response_url", {"channel": channel, **payload}, responseUrl=path, responseType=response_type
        )
        return {"ok": True}

    def record_ack(self, channel: str, user: str, payload: dict[str, Any]) -> dict[str, Any]:
        """What a slash command's ack body said: Slack shows it as the command's first reply."""
        response_type = payload.get("response_type") or "ephemeral"
        kind = "ephemeral" if response_type == "ephemeral" else "message"
        return self._record(kind, {**payload, "channel": channel, "user": user}, via="ack")

    def _user(self, user_id: str) -> dict[str, Any]:
        """``users.info``: the user and its profile (``email`` when it has one)."""
        if user_id not in self.users:
            return {"ok": False, "error": "user_not_found"}
        email = self.emails.get(user_id)
        profile = {"email": email} if email else {}
        return {"ok": True, "user": {"id": user_id, "is_bot": user_id == BOT_USER, "profile": profile}}

    def _publish(self, args: dict[str, Any]) -> dict[str, Any]:
        """A user's App Home tab: the last view published for them is what they see."""
        user = str(args["user_id"])
        view = {"id": f"V{next(self._serial):08d}", **(_json_field(args.get("view")) or {})}
        with self._lock:
            self.homes[user] = view
        return {"ok": True, "view": view}

    def home(self, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self.homes.get(user_id)
        return dict(found) if found else None

    def close_view(self, view_id: str) -> None:
        with self._lock:
            for message in self._messages:
                if message.get("viewId") == view_id:
                    message["closed"] = True

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = [m for m in self._messages if m.get("viewId") == view_id]
        return dict(found[-1]["view"]) if found else None

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        with self._lock:
            found = [m for m in self._messages if m["ts"] == ts and m["channel"] == channel]
        return dict(found[0]) if found else None

    def _delete(self, ts: str) -> dict[str, Any]:
        with self._lock:
            kept = [m for m in self._messages if m["ts"] != ts]
            found = len(kept) != len(self._messages)
            self._messages = kept
        return {"ok": True} if found else {"ok": False, "error": "message_not_found"}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            for message in self._messages:
                if message["ts"] == args.get("ts") and message["channel"] == (
                    args.get("channel") or message["channel"]
                ):
                    message["text"] = args.get("text") or message["text"]
                    if "blocks" in args:
                        message["blocks"] = _json_field(args.get("blocks")) or []
                    message["updatedAt"] = time.time()
                    return {"ok": True, "channel": message["channel"], "ts": message["ts"]}
        return {"ok": False, "error": "message_not_found"}


def _known_name(channel: str) -> str:
    return SLACK_CHANNELS.get(channel) or channel.lower()


def _decoded(args: dict[str, Any]) -> dict[str, Any]:
    """Form-encoded calls carry ``blocks`` and ``view`` as JSON strings: read them as Slack does."""
    decoded = dict(args)
    for key in ("blocks", "view"):
        try:
            decoded[key] = _json_field(decoded[key])
        except KeyError:
            continue
        except ValueError:
            decoded[key] = None if key == "view" else "not JSON"
    return decoded


def _refused(error: str, messages: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error": error}
    if messages:
        body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in messages]}
    return body


def parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in content_type:
        parsed = json.loads(body)
        return parsed if isinstance(parsed, dict) else {}
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _json_field(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return value


def _view_title(view: dict[str, Any]) -> str:
    title = view.get("title")
    return str(title.get("text", "")) if isinstance(title, dict) else str(title or "modal")
