"""Drill cleanup: terminate every recovery instance a finished drill launched, in the plan's
account, verify none is left, and record it on the execution (``cleanup``).

Exactly once across callers (REST, direct invocation, Slack, the schedule): a caller first claims
the cleanup with a conditional write (:class:`ExecutionCleanupRepository`); a caller that loses
gets the winner's record. Each TerminateRecoveryInstances request is recorded (its ids join
``terminatedInstanceIds``) before the next, and an id already there is never requested again, so
a retry after a ``FAILED`` try terminates only what is left. DRS throttling and errors are retried
by botocore (handlers/drs.py: standard mode, backoff with jitter); what still fails is ``FAILED``
with DRS's reason."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import timedelta

from handlers import drs, recovery_instances
from handlers.account_context import Caller, channel_of
from handlers.errors import ConflictError, NotFoundError
from handlers.models.execution import TERMINAL_STATUSES, Cleanup, Execution, WaveProgress
from handlers.models.protection_group import ProtectionGroup
from handlers.models.recovery_plan import RecoveryPlan
from handlers.observability import logger
from handlers.repositories.execution_cleanup import ExecutionCleanupRepository
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.protection_groups import ProtectionGroupRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository
from handlers.timestamps import format_iso, now, now_iso

STALE_CLAIM = timedelta(minutes=15)  # longer than any function runs: such a claim's caller died
VERIFY_DELAYS = (0.0, 1.0, 2.0, 4.0)  # seconds before each look for instances still there


def cleanup_execution(caller: Caller, execution_id: str) -> Execution:
    """``POST /executions/{id}/cleanup``, ``cleanup_execution``, ``/dr cleanup`` and the button."""
    return clean_up(get_execution(caller, execution_id), by=caller.principal, via=channel_of(caller))


def get_execution(caller: Caller, execution_id: str) -> Execution:
    """The caller's execution (another account's is not found); handlers.services.executions has
    the same, but importing it would bring starting executions into the orchestrator."""
    execution = ExecutionRepository().get(execution_id)
    if execution is None or execution.accountId != caller.account_id:
        raise NotFoundError(f"execution {execution_id} not found")
    return execution


def clean_up(execution: Execution, *, by: str, via: str) -> Execution:
    """Clean ``execution`` up once; the record as it stands when this call is done."""
    refuse_if_not_cleanable(execution)
    if execution.cleanup is not None and execution.cleanup.status == "COMPLETED":
        return execution
    earlier = execution.cleanup.terminatedInstanceIds if execution.cleanup else []
    claim = Cleanup(
        status="IN_PROGRESS",
        requestedBy=by,
        requestedVia=via,
        requestedAt=now_iso(),
        terminatedInstanceIds=earlier,
    )
    records = ExecutionCleanupRepository()
    if not records.claim(execution.executionId, claim, stale_before=format_iso(now() - STALE_CLAIM)):
        return _current(execution.executionId)  # another caller cleans up (or has): its record
    run = _Run(execution, claim, records)
    try:
        outcome = run.terminate_and_verify()
    except drs.DrsCallError as exc:
        outcome = run.progress.model_copy(update={"status": "FAILED", "message": str(exc)[:1000]})
    final = outcome.model_copy(update={"completedAt": now_iso()})
    logger.info(
        "drill cleanup ended",
        extra={
            "executionId": execution.executionId,
            "status": final.status,
            "terminated": len(final.terminatedInstanceIds),
        },
    )
    return records.record(execution.executionId, final, claimed_at=claim.requestedAt) or _current(
        execution.executionId
    )


def refuse_if_not_cleanable(execution: Execution) -> None:
    if not execution.isDrill:
        raise ConflictError(
            f"execution {execution.executionId} is a RECOVERY: its recovery instances are production "
            "and are never cleaned up by drs-chatops"
        )
    if execution.status not in TERMINAL_STATUSES:
        raise ConflictError(
            f"execution {execution.executionId} is still {execution.status}: clean a drill up after it ends"
        )


def _current(execution_id: str) -> Execution:
    execution = ExecutionRepository().get(execution_id)
    assert execution is not None  # executions are never deleted
    return execution


class _Run:
    """One claimed cleanup: its progress is recorded after every termination request."""

    def __init__(self, execution: Execution, claim: Cleanup, records: ExecutionCleanupRepository) -> None:
        self.execution, self.progress, self.records = execution, claim, records
        self.claimed_at = claim.requestedAt

    def terminate_and_verify(self) -> Cleanup:
        left: list[str] = []
        for target, waves in _targets(self.execution).items():
            client = drs.client_for(
                target, self.execution.executionId, session_policy=drs.CLEANUP_SESSION_POLICY
            )
            launched = _launched(client, waves)
            alive = recovery_instances.live(client, launched)
            drills = [i for i in launched if i in alive and alive[i].get("isDrill", True)]
            requested = set(self.progress.terminatedInstanceIds)
            self._terminate(client, [i for i in drills if i not in requested])
            left += _still_there(client, drills)
        return self._outcome(left)

    def _terminate(self, client: object, instance_ids: list[str]) -> None:
        for start in range(0, len(instance_ids), recovery_instances.CHUNK):
            chunk = instance_ids[start : start + recovery_instances.CHUNK]
            recovery_instances.terminate(client, chunk)
            done = [*self.progress.terminatedInstanceIds, *chunk]
            self.progress = self.progress.model_copy(update={"terminatedInstanceIds": done})
            self.records.record(self.execution.executionId, self.progress, claimed_at=self.claimed_at)

    def _outcome(self, left: list[str]) -> Cleanup:
        count = len(self.progress.terminatedInstanceIds)
        if left:
            message = (
                f"{len(left)} recovery instance(s) still there after termination was requested: "
                f"{', '.join(left[:20])}; clean up again to verify (nothing is terminated twice)"
            )
            return self.progress.model_copy(update={"status": "FAILED", "message": message})
        message = (
            f"terminated {count} recovery instance(s); none is left"
            if count
            else ("no recovery instance of this drill was left to terminate")
        )
        return self.progress.model_copy(update={"status": "COMPLETED", "message": message})


def _targets(execution: Execution) -> dict[drs.DrsTarget, list[WaveProgress]]:
    """The waves that started DRS jobs, by where their DRS calls go (the plan's account)."""
    plan = RecoveryPlanRepository().get(execution.planId)
    groups = ProtectionGroupRepository()
    by_target: dict[drs.DrsTarget, list[WaveProgress]] = defaultdict(list)
    for wave in execution.waves:
        if wave.jobIds or any(_recorded_instance(s) for s in wave.servers):
            group = groups.get(wave.protectionGroupId)
            by_target[_target(execution, wave, group, plan)].append(wave)
    return by_target


def _target(
    execution: Execution, wave: WaveProgress, group: ProtectionGroup | None, plan: RecoveryPlan | None
) -> drs.DrsTarget:
    if group is not None and group.accountId == execution.accountId:
        return drs.target_for(group, plan, region=wave.region)
    role, external = (plan.assumeRoleName, plan.externalId) if plan else ("", "")
    return drs.target(execution.accountId, wave.region, role, external)  # never another account


def _launched(client: object, waves: list[WaveProgress]) -> list[str]:
    job_ids = [j for w in waves for j in w.jobIds]
    found = recovery_instances.launched_by_jobs(client, job_ids)
    recorded = [_recorded_instance(s) for w in waves for s in w.servers]
    return list(dict.fromkeys([*found, *(i for i in recorded if i)]))


def _recorded_instance(server: object) -> str:
    """``ServerLaunch.recoveryInstanceId`` where an execution records it (older ones do not)."""
    return str(getattr(server, "recoveryInstanceId", "") or "")


def _still_there(client: object, instance_ids: list[str]) -> list[str]:
    if not instance_ids:
        return []
    left = instance_ids
    for delay in VERIFY_DELAYS:
        time.sleep(delay)
        alive = recovery_instances.live(client, left)
        left = [i for i in left if i in alive]
        if not left:
            break
    return left
