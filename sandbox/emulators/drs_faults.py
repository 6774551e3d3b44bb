"""DRS faults on demand (``/_sandbox/faults`` keys ``drs`` and ``failingServers``), around the DRS
emulator of :mod:`sandbox.emulators.drs` without changing it.

- ``drs: throttle`` answers every call with DRS's ``ThrottlingException`` (HTTP 429, which botocore
  retries and then raises); ``drs: error`` with ``InternalServerException`` (HTTP 500).
- ``quotas`` sets the launch quotas the emulator enforces (Service Quotas lists the same ones).
- ``failingServers: recover`` lets the servers that always fail to launch (``failingSourceServers``)
  launch in the jobs started from then on: a retried wave succeeds. Jobs started before keep their
  outcome, as real DRS jobs would.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from botocore.awsrequest import AWSPreparedRequest

from sandbox.data.drs_quotas import DrsQuotas
from sandbox.emulators import faults
from sandbox.emulators.drs import Answer, DrsEmulator

_FAULTS = {
    "throttle": (429, "ThrottlingException", "Rate exceeded (sandbox fault: drs is set to throttle)"),
    "error": (500, "InternalServerException", "Internal error (sandbox fault: drs is set to error)"),
}


class FaultyDrsEmulator(DrsEmulator):
    """The DRS emulator, answering as the faults in force say."""

    def failing_recovered(self) -> bool:
        return self.recovered or faults.current().failingServers == "recover"

    def current_denied(self) -> set[str]:
        return self.denied_actions | set(faults.current().deniedActions)

    def current_quotas(self) -> DrsQuotas:
        return faults.current().quotas.as_quotas()

    def responder(self) -> Callable[[str, AWSPreparedRequest], Answer]:
        respond = super().responder()

        def faulty(operation: str, request: AWSPreparedRequest) -> Answer:
            fault = _FAULTS.get(faults.current().drs)
            if fault is None:
                return respond(operation, request)
            status, code, message = fault
            headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code}
            return status, headers, json.dumps({"message": message}).encode()

        return faulty
