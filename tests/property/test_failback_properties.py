"""Failback exactly once, as a property: whatever order reverse / view / start / a FAILBACK's end /
re-protect calls come in, and whichever of DRS's ReverseReplication answers are refusals
(throttled), each recovery instance is reversed by DRS at most once, and only a refused reversal is
ever asked again (counted in the DRS emulator, per instance)."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.core.errors import DomainError
from sandbox.data.drs_calls import DrsError
from sandbox.emulators.drs import Call
from tests.conftest import ACCOUNT_A
from tests.support.data import group_body, plan_body
from tests.support.drills import finished_execution
from tests.support.events import call_api
from tests.support.state_machine import answer_state_machine_starts

OPERATIONS = st.sampled_from(["reverse", "view", "start", "end", "reprotect"])
with_moto = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _recovery() -> str:
    """A RECOVERY of two waves (2 and 1 servers) that SUCCEEDED, of a plan of its own."""
    suffix = uuid.uuid4().hex[:8]
    groups = [
        call_api("POST", "/protection-groups", group_body(f"Tier {n} {suffix}", count))[1]["groupId"]
        for n, count in ((1, 2), (2, 1))
    ]
    body = plan_body(groups, name=f"Failover {suffix}")
    for wave in body["waves"]:
        wave["pauseBeforeExecution"] = False
    status, plan = call_api("POST", "/recovery-plans", body)
    assert status == 201, plan
    return finished_execution(plan, is_drill=False).executionId


def _act(operation: str, recovery_id: str) -> None:
    """One call of the cycle, as any channel makes it; refusals (409, 404) are part of the game."""
    from handlers.accounts.account_context import Caller
    from handlers.failback import cycle, ending
    from handlers.repositories.executions import ExecutionRepository
    from handlers.runs.lifecycle import finish_execution

    caller = Caller(account_id=ACCOUNT_A, principal="@prop", source="api_gateway")
    record = ExecutionRepository().get(recovery_id)
    failback_id = record.failback.failbackExecutionId if record and record.failback else ""
    try:
        if operation == "reverse":
            cycle.reverse_replication(caller, recovery_id)
        elif operation == "view":
            cycle.get_failback(caller, recovery_id)
        elif operation == "start":
            cycle.start_failback(caller, recovery_id)
        elif operation == "end" and failback_id:
            finish_execution(failback_id, "SUCCEEDED")  # what the FAILBACK run's finish records
            ending.failback_finished(failback_id)
        elif operation == "reprotect" and failback_id:
            cycle.reverse_replication(caller, failback_id)
    except DomainError:
        pass


@with_moto
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=8), refused=st.sets(st.integers(0, 6)))
def test_any_order_of_calls_reverses_each_instance_at_most_once(
    aws: Any, monkeypatch: Any, no_backoff: None, operations: list[str], refused: set[int]
) -> None:
    from tests.conftest import reset_caches

    # Given a recovered RECOVERY, and DRS refusing some ReverseReplication calls (by their order)
    answer_state_machine_starts(monkeypatch, ACCOUNT_A)
    reset_caches()
    aws.drs.failback_after_polls = 1
    recovery_id = _recovery()
    asked: list[str] = []
    answered: list[str] = []

    def before(call: Call, body: dict[str, Any]) -> None:
        if call.operation != "ReverseReplication":
            return
        asked.append(str(body["recoveryInstanceID"]))
        if len(asked) - 1 in refused:
            raise DrsError(429, "ThrottlingException", "Rate exceeded")
        answered.append(str(body["recoveryInstanceID"]))

    aws.drs.before = before
    # When the calls come in this order (and the reversal is asked once more at the end)
    try:
        for operation in [*operations, "reverse"]:
            _act(operation, recovery_id)
    finally:
        aws.drs.before = None
    # Then DRS reversed each instance at most once, and asked again only after a refusal
    assert all(n == 1 for n in Counter(answered).values()), Counter(answered)
    refusals = Counter(asked) - Counter(answered)
    for instance, n in Counter(asked).items():
        assert n <= 1 + refusals[instance], (instance, n, refusals[instance])
