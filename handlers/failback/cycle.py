"""Failback and re-protect, as every channel calls them (REST, direct invocation, Slack).

Where an execution stands in the whole cycle is its ``failback.status``: recovered (no record) →
``REVERSING`` → ``READY`` → ``FAILING_BACK`` (a FAILBACK execution runs) → ``FAILED_BACK`` →
``REPROTECTED``, then the recovery region is cleaned up (``cleanup``, allowed only then:
handlers/cleanup/cleanup.py). Every move of it is one conditional write
(handlers/failback/records.py), so a move happens once and the call that made it announces it.
"""

from __future__ import annotations

import uuid
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.accounts.account_context import Caller, identity_keys
from handlers.aws import drs
from handlers.core.errors import ConflictError, DomainError, NotFoundError
from handlers.core.observability import logger
from handlers.core.timestamps import now_iso
from handlers.events.execution_events import announce
from handlers.failback import reversal
from handlers.failback.ending import failback_finished
from handlers.failback.records import FailbackRecords
from handlers.models.execution import TERMINAL_STATUSES, Execution, FailbackServer, ServerLaunch, WaveProgress
from handlers.models.recovery_plan import RecoveryPlan
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository
from handlers.runs import executions as run_executions  # a recovery's waves and state machine input

STOPPABLE = frozenset({"FAILBACK_IN_PROGRESS", "FAILBACK_READY_FOR_LAUNCH", "FAILBACK_NOT_READY_FOR_LAUNCH"})


