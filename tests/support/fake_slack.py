"""The tests' fake Slack Web API: a real HTTP server in the test process around the sandbox's strict
fake (``sandbox.emulators.slack_fake.SlackRecorder``), so tests and sandbox refuse what Slack refuses with one
set of rules (Block Kit limits, over-long text, unknown channels) and play the same faults.

Point ``WebClient(base_url=fake.base_url)`` at it (the bot reads ``SLACK_API_URL``). What it adds
for tests: every call recorded (``calls``, ``calls_to``, ``methods``), the messages by ``ts``
(``messages``), ``fail(method, error)`` to script one method's failures, and ``fault(kind, times)``
to set the Slack fault (``ratelimited``, ``error``, ``down``) for the next ``times`` calls."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sandbox.emulators.slack_fake import SlackDown, SlackRecorder, parse_body
from tests.support.slack_requests import APPROVER, CHANNEL, OPERATOR, VIEWER

CHANNELS = (CHANNEL, "C0OTHER")
USERS = (OPERATOR, APPROVER, VIEWER, "U0SECONDOP")
APPROVER_GROUP = "S0APPROVERS"  # the approver and the second operator; edit ``fake.slack.usergroups``
USERGROUPS = {APPROVER_GROUP: (APPROVER, "U0SECONDOP")}
# What users.info reports as each user's profile email (edit ``fake.slack.emails``; the viewer has
# none, as a user whose email Slack does not give the app).
EMAILS = {
    OPERATOR: "operator@slack.example.com",
    APPROVER: "approver@slack.example.com",
    "U0SECONDOP": "second-operator@slack.example.com",
}


@dataclass
class Failure:
    error: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.failures: dict[str, list[Failure]] = {}
        self.faults: list[str] = []  # the Slack fault of each next call; "ok" after the last
        self.slack = SlackRecorder(
            channels=CHANNELS, users=USERS, fault=self._next_fault, usergroups=USERGROUPS, emails=EMAILS
        )
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
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

    @property
    def messages(self) -> dict[str, dict[str, Any]]:
        """Channel messages (posted, then maybe updated) by ``ts``, with Slack's argument names."""
        return {
            m["ts"]: {**m, "thread_ts": m["threadTs"], "reply_broadcast": m["replyBroadcast"]}
            for m in self.slack.messages()
            if m["kind"] == "message"
        }

    def fail(self, method: str, error: str, *, status: int = 200, times: int = 1, **headers: str) -> None:
        self.failures.setdefault(method, []).append(Failure(error, status, headers, times))

    def fault(self, kind: str, times: int = 1) -> None:
        """The next ``times`` calls meet the Slack fault ``kind``."""
        with self._lock:
            self.faults += [kind] * times

    def _next_fault(self) -> str:
        with self._lock:
            return self.faults.pop(0) if self.faults else "ok"

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
        if method == "response_url":
            return self.slack.answer_response_url(str(args["path"]), args)
        return self.slack.answer(method, args)


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            args = _decoded(parse_body(body, self.headers.get("Content-Type", "")))
            if self.path.startswith("/response/"):
                method, args = "response_url", {**args, "path": self.path}
            else:
                method = self.path.rsplit("/", 1)[-1]
            try:
                status, headers, payload = fake.answer(method, args)
            except SlackDown:
                self.close_connection = True
                return
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


def _decoded(args: dict[str, Any]) -> dict[str, Any]:
    """Form-encoded calls carry ``blocks`` and ``view`` as JSON strings; tests read them as objects."""
    for key in ("blocks", "view"):
        if isinstance(args.get(key), str) and args[key][:1] in "[{":
            args[key] = json.loads(args[key])
    return args
