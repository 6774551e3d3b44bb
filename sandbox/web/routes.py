"""The sandbox's one web port (standard library ``ThreadingHTTPServer``).

Paths: ``/_sandbox/info``, ``/_sandbox/faults``, ``/api/...``, ``/slack/events``,
``/2015-03-31/functions/{name}/invocations``, ``/outbox`` (+``.json``), ``/slack-local``
(+``/messages.json``, ``/channels.json``); plus the fake Slack Web API under ``/slack-api/`` and
``/slack-response``, and the simulated DRS under ``/_sandbox/drs/`` (for the Lambda workers,
:mod:`sandbox.runtime.drs_http`).
A crash in a handler becomes a readable error on the response and in the log; the server keeps serving.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import traceback
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import ValidationError

from sandbox.data import apigw, pages, slack_requests
from sandbox.data.drs_data import ACCOUNTS, SIMULATED_LABEL
from sandbox.emulators import faults, slack_fake
from sandbox.runtime import drs_http, invoke_api
from sandbox.runtime.lambdas import LambdaRuntime
from sandbox.web import slack_local
from sandbox.web.web_host import WebHost

log = logging.getLogger("sandbox.web.routes")
Answer = tuple[int, dict[str, str], bytes]
JSON = {"Content-Type": "application/json"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
T = TypeVar("T")


class _Starting(Exception):
    """A request needs a part of the sandbox that ``start()`` has not brought up yet."""


def _started(part: T | None, name: str) -> T:
    if part is None:
        raise _Starting(name)
    return part


def _json(status: int, value: Any) -> Answer:
    return status, dict(JSON), json.dumps(value, indent=2, default=str).encode()


def _slack(reply: slack_fake.Reply) -> Answer:
    status, headers, body = reply
    return status, {**JSON, **headers}, json.dumps(body).encode()


class Routes:
    def __init__(self, sandbox: WebHost) -> None:
        self.sandbox = sandbox
        self.slack_local = slack_local.SlackLocal(
            sandbox, lambda headers, body: self.slack_events("/slack/events", headers, body)
        )

    def dispatch(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Answer:
        try:
            return self._route(method, raw_path, headers, body)
        except _Starting as exc:
            return _json(503, {"error": "STARTING", "message": f"the sandbox is starting: no {exc} yet"})

    def _route(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Answer:
        path = urlsplit(raw_path).path
        if path == "/_sandbox/info":
            return (
                _json(200, self.sandbox.info()) if self.sandbox.ready else _json(503, {"status": "starting"})
            )
        if path.startswith(drs_http.PREFIX + "/"):
            responder = _started(self.sandbox.drs_responder, "DRS emulator")
            return drs_http.serve(responder, method, raw_path, headers, body)
        if path == "/api" or path.startswith("/api/"):
            return self.api(method, raw_path[len("/api") :] or "/", headers, body)
        name = invoke_api.function_name_from_path(path)
        if name is not None and method == "POST":
            return invoke_api.invoke(self._runtime(), name, body, headers.get("X-Amz-Invocation-Type"))
        if path.startswith("/2015-03-31/functions/") and method == "GET":
            return self.lambda_read(raw_path, headers)
        if path == "/_sandbox/faults":
            return self.faults(method, body)
        if path == "/_sandbox/drs-state/servers" and method == "POST":
            return _json(*_started(self.sandbox.drs, "DRS emulator").add_servers(body))
        if path.startswith("/slack-api/") and method == "POST":
            args = slack_fake.parse_body(body, headers.get("Content-Type", ""))
            return _slack(self.sandbox.slack.answer(path.rsplit("/", 1)[-1], args))
        if path.startswith("/slack-response") and method == "POST":
            payload = slack_fake.parse_body(body, headers.get("Content-Type", "application/json"))
            return _slack(self.sandbox.slack.answer_response_url(path, payload))
        if path == "/slack/events" and method == "POST":
            return self.slack_events(raw_path, headers, body)
        if path.startswith("/slack-local/") and method == "POST":
            return self.slack_local.handle(path, body)
        if method in ("GET", "HEAD"):
            return self.page(path)
        return _json(404, {"error": "NOT_FOUND", "message": f"the sandbox serves no {method} {path}"})

    def lambda_read(self, raw_path: str, headers: dict[str, str]) -> Answer:
        """A Lambda API read the workers make here (``AWS_ENDPOINT_URL_LAMBDA``), e.g. ``GetFunction``
        for readiness ``hooks_resolvable``: moto's answer, which knows the deployed functions."""
        forwarded = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")}
        moto = str(self.sandbox.info()["awsEndpoint"])
        request = urllib.request.Request(moto + raw_path, headers=forwarded)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the embedded AWS
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def faults(self, method: str, body: bytes) -> Answer:
        """``GET``: the faults in force; ``POST`` a :class:`sandbox.emulators.faults.FaultsChange`: change
        them."""
        if method == "GET":
            return _json(200, faults.current().model_dump())
        if method != "POST":
            return _json(405, {"error": "METHOD_NOT_ALLOWED", "message": "GET or POST /_sandbox/faults"})
        try:
            change = faults.FaultsChange.model_validate_json(body or b"{}")
        except ValidationError as exc:
            fields = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
            message = f"not a valid faults change: {fields}"
            return _json(400, {"error": "VALIDATION_ERROR", "message": message})
        return _json(200, faults.change(change).model_dump())

    def page(self, path: str) -> Answer:
        sandbox = self.sandbox
        if path == "/_sandbox/drs-state":
            return _json(200, sandbox.drs.state() if sandbox.drs else {})
        if path == "/outbox.json":
            return _json(200, sandbox.outbox.all())
        if path == "/outbox":
            return 200, dict(HTML), pages.outbox(sandbox.outbox.all(), SIMULATED_LABEL).encode()
        if path == "/slack-local/messages.json":
            return _json(200, sandbox.slack.messages())
        if path == "/slack-local/channels.json":
            return _json(200, sandbox.slack.channel_list())
        if path in ("/slack-local", "/slack-local/") or path in pages.STATIC:
            return pages.static(path)
        if path == "/":
            base = sandbox.base_url
            links = [(label, base + p) for label, p in _INDEX_LINKS]
            return 200, dict(HTML), pages.index(links, SIMULATED_LABEL).encode()
        return _json(404, {"error": "NOT_FOUND", "message": f"the sandbox serves no page {path}"})

    def api(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        function = self.sandbox.functions.get("api")
        if not function:
            return _json(503, {"error": "NOT_DEPLOYED", "message": "the api function is not deployed"})
        event = apigw.proxy_event(method, path, headers, body, stage="sandbox", default_account=ACCOUNTS[0])
        return self._proxy(function, event)

    def slack_events(self, raw_path: str, headers: dict[str, str], body: bytes) -> Answer:
        arrived = slack_requests.origin(self.sandbox.signing_secret, headers, body)
        if arrived is not None:  # Slack sent it from a channel: one with the bot in it, from now on
            self.sandbox.slack.arrive(*arrived)
        function = self.sandbox.functions.get("bot")
        if not function:
            message = "the Slack bot function is not deployed in this sandbox (no cfn/bot.yaml yet)"
            return _json(503, {"error": "BOT_NOT_DEPLOYED", "message": message})
        event = apigw.proxy_event(
            "POST", raw_path, headers, body, stage="sandbox", default_account=ACCOUNTS[0], claims=False
        )
        return self._proxy(function, event)

    def _proxy(self, function: str, event: dict[str, Any]) -> Answer:
        result = self._runtime().invoke(function, event)
        if result.function_error:
            error = json.loads(result.payload)
            return _json(502, {"message": "Internal server error", "sandbox": f"{function} raised", **error})
        return apigw.http_response(json.loads(result.payload))

    def _runtime(self) -> LambdaRuntime:
        return _started(self.sandbox.runtime, "Lambda runtime")


_INDEX_LINKS = [
    ("info", "/_sandbox/info"),
    ("outbox", "/outbox"),
    ("slack-local", "/slack-local"),
    ("REST API (e.g.)", "/api/recovery-plans"),
]


class _Handler(BaseHTTPRequestHandler):
    routes: Routes
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        try:
            status, out_headers, payload = self.routes.dispatch(self.command, self.path, headers, body)
        except slack_fake.SlackDown:
            self.close_connection = True  # unanswered, as an unreachable Slack would leave it
            return
        except Exception as exc:
            log.error("%s %s failed:\n%s", self.command, self.path, traceback.format_exc())
            status, out_headers, payload = _json(500, {"error": "SANDBOX_ERROR", "message": repr(exc)})
        self.send_response(status)
        for key, value in out_headers.items():
            if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("web: " + format, *args)


class _Server(ThreadingHTTPServer):
    # The listen backlog. The standard library's default (5) overflowed when a few dozen clients
    # connected at once, and the kernel reset the connections it could not queue.
    request_queue_size = 1024
    daemon_threads = True  # a request still running never holds up the sandbox's exit

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # the client went away: nothing to answer
            log.debug("web: %s disconnected", client_address)
            return
        super().handle_error(request, client_address)


class WebServer:
    def __init__(self, sandbox: WebHost) -> None:
        self.routes = Routes(sandbox)
        handler = type("Handler", (_Handler,), {"routes": self.routes})
        try:
            self.server = _Server((sandbox.host, sandbox.port), handler)
        except OSError as exc:
            raise OSError(f"web port {sandbox.port} is in use: pick another with --port") from exc
        self.thread = threading.Thread(target=self.server.serve_forever, name="sandbox-web", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():  # shutdown() waits for serve_forever(): only if it runs
            self.server.shutdown()
            self.thread.join(timeout=5)
        self.server.server_close()
