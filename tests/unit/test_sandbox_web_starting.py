"""The web port answers while ``Sandbox.start()`` is still bringing parts up: a request for a part
that is not up yet is a 503 that says so, never a 500 from a ``None`` (the routes see the process
only through :class:`sandbox.web.web_host.WebHost`, where such parts are ``None`` until started)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sandbox.data.outbox import Outbox
from sandbox.emulators.drs import DrsEmulator
from sandbox.emulators.hooks import Responder
from sandbox.emulators.slack_fake import SlackRecorder
from sandbox.runtime.lambdas import LambdaRuntime
from sandbox.web.routes import Routes


@dataclass
class Starting:
    """A sandbox process part way through ``start()``: nothing but the recorders is up."""

    host: str = "127.0.0.1"
    port: int = 0
    base_url: str = "http://sandbox"
    signing_secret: str = "s"
    ready: bool = False
    slack: SlackRecorder = field(default_factory=SlackRecorder)
    outbox: Outbox = field(default_factory=lambda: Outbox("http://sandbox"))
    runtime: LambdaRuntime | None = None
    drs: DrsEmulator | None = None
    drs_responder: Responder | None = None
    functions: dict[str, str | None] = field(default_factory=dict)

    def info(self) -> dict[str, Any]:
        return {}


def test_a_lambda_invoke_before_the_runtime_is_up_is_a_503_naming_it() -> None:
    # Given a sandbox whose Lambda runtime is not up yet
    routes = Routes(Starting())

    # When a Lambda Invoke API call arrives
    status, _, body = routes.dispatch("POST", "/2015-03-31/functions/api/invocations", {}, b"{}")

    # Then it is told the sandbox is starting
    assert status == 503
    assert json.loads(body) == {
        "error": "STARTING",
        "message": "the sandbox is starting: no Lambda runtime yet",
    }


def test_a_drs_call_before_the_emulator_is_up_is_a_503_naming_it() -> None:
    # Given a sandbox whose DRS emulator is not up yet
    routes = Routes(Starting())

    # When a Lambda worker's DRS call arrives
    status, _, body = routes.dispatch("POST", "/_sandbox/drs/DescribeJobs", {}, b"{}")

    # Then it is told the sandbox is starting
    assert status == 503
    assert json.loads(body)["message"] == "the sandbox is starting: no DRS emulator yet"


def test_info_before_the_sandbox_is_ready_is_a_503() -> None:
    # Given a sandbox that has not finished starting
    routes = Routes(Starting())

    # When /_sandbox/info is asked
    status, _, body = routes.dispatch("GET", "/_sandbox/info", {}, b"")

    # Then it answers 503 "starting", as e2e tests wait for
    assert (status, json.loads(body)) == (503, {"status": "starting"})
