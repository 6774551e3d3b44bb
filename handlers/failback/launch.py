"""How a FAILBACK execution's wave chooses and launches its servers: the one place a FAILBACK run
differs from a recovery. The orchestrator (handlers/orchestrator.py) routes a FAILBACK run's
``start_wave`` here; pauses, polls, retries' bookkeeping, the finish, RTO and the report are the
recovery's own (handlers/runs/).

The servers are chosen when the failback starts (handlers/failback/cycle.py ``failback_waves``)
and recorded on the wave, ``QUEUED``:

- EC2 origin: the reversed source servers, recovered with ``StartRecovery`` in the origin region
  (the wave's ``region``) within the quotas, exactly as a recovery's wave
  (handlers/runs/wave_launch.py ``launch_queued``);
- on premises: the recovery instances (``recoveryInstanceId`` set on the wave's servers), failed
  back with ``StartFailbackLaunch`` (at most 200 a call) in the recovery region.

Polling the wave's jobs is the recovery's: DRS answers both kinds with jobs and their
participating servers. So is a failed wave's Retry (handlers/runs/wave_failures.py records the
attempt and which servers it launches), except that an on-premises wave's attempt launches its
recovery instances with ``StartFailbackLaunch`` again, never ``StartRecovery`` (:func:`retry_wave`).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import drs
from handlers.core.errors import NotFoundError
from handlers.core.settings import get_settings
from handlers.core.timestamps import now_iso
from handlers.models.execution import Execution, RetryWaveTask, ServerLaunch, StartWaveTask, WaveProgress
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.protection_groups import ProtectionGroupRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository
from handlers.runs import wave_failures, wave_launch

FAILBACK_LAUNCH_LIMIT = 200  # StartFailbackLaunch takes at most 200 recovery instances


def is_on_premises(wave: WaveProgress) -> bool:
    """A wave of on-premises servers lists their recovery instances (EC2 origin: reversed servers)."""
    return bool(wave.servers) and all(s.recoveryInstanceId for s in wave.servers)


def start_wave(task: StartWaveTask) -> dict[str, Any]:
    """Start a FAILBACK wave: its recorded servers, launched the way their origin needs."""
    execution = ExecutionRepository().get(task.executionId)
    if execution is None:
        raise NotFoundError(f"execution {task.executionId} not found")
    wave = execution.waves[task.waveNumber - 1]
    group = ProtectionGroupRepository().get(wave.protectionGroupId)
    plan = RecoveryPlanRepository().get(execution.planId)
    if group is None or plan is None or group.accountId != execution.accountId:
        raise NotFoundError(f"wave {task.waveNumber}: its protection group or plan no longer exists")
    target = drs.target_for(group, plan, region=wave.region)
    client = drs.client_for(target, execution.executionId)
    started = wave.model_copy(
        update={
            "status": "RUNNING",
            "startTime": now_iso(),
            "quotas": wave_launch.read_quotas(target, execution.executionId),
        }
    )
    ExecutionRepository().update_wave(execution.executionId, started)
    ExecutionRepository().update(execution.executionId, status="RUNNING")
    if is_on_premises(started):
        started = _failback_launch(client, execution, started, started.servers)
    else:
        started, error = wave_launch.launch_queued(client, execution, started)
        if error is not None:
            started = wave_launch.ride_out(execution.executionId, started, error)
    return {
        "status": "IN_PROGRESS",
        "onWaveFailure": plan.onWaveFailure,
        "jobIds": started.jobIds,
        **_next_poll(),
    }


def retry_wave(task: RetryWaveTask) -> dict[str, Any]:
    """A failed FAILBACK wave's Retry: the recovery's attempt bookkeeping; an on-premises wave's
    attempt launches with ``StartFailbackLaunch`` (an EC2-origin one recovers its reversed servers
    with ``StartRecovery`` in the origin region, as a recovery's retry does)."""
    execution = ExecutionRepository().get(task.executionId)
    if execution is None:
        raise NotFoundError(f"execution {task.executionId} not found")
    if not is_on_premises(execution.waves[task.waveNumber - 1]):
        return wave_failures.retry_wave(task)
    return wave_failures.retry_wave(task, launch=_relaunch)


def _relaunch(execution: Execution, wave: WaveProgress) -> None:
    """``StartFailbackLaunch`` for the attempt's servers that have not started (a re-run of the
    task launches none twice: the ones started are PENDING)."""
    group = ProtectionGroupRepository().get(wave.protectionGroupId)
    plan = RecoveryPlanRepository().get(execution.planId)
    if group is None or group.accountId != execution.accountId:
        raise NotFoundError(f"wave {wave.waveNumber}: its protection group no longer exists")
    client = drs.client_for(drs.target_for(group, plan, region=wave.region), execution.executionId)
    _failback_launch(client, execution, wave, wave_launch.waiting(wave))


def _failback_launch(
    client: Any, execution: Execution, wave: WaveProgress, servers: list[ServerLaunch]
) -> WaveProgress:
    """``StartFailbackLaunch`` for ``servers``' recovery instances, 200 a call, recorded once (the
    wave's job ids and, on a retry, its attempt's). A DRS refusal fails the wave naming DRS's answer
    (an instance not ready, ...): an on-premises failback is not queued for later, its Failback
    Clients decide when it can go."""
    instance_ids = [s.recoveryInstanceId for s in servers]
    launching = {s.sourceServerId for s in servers}
    job_ids: list[str] = []
    tags = {"drs-chatops:execution": execution.executionId, "drs-chatops:wave": str(wave.waveNumber)}
    if wave.attempts:
        tags["drs-chatops:attempt"] = str(wave.attempts[-1].attempt)
    for start in range(0, len(instance_ids), FAILBACK_LAUNCH_LIMIT):
        chunk = instance_ids[start : start + FAILBACK_LAUNCH_LIMIT]
        try:
            job = client.start_failback_launch(recoveryInstanceIDs=chunk, tags=tags)["job"]
        except (ClientError, BotoCoreError) as exc:
            error = drs.DrsCallError("StartFailbackLaunch", exc)
            launched = _with_jobs(wave, job_ids, set())
            wave_launch.fail(execution.executionId, launched, str(error))
            raise error from exc
        job_ids.append(str(job["jobID"]))
    launched = _with_jobs(wave, job_ids, launching)
    ExecutionRepository().update_wave(execution.executionId, launched)
    return launched


def _with_jobs(wave: WaveProgress, job_ids: list[str], launched: set[str]) -> WaveProgress:
    """``wave`` with ``job_ids`` appended (to its attempt's too, on a retry) and ``launched`` PENDING."""
    servers = [
        s.model_copy(update={"launchStatus": "PENDING"}) if s.sourceServerId in launched else s
        for s in wave.servers
    ]
    attempts = (
        [
            *wave.attempts[:-1],
            wave.attempts[-1].model_copy(update={"jobIds": [*wave.attempts[-1].jobIds, *job_ids]}),
        ]
        if wave.attempts
        else []
    )
    return wave.model_copy(
        update={"jobIds": [*wave.jobIds, *job_ids], "servers": servers, "attempts": attempts}
    )


def _next_poll() -> dict[str, int]:
    return {"waitSeconds": get_settings().drs_poll_seconds}
