"""A recording fake of the Slack Web API (``/slack-api/<method>``) and of ``response_url``.

Point ``slack_sdk.WebClient(base_url=<info.slackApiUrl>)`` at it. Every message the bot posts,
updates, sends ephemerally or to a response_url, and every modal it opens, is kept with
``channel``, ``ts``, ``text``, ``blocks`` and ``kind`` for ``/slack-local`` and its JSON.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

DEFAULT_CHANNEL = "C0SANDBOX"


class SlackRecorder:
    def __init__(self) -> None:
        self._messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._serial = itertools.count(1)

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
        if method in ("views.open", "views.push", "views.update"):
            view = _json_field(args.get("view")) or {}
            fields = {"text": _view_title(view), "blocks": view.get("blocks", [])}
            self._record("modal", fields, view=view, triggerId=args.get("trigger_id"))
            return {"ok": True, "view": {"id": f"V{next(self._serial):08d}", **view}}
        if method == "auth.test":
            return {"ok": True, "user_id": "U0SANDBOXBOT", "team_id": "T0SANDBOX", "bot_id": "B0SANDBOX"}
        return {"ok": True, "warning": f"sandbox: {method} accepted and ignored"}

    def response_url(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        kind = "response_url"
        if payload.get("replace_original") and payload.get("message_ts"):
            return self._update({**payload, "ts": payload["message_ts"]})
        self._record(kind, payload, responseUrl=path, responseType=payload.get("response_type", "ephemeral"))
        return {"ok": True}

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


def parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in content_type:
        parsed = json.loads(body)
        return parsed if isinstance(parsed, dict) else {}
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


def _json_field(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return value


def _view_title(view: dict[str, Any]) -> str:
    title = view.get("title")
    return str(title.get("text", "")) if isinstance(title, dict) else str(title or "modal")
