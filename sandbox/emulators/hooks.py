"""botocore ``before-send`` hooks: answer some AWS calls in this process instead of over HTTP.

Two services are answered here, for the calls made in the sandbox process itself (moto's Step
Functions engine invoking a task's function, seeding): Lambda ``Invoke`` (moto's Lambda needs
Docker, absent here; the sandbox runs the function in its worker processes, see
:mod:`sandbox.runtime.lambdas`) and DRS (moto has no DRS; see :mod:`sandbox.emulators.drs`). The
workers themselves reach both over HTTP, through the sandbox's web port.

A hook registered on one session's event emitter would miss clients of other sessions, so the hook
is appended to ``botocore.handlers.BUILTIN_HANDLERS`` (which every session created afterwards
registers, as moto's own ``mock_aws`` does) *and* registered on an already existing default session.
It must be installed before any client is created.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

import boto3
import botocore.handlers
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

# service name -> function(operation, request) -> (status, headers, body) or None to pass through
Responder = Callable[[str, AWSPreparedRequest], "tuple[int, dict[str, str], bytes] | None"]
_responders: dict[str, Responder] = {}


class _RawResponse(BytesIO):
    """What ``AWSResponse`` needs from a raw body: ``read`` (streaming outputs) and ``stream``."""

    def stream(self, **_: Any) -> Any:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def _before_send(request: AWSPreparedRequest, event_name: str, **_: Any) -> AWSResponse | None:
    # event_name: "before-send.<service>.<Operation>"
    parts = event_name.split(".")
    if len(parts) < 3:
        return None
    responder = _responders.get(parts[1])
    if responder is None:
        return None
    answer = responder(parts[2], request)
    if answer is None:
        return None
    status, headers, body = answer
    return AWSResponse(request.url, status, headers, _RawResponse(body))


_installed = False


def install(service: str, responder: Responder) -> None:
    """Answer ``service`` calls with ``responder``; installs the shared hook on first use."""
    global _installed
    _responders[service] = responder
    if _installed:
        return
    botocore.handlers.BUILTIN_HANDLERS.insert(0, ("before-send", _before_send))
    if boto3.DEFAULT_SESSION is not None:
        boto3.DEFAULT_SESSION.events.register_first("before-send", _before_send)
    _installed = True


def installed() -> list[str]:
    """The services answered here now."""
    return sorted(_responders)


def uninstall_all() -> None:
    _responders.clear()


def uninstall(service: str) -> None:
    _responders.pop(service, None)