class FailbackNotReadyError(DomainError):
    """``start_failback`` before every server can fail back: 409 ``NOT_READY`` listing them."""

    code = "NOT_READY"
    status = 409

    def __init__(self, message: str, servers: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.servers = servers

    def body(self) -> dict[str, object]:
        return {**super().body(), "servers": self.servers}


def get_execution(caller: Caller, execution_id: str) -> Execution:
    """The caller's execution (another account's is not found, worded like a missing one)."""
    execution = ExecutionRepository().get(execution_id)
    if execution is None or execution.accountId != caller.account_id:
        raise NotFoundError(f"execution {execution_id} not found")
    return execution


def _refuse_unless_recovered(execution: Execution) -> None:
    """Only a real run that ended SUCCEEDED has production instances to bring home (409 else);
    nothing is called before this passes."""
    if execution.isDrill:
        raise ConflictError(
            f"execution {execution.executionId} is a drill: drills are cleaned up, not failed back"
        )
    if execution.status != "SUCCEEDED":
        raise ConflictError(
            f"execution {execution.executionId} is {execution.status}: only a {execution.mode} that "
            "SUCCEEDED can be reversed or failed back"
        )


def reverse_replication(caller: Caller, execution_id: str) -> dict[str, Any]:
    """``POST /executions/{id}/reverse-replication``: for a RECOVERY, reverse each EC2-origin
    recovery instance once; for a FAILBACK that SUCCEEDED, re-protect the origin (the original
    RECOVERY becomes ``REPROTECTED`` once every server is). Answers the failback view."""
    execution = get_execution(caller, execution_id)
    _refuse_unless_recovered(execution)
    recovery = execution.mode != "FAILBACK"
    execution, revision, observed = reversal.reverse(execution, observe_after=recovery)
    if not recovery:
        return _reprotected(execution)
    return view_of(execution, revision=revision, observed=observed)


def _reprotected(failback_run: Execution) -> dict[str, Any]:
    """A FAILBACK's re-protect: done when every server is reversed (on premises: nothing to call)."""
    assert failback_run.failback is not None
    if all(s.reversal in ("REVERSED", "NOT_APPLICABLE") for s in failback_run.failback.servers):
        records = FailbackRecords()
        records.move(failback_run.executionId, ["REVERSING", "READY"], "REPROTECTED", updatedAt=now_iso())
        records.move(failback_run.failbackOf, ["FAILED_BACK"], "REPROTECTED", updatedAt=now_iso())
        failback_run = reversal.current(failback_run.executionId)
    return view_of(failback_run, refresh=False)


def get_failback(caller: Caller, execution_id: str) -> dict[str, Any]:
    """``GET /executions/{id}/failback``: each server's state and ``ready`` when all can fail back."""
    execution = get_execution(caller, execution_id)
    _refuse_unless_recovered(execution)
    return view_of(settle_ended_failback(reversal.ensure_record(execution)))


def settle_ended_failback(execution: Execution) -> Execution:
    """A record still ``FAILING_BACK`` whose FAILBACK run has ended, though no end reached the record
    (the run was stopped while it ran, so its state machine ran no ``finish``), moves on now exactly
    as that end would have moved it (handlers/failback/ending.py): a lock whose run ended is stale."""
    record = execution.failback
    if record is None or record.status != "FAILING_BACK" or not record.failbackExecutionId:
        return execution
    run = ExecutionRepository().get(record.failbackExecutionId)
    if run is None or run.status not in TERMINAL_STATUSES:
        return execution
    failback_finished(run.executionId)
    return reversal.current(execution.executionId)


def view_of(
    execution: Execution, *, refresh: bool = True, revision: int | None = None, observed: bool = False
) -> dict[str, Any]:
    """The failback view; ``refresh``: read DRS first and move REVERSING/READY as it says (the
    move to READY announces ``failback_ready``, once). ``revision``: of ``execution``'s record, when
    it is the record as stored (spares a read before recording what DRS says); ``observed``: its
    states were read from DRS and recorded just now (handlers/failback/reversal.py ``reverse_all``)."""
    if refresh and execution.failback is not None and execution.failback.status in ("REVERSING", "READY"):
        if not observed:
            execution = reversal.observe(execution, revision)
        execution = _settle_readiness(execution)
    record = execution.failback
    assert record is not None
    servers = [{**s.model_dump(mode="json"), "ready": reversal.is_ready(s)} for s in record.servers]
    return {
        "executionId": execution.executionId,
        "planName": execution.planName,
        "mode": execution.mode,
        "status": record.status,
        "ready": record.status == "READY",
        "failbackExecutionId": record.failbackExecutionId,
        "failbackOf": execution.failbackOf,
        "servers": servers,
        "notReady": [s["sourceServerId"] for s in servers if not s["ready"]],
        "cleanup": execution.cleanup.status if execution.cleanup else "",
    }


def _settle_readiness(execution: Execution) -> Execution:
    record = execution.failback
    assert record is not None
    ready = all(reversal.is_ready(s) for s in record.servers) and execution.mode != "FAILBACK"
    records = FailbackRecords()
    if ready and record.status == "REVERSING":
        moved = records.move(execution.executionId, ["REVERSING"], "READY", updatedAt=now_iso())
        execution = moved or reversal.current(execution.executionId)
        if records.announce_ready_once(execution.executionId):
            announce(execution, "failback_ready", message=_servers_line(execution))
    elif not ready and record.status == "READY":
        moved = records.move(execution.executionId, ["READY"], "REVERSING", updatedAt=now_iso())
        execution = moved or reversal.current(execution.executionId)
    return execution


def _servers_line(execution: Execution) -> str:
    record = execution.failback
    assert record is not None
    aws_origin = sum(1 for s in record.servers if s.origin == "AWS")
    on_premises = len(record.servers) - aws_origin
    return (
        f"{len(record.servers)} server(s) can fail back ({aws_origin} EC2 origin, {on_premises} on premises)"
    )


def start_failback(caller: Caller, execution_id: str, reason: str = "") -> Execution:
    """``POST /executions/{id}/failback``: a FAILBACK execution over the plan's waves, once."""
    original = get_execution(caller, execution_id)
    _refuse_unless_recovered(original)
    if original.mode == "FAILBACK":
        raise ConflictError(
            f"execution {execution_id} is a FAILBACK: re-protect it with POST "
            f"/executions/{execution_id}/reverse-replication"
        )
    view = view_of(settle_ended_failback(reversal.ensure_record(original)))
    if view["status"] in ("FAILING_BACK", "FAILED_BACK", "REPROTECTED"):
        raise ConflictError(
            f"failback of {execution_id} already started: execution {view['failbackExecutionId']} "
            f"({view['status']})"
        )
    if not view["ready"]:
        not_ready = [s for s in view["servers"] if not s["ready"]]
        listed = ", ".join(
            f"{s['sourceServerId']} ({s['state'] or s['reversal'] or 'not reversed'})" for s in not_ready[:10]
        )
        raise FailbackNotReadyError(
            f"{len(not_ready)} of {len(view['servers'])} servers cannot fail back yet: {listed}", not_ready
        )
    plan = RecoveryPlanRepository().get(original.planId)
    if plan is None:
        raise ConflictError(
            f"recovery plan {original.planName} no longer exists: fail back from the DRS console"
        )
    current = reversal.current(execution_id)
    assert current.failback is not None
    waves = failback_waves(current, plan)
    failback_id = str(uuid.uuid4())
    records = FailbackRecords()
    if records.move(execution_id, ["READY"], "FAILING_BACK", failbackExecutionId=failback_id) is None:
        winner = reversal.current(execution_id).failback
        winner_id = winner.failbackExecutionId if winner else ""
        raise ConflictError(f"failback of {execution_id} already started: execution {winner_id}")
    try:
        execution = _start_run(caller, original, plan, waves, failback_id)
    except Exception:
        records.move(execution_id, ["FAILING_BACK"], "READY", updatedAt=now_iso())  # nothing runs
        raise
    announce(
        reversal.current(execution_id),
        "failback_started",
        decidedBy=caller.principal,
        reason=reason,
        message=f"FAILBACK execution {failback_id}",
    )
    return execution


def failback_waves(original: Execution, plan: RecoveryPlan) -> list[WaveProgress]:
    """The plan's waves in order, each over its servers on their way home: a reversed source
    server (EC2 origin: recovered in the origin region) or a recovery instance (on premises:
    ``StartFailbackLaunch`` in the recovery region). A wave holds one kind (409 naming it else)."""
    assert original.failback is not None
    by_wave: dict[int, list[FailbackServer]] = {}
    for server in original.failback.servers:
        by_wave.setdefault(server.waveNumber, []).append(server)
    # The waves as a recovery of the plan runs them (hooks, waits included), over other servers.
    base = run_executions.progress_waves(plan, None)
    waves = []
    for wave in plan.waves:
        servers = by_wave.get(wave.waveNumber, [])
        origins = {s.origin for s in servers}
        if len(origins) > 1:
            raise ConflictError(
                f"wave {wave.waveNumber} holds servers of EC2 and on-premises origin: fail them back "
                "with separate plans (one DRS call cannot launch both)"
            )
        regions = {s.originRegion if s.origin == "AWS" else s.region for s in servers}
        if len(regions) > 1:
            raise ConflictError(
                f"wave {wave.waveNumber} fails back to more than one region: {sorted(regions)}"
            )
        launches = [
            ServerLaunch(sourceServerId=s.reversedSourceServerId, launchStatus="QUEUED")
            if s.origin == "AWS"
            else ServerLaunch(
                sourceServerId=s.sourceServerId,
                recoveryInstanceId=s.recoveryInstanceId,
                launchStatus="QUEUED",
            )
            for s in servers
        ]
        waves.append(
            base[wave.waveNumber - 1].model_copy(
                update={
                    "region": next(iter(regions), ""),
                    "servers": launches,
                    "message": "" if servers else "no server of this wave to fail back",
                }
            )
        )
    return waves


def _start_run(
    caller: Caller, original: Execution, plan: RecoveryPlan, waves: list[WaveProgress], failback_id: str
) -> Execution:
    execution = Execution(
        executionId=failback_id,
        planId=plan.planId,
        planName=plan.planName,
        accountId=plan.accountId,
        isDrill=False,
        mode="FAILBACK",
        failbackOf=original.executionId,
        startedBy=caller.principal,
        startedByKeys=list(identity_keys(caller)),
        startedVia=caller.source,
        startTime=now_iso(),
        waves=waves,
        startApproval=plan.needs_start_approval(False),  # failback is production: the recovery quorum
    )
    return run_executions.begin(plan, execution)


def stop_failback(caller: Caller, execution_id: str) -> dict[str, Any]:
    """``POST /executions/{id}/failback/stop``: ``StopFailback`` for each on-premises recovery
    instance whose failback is under way; the view after (the FAILBACK execution, if one runs, is
    cancelled like any other: ``/dr cancel``)."""
    execution = get_execution(caller, execution_id)
    _refuse_unless_recovered(execution)
    execution = reversal.observe(reversal.ensure_record(execution))
    record = execution.failback
    assert record is not None
    on_premises = [s for s in record.servers if s.origin == "ON_PREMISES"]
    if not on_premises:
        raise ConflictError(
            f"execution {execution_id} has no on-premises server: "
            "StopFailback applies to on-premises failback only"
        )
    targets = reversal.Targets(execution)
    stopped, refused = [], {}
    for server in on_premises:
        if server.state not in STOPPABLE:
            continue
        client = targets.client(server.waveNumber, server.region)
        try:
            client.stop_failback(recoveryInstanceID=server.recoveryInstanceId)
        except (ClientError, BotoCoreError) as exc:  # named per server; the others go on
            refused[server.recoveryInstanceId] = str(drs.DrsCallError("StopFailback", exc))[:500]
            continue
        stopped.append(server.recoveryInstanceId)
    logger.info("failback stopped", extra={"executionId": execution_id, "stopped": len(stopped)})
    return {
        **view_of(reversal.observe(reversal.current(execution_id))),
        "stopped": stopped,
        "refused": refused,
    }
