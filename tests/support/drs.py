"""The DRS the tests run against: the sandbox's emulator (``sandbox.emulators.drs``), in process.

Its estate is the sandbox's demo estate plus, in each test account (``tests/conftest.py``'s
``ACCOUNT_A``, ``_B``, ``_C``) and the deployment's own account (moto's default), every *numbered*
server id - the ids ``tests/support/data.py``'s ``server_id()`` makes (``s-`` + 17 hex digits,
value below 10^9). A demo server id exists only in its own account, as in DRS: tests that play
another account use those. Jobs complete on their second ``DescribeJobs`` read; a terminated
recovery instance is listed (``SHUTTING-DOWN``) by one more ``DescribeRecoveryInstances`` read and
gone from the next.

:func:`add_tagged_servers` adds servers carrying given tags to an account (1,000 at once is fine:
``DescribeSourceServers`` pages them like DRS), for tag groups, retagging (``estate.retag``) and the
benchmarks.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import MockRawResponse

from sandbox.data.drs_data import Estate, SourceServer
from sandbox.emulators.drs import Call, DrsEmulator

NUMBERED = re.compile(r"^s-[0-9a-f]{17}$")
NUMBERED_BELOW = 10**9
COMPLETE_AFTER_POLLS = 2
TERMINATE_AFTER_POLLS = 1
_batches = itertools.count(1)


@dataclass
class NumberedEstate(Estate):
    numbered_accounts: tuple[str, ...] = ()

    def find(self, account_id: str, server_id: str) -> SourceServer | None:
        found = super().find(account_id, server_id)
        if found is None and account_id in self.numbered_accounts and _numbered(server_id):
            found = SourceServer(account_id, server_id, f"test-{int(server_id[2:], 16)}.example.internal")
            self.servers.setdefault(account_id, {})[server_id] = found
        return found


def _numbered(server_id: str) -> bool:
    return bool(NUMBERED.match(server_id)) and int(server_id[2:], 16) < NUMBERED_BELOW


def numbered_estate(*accounts: str) -> NumberedEstate:
    estate = NumberedEstate(numbered_accounts=accounts)
    estate.servers = Estate.demo().servers
    return estate


def add_tagged_servers(drs: DrsEmulator, account: str, count: int, tags: dict[str, str]) -> list[str]:
    """``count`` new source servers of ``account`` carrying ``tags`` (ids numbered from 10^9 up, so
    they never collide with ``tests/support/data.py``'s ``server_id()``); their ids, sorted."""
    start = NUMBERED_BELOW + next(_batches) * 100_000
    ids = [f"s-{start + n:017x}" for n in range(count)]
    for n, sid in enumerate(ids):
        hostname = f"tagged-{start + n}.example.internal"
        drs.estate.add(SourceServer(account, sid, hostname, tags={"Name": hostname, **tags}))
    return sorted(ids)


FAILBACK_OPERATIONS = frozenset(
    {"ReverseReplication", "StartRecovery", "StartFailbackLaunch", "StopFailback"}
)


def log_failback_calls(drs: DrsEmulator) -> list[tuple[str, str]]:
    """Failback advances by reads from now on (``failback_after_polls`` 1, not the clock); answers
    the list that gathers (operation, recovery instance or "") of every DRS call that moves it."""
    drs.failback_after_polls = 1
    log: list[tuple[str, str]] = []

    def before(call: Call, body: dict[str, Any]) -> None:
        if call.operation in FAILBACK_OPERATIONS:
            log.append((call.operation, body.get("recoveryInstanceID") or ""))

    drs.before = before
    return log


def emulator(*accounts: str) -> DrsEmulator:
    return DrsEmulator(
        numbered_estate(*accounts),
        complete_after_polls=COMPLETE_AFTER_POLLS,
        terminate_after_polls=TERMINATE_AFTER_POLLS,
    )


@contextmanager
def drs_emulator(drs: DrsEmulator, session: Any) -> Iterator[DrsEmulator]:
    """While active, every DRS call of ``session``'s clients is answered by ``drs``."""
    respond = drs.responder()

    def handle(request: Any, event_name: str, **_: Any) -> AWSResponse:
        status, headers, body = respond(event_name.rsplit(".", 1)[-1], request)
        return AWSResponse(request.url, status, headers, MockRawResponse(body))

    session.events.register_first("before-send.drs", handle)
    try:
        yield drs
    finally:
        session.events.unregister("before-send.drs", handle)
