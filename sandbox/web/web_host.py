"""What the web routes need from the sandbox process, as protocols.

The process (:mod:`sandbox.app`) builds the web server and hands itself in; the routes
(:mod:`sandbox.web.routes`, :mod:`sandbox.web.slack_local`) see it only through these protocols, so they never
import the process that sits above them (the layers: ``tests/unit/test_sandbox_layers.py``). Unit
tests hand in a small stand-in with just the attributes a route reads.

Parts that ``Sandbox.start()`` brings up one after the other are ``None`` until then.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sandbox.data.outbox import Outbox
from sandbox.emulators.drs import DrsEmulator
from sandbox.emulators.hooks import Responder
from sandbox.emulators.slack_fake import SlackRecorder
from sandbox.runtime.lambdas import LambdaRuntime


class SlackLocalHost(Protocol):
    """What ``/slack-local`` needs: where it is, the secret to sign with, the recorded messages."""

    @property
    def base_url(self) -> str: ...

    @property
    def signing_secret(self) -> str: ...

    @property
    def slack(self) -> SlackRecorder: ...


class WebHost(SlackLocalHost, Protocol):
    """What the web port needs: the above, plus the parts each of its paths is served by."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def ready(self) -> bool: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def runtime(self) -> LambdaRuntime | None: ...

    @property
    def drs(self) -> DrsEmulator | None: ...

    @property
    def drs_responder(self) -> Responder | None: ...

    @property
    def functions(self) -> Mapping[str, str | None]: ...

    def info(self) -> dict[str, Any]:
        """The ``/_sandbox/info`` document."""
        ...
