"""The embedded AWS: moto's server, in this process, with Step Functions execution switched on.

Order matters and is the reason this module exists:

1. ``MOTO_PORT`` must be set *before moto is imported*: its Step Functions engine calls
   ``http://localhost:$MOTO_PORT`` for task integrations (``lambda:invoke`` and friends).
2. Fake credentials, the region and ``AWS_ENDPOINT_URL`` go into the process environment, so every
   boto3 client created afterwards talks to moto and can never reach real AWS. The Lambda workers
   get the same, fixed at their start (:func:`client_environment`). ``MOTO_ACCOUNT_ID`` makes the
   deployment live in the first demo account (``GetCallerIdentity`` says so), which is where its own
   credentials act in the DRS emulator.
3. The botocore ``before-send`` hooks (Lambda Invoke, DRS) are installed before any client exists
   (see :mod:`sandbox.emulators.hooks`).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.data.drs_data import DEPLOYMENT_ACCOUNT

if TYPE_CHECKING:  # imported in start(), once the environment is ready for moto
    from moto.server import ThreadedMotoServer

log = logging.getLogger("sandbox")

REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "sandbox",
    "AWS_SECRET_ACCESS_KEY": "sandbox",
    "AWS_SESSION_TOKEN": "sandbox",
}


def prepare_environment(aws_port: int) -> str:
    """Point this process at the embedded AWS; returns its endpoint URL. Call before importing moto."""
    endpoint = f"http://127.0.0.1:{aws_port}"
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.update(
        MOTO_PORT=str(aws_port),
        MOTO_ACCOUNT_ID=DEPLOYMENT_ACCOUNT,
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_ENDPOINT_URL=endpoint,
    )
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        os.environ.pop(name, None)
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return endpoint


def client_environment(endpoint: str, *, lambda_endpoint: str, drs_endpoint: str) -> dict[str, str]:
    """The ``AWS_*`` variables of a process that calls the embedded AWS over HTTP (a Lambda worker):
    fake credentials, the region, moto for every service but Lambda Invoke and DRS, which the
    sandbox's web port serves."""
    return {
        **FAKE_CREDENTIALS,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ENDPOINT_URL_LAMBDA": lambda_endpoint,
        "AWS_ENDPOINT_URL_DRS": drs_endpoint,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def ensure_port_free(host: str, port: int) -> None:
    with socket.socket() as sock:
        # As the servers themselves bind (SO_REUSEADDR): a port whose last connections are only in
        # TIME_WAIT, say right after the previous sandbox stopped, is free to use.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise PortInUseError(f"port {port} is in use: pick another with --aws-port") from exc


class PortInUseError(OSError):
    pass


@dataclass
class EmbeddedAws:
    port: int
    endpoint: str
    server: ThreadedMotoServer | None = None

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        from sandbox.emulators.emulator_guarantees import (
            make_dynamodb_writes_atomic,
            make_sns_subscriptions_like_aws,
        )

        make_dynamodb_writes_atomic()
        make_sns_subscriptions_like_aws()
        _cloudformation_state_machines_executable()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        self._configure({"stepfunctions": {"execute_state_machine": True}})
        log.info("embedded AWS (moto %s) on %s", _moto_version(), self.endpoint)

    def _configure(self, config: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/moto-api/config",
            data=json.dumps(config).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def _cloudformation_state_machines_executable() -> None:
    """moto keeps two Step Functions backends: the plain one and, with ``execute_state_machine``,
    the executing "parser" backend that the API then uses. Its CloudFormation support writes state
    machines into the plain one, so a state machine deployed from ``cfn/`` would be invisible
    (``StateMachineDoesNotExist``). Point moto's CloudFormation at the executing backend."""
    import moto.stepfunctions.models as plain
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    # A module attribute swapped for another backend type that answers the same calls: setattr says so.
    setattr(plain, "stepfunctions_backends", stepfunctions_parser_backends)  # noqa: B010


def _moto_version() -> str:
    import moto

    return str(getattr(moto, "__version__", "?"))
