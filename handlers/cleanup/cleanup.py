"""Drill cleanup: terminate every recovery instance a finished drill launched, in the plan's
account, wait until DRS has terminated them, and record it on the execution (``cleanup``).

Exactly once across callers (REST, direct invocation, Slack, the schedule): a caller first claims
the cleanup with a conditional write (:class:`ExecutionCleanupRepository`); a caller that loses
gets the winner's record. Each TerminateRecoveryInstances request is recorded (its ids join
``terminatedInstanceIds``) before the next, and an id already there (or one DRS is terminating
already) is never requested again, so a retry after a ``FAILED`` try terminates only what is left.
DRS throttling and errors are retried by botocore (handlers/aws/drs.py: standard mode, backoff with
jitter); what still fails is ``FAILED`` with DRS's reason.

DRS terminates asynchronously: its instances go minutes after the request. The cleanup stays
``IN_PROGRESS`` and a one-time schedule (handlers/aws/schedules.py) runs the orchestrator's
``cleanup_check`` task: every instance gone is ``COMPLETED``; some left, another look later
(backing off, ``CLEANUP_CHECK_SECONDS`` doubling up to ``CLEANUP_CHECK_MAX_SECONDS``) until
``CLEANUP_LIMIT_MINUTES`` after the request, then ``FAILED`` naming them. A check belongs to one
claim (its ``requestedAt``), so a check of an earlier claim does nothing. The end is announced
(``cleanup_done``: the Slack message and an email)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.accounts.account_context import Caller, channel_of
from handlers.aws import drs, recovery_instances, schedules
from handlers.core.errors import ConflictError, NotFoundError
from handlers.core.observability import count, logger
from handlers.core.settings import ConfigurationError, get_settings
from handlers.core.timestamps import format_iso, now, now_iso, parse_iso
from handlers.events.execution_events import announce
from handlers.models.execution import TERMINAL_STATUSES, Cleanup, CleanupCheckTask, Execution, WaveProgress
from handlers.models.protection_group import ProtectionGroup
from handlers.models.recovery_plan import RecoveryPlan
from handlers.repositories.execution_cleanup import ExecutionCleanupRepository
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.protection_groups import ProtectionGroupRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository

STALE_CLAIM = timedelta(minutes=15)  # longer than any function runs: such a claim's caller died
GONE_STATES = frozenset({"SHUTTING-DOWN", "TERMINATED"})  # DRS terminates these already


def check_name(execution_id: str) -> str:
    return f"cleanup-check-{execution_id}"


def cleanup_execution(caller: Caller, execution_id: str) -> Execution:
    """``POST /executions/{id}/cleanup``, ``cleanup_execution``, ``/dr cleanup`` and the button."""
    return clean_up(get_execution(caller, execution_id), by=caller.principal, via=channel_of(caller))


def get_execution(caller: Caller, execution_id: str) -> Execution:
    """The caller's execution (another account's is not found); handlers.runs.executions has
    the same, but importing it would bring starting executions into the orchestrator."""
    execution = ExecutionRepository().get(execution_id)
    if execution is None or execution.accountId != caller.account_id:
        raise NotFoundError(f"execution {execution_id} not found")
    return execution


def clean_up(execution: Execution, *, by: str, via: str) -> Execution:
    """Clean ``execution`` up once; the record as it stands when this call is done (``IN_PROGRESS``
    while DRS terminates, a scheduled check finishing it)."""
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
    # an IN_PROGRESS claim is abandoned once longer than a call and all its checks can take passed
    abandoned = now() - STALE_CLAIM - timedelta(minutes=get_settings().cleanup_limit_minutes)
    if not records.claim(execution.executionId, claim, stale_before=format_iso(abandoned)):
        return _current(execution.executionId)  # another caller cleans up (or has): its record
    run = _Run(execution, claim, records)
    try:
        left = run.terminate()
    except drs.DrsCallError as exc:
        return run.finish("FAILED", str(exc)[:1000])
    return run.wait(left, attempt=1) if left else run.finish("COMPLETED", run.none_left())


def check_cleanup(task: CleanupCheckTask) -> dict[str, Any]:
    """The ``cleanup_check`` task: finish the claimed cleanup if DRS has terminated every instance
    (``COMPLETED``) or the limit has passed (``FAILED``), else look again later."""
    execution = ExecutionRepository().get(task.executionId)
    cleanup = execution.cleanup if execution is not None else None
    if execution is None or cleanup is None or cleanup.status != "IN_PROGRESS":
        return {"checked": False}
    if cleanup.requestedAt != task.requestedAt:
        return {"checked": False}  # a check of an earlier claim
    run = _Run(execution, cleanup, ExecutionCleanupRepository())
    try:
        left, error = run.still_there(), ""
    except drs.DrsCallError as exc:
        left, error = [], str(exc)[:900]
    if not left and not error:
        done = run.finish("COMPLETED", run.none_left())
    elif now() < run.deadline():
        done = run.wait(left, attempt=task.attempt + 1, error=error)
    else:
        done = run.finish("FAILED", run.left_message(left, error))
    return {"checked": True, "status": done.cleanup.status if done.cleanup else "", "left": len(left)}


def refuse_if_not_cleanable(execution: Execution) -> None:
    # A RECOVERY's instances are production until failback re-protected the origin (handlers/failback/).
    reprotected = execution.failback is not None and execution.failback.status == "REPROTECTED"
    if not execution.isDrill and not reprotected:
        raise ConflictError(
            f"execution {execution.executionId} is a RECOVERY: its recovery instances are production "
            "and are cleaned up only after failback re-protected the origin (docs/failback.md)"
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

    def terminate(self) -> list[str]:
        """Request the termination of every drill instance not requested yet; the drill's instances
        DRS still has (all of them, until DRS has terminated them)."""
        there: list[str] = []
        for client, drills in self._drill_instances():
            requested = set(self.progress.terminatedInstanceIds)
            ending = {
                i for i, found in drills.items() if str(found.get("ec2InstanceState", "")) in GONE_STATES
            }
            self._terminate(client, [i for i in drills if i not in requested and i not in ending])
            there += drills
        return there

    def still_there(self) -> list[str]:
        return [i for _, drills in self._drill_instances() for i in drills]

    def _drill_instances(self) -> list[tuple[object, dict[str, dict[str, Any]]]]:
        """Per target, its client and the drill's instances DRS lists (id -> description)."""
        found = []
        for target, waves in _targets(self.execution).items():
            client = drs.client_for(
                target, self.execution.executionId, session_policy=drs.CLEANUP_SESSION_POLICY
            )
            launched = _launched(client, waves)
            alive = recovery_instances.live(client, launched)
            found.append(
                (
                    client,
                    {
                        i: alive[i]
                        for i in launched
                        if i in alive and alive[i].get("isDrill", True) == self.execution.isDrill
                    },
                )
            )
        return found

    def _terminate(self, client: object, instance_ids: list[str]) -> None:
        for start in range(0, len(instance_ids), recovery_instances.CHUNK):
            chunk = instance_ids[start : start + recovery_instances.CHUNK]
            recovery_instances.terminate(client, chunk)
            done = [*self.progress.terminatedInstanceIds, *chunk]
            self._record(self.progress.model_copy(update={"terminatedInstanceIds": done}))

    def _record(self, progress: Cleanup) -> Execution | None:
        self.progress = progress
        return self.records.record(self.execution.executionId, progress, claimed_at=self.claimed_at)

    def deadline(self) -> datetime:
        return parse_iso(self.claimed_at) + timedelta(minutes=get_settings().cleanup_limit_minutes)

    def wait(self, left: list[str], *, attempt: int, error: str = "") -> Execution:
        """Record that DRS is terminating ``left`` and schedule the next check; a check that cannot
        be scheduled ends the cleanup ``FAILED`` (nothing else would look again)."""
        settings = get_settings()
        delay = min(settings.cleanup_check_seconds * 2 ** (attempt - 1), settings.cleanup_check_max_seconds)
        at = min(now() + timedelta(seconds=delay), self.deadline())
        task = {"task": "cleanup_check", "executionId": self.execution.executionId}
        try:
            schedules.schedule_at(
                check_name(self.execution.executionId),
                at,
                {**task, "requestedAt": self.claimed_at, "attempt": attempt},
            )
        except (ClientError, BotoCoreError, ConfigurationError) as exc:
            count("CleanupCheckScheduleFailure")
            why = f"{type(exc).__name__}: {str(exc)[:300]}"
            return self.finish(
                "FAILED",
                f"termination of {len(left)} recovery instance(s) requested, but the check that they are "
                f"gone could not be scheduled ({why}); clean up again to check (nothing is terminated twice)",
            )
        again = f"looking again at {format_iso(at)[11:19]} UTC"
        waiting = f"DRS is terminating {len(left)} recovery instance(s); {again}" + (
            f" (DRS did not answer: {error})" if error else ""
        )
        return self._record(self.progress.model_copy(update={"message": waiting[:1000]})) or _current(
            self.execution.executionId
        )

    def finish(self, status: str, message: str) -> Execution:
        """Record the cleanup's end and announce it (once: only the claim's owner records it)."""
        final = self.progress.model_copy(
            update={"status": status, "message": message, "completedAt": now_iso()}
        )
        recorded = self._record(final)
        logger.info(
            "drill cleanup ended",
            extra={
                "executionId": self.execution.executionId,
                "status": status,
                "terminated": len(final.terminatedInstanceIds),
            },
        )
        if recorded is None:
            return _current(self.execution.executionId)
        announce(recorded, "cleanup_done")
        return recorded

    def none_left(self) -> str:
        count = len(self.progress.terminatedInstanceIds)
        if count:
            return f"terminated {count} recovery instance(s); none is left"
        return "no recovery instance of this drill was left to terminate"

    def left_message(self, left: list[str], error: str) -> str:
        minutes = get_settings().cleanup_limit_minutes
        if not left:
            return (
                f"DRS could not be asked whether the recovery instances are gone for {minutes} min: {error}"
            )
        return (
            f"{len(left)} recovery instance(s) still there {minutes} min after their termination was "
            f"requested: {', '.join(left[:20])}; look at them in the DRS console"
        )


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
