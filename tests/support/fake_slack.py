"""A fake Slack Web API: a real HTTP server in the test process that records every call.

Point ``WebClient(base_url=fake.base_url)`` at it (the bot reads ``SLACK_API_URL``). Messages
posted with ``chat.postMessage`` get a ``ts`` and are kept so ``chat.update`` can change them;
``response_url`` posts (``fake.response_url(...)``) are recorded too. ``fail(method, error)``
scripts failures, e.g. ``ratelimited`` with HTTP 429 and ``Retry-After``."""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Failure:
    error: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.messages: dict[str, dict[str, Any]] = {}
        self.failures: dict[str, list[Failure]] = {}
        self._lock = threading.Lock()
        self._serial = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.url}/response/{name}"

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, method: str, error: str, *, status: int = 200, times: int = 1, **headers: str) -> None:
        self.failures.setdefault(method, []).append(Failure(error, status, headers, times))

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c["args"] for c in self.calls if c["method"] == method]

    def methods(self) -> list[str]:
        with self._lock:
            return [c["method"] for c in self.calls]

    def answer(self, method: str, args: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._lock:
            self.calls.append({"method": method, "args": args})
            scripted = self.failures.get(method) or []
            if scripted:
                failure = scripted[0]
                failure.times -= 1
                if failure.times <= 0:
                    scripted.pop(0)
                return failure.status, failure.headers, {"ok": False, "error": failure.error}
            return 200, {}, self._ok(method, args)

    def _ok(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._serial):06d}"
            self.messages[ts] = {**args, "ts": ts}
            return {"ok": True, "channel": args.get("channel"), "ts": ts}
        if method == "chat.update":
            if args.get("ts") not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            self.messages[args["ts"]].update(text=args.get("text"), blocks=args.get("blocks"), updated=True)
            return {"ok": True, "channel": args.get("channel"), "ts": args["ts"]}
        if method == "chat.delete":
            self.messages.pop(str(args.get("ts")), None)
        return {"ok": True}


def _parse(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in content_type:
        return dict(json.loads(body))
    parsed: dict[str, Any] = dict(parse_qsl(body.decode(), keep_blank_values=True))
    for key in ("blocks", "view"):
        if isinstance(parsed.get(key), str):
            parsed[key] = json.loads(parsed[key])
    return parsed


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            args = _parse(body, self.headers.get("Content-Type", ""))
            if self.path.startswith("/response/"):
                method, args = "response_url", {**args, "path": self.path}
            else:
                method = self.path.rsplit("/", 1)[-1]
            status, headers, payload = fake.answer(method, args)
            raw = json.dumps(payload).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
