"""Launching a wave within DRS's quotas, and riding out DRS blips while it runs.

**Quotas are the engine's job.** A wave of any size starts as DRS jobs of at most the account's
servers-per-job quota (and StartRecovery's 200), never more jobs running in the account than the
concurrent-jobs quota and never more servers in running jobs than the servers-in-all-jobs quota,
counting the jobs already running there (``DescribeJobs``). What does not fit waits, ``QUEUED``, and
starts on a later poll of the wave as capacity frees (:func:`launch_queued`, called by
handlers/services/orchestration.py ``start_wave`` and ``poll_wave`` and by a retried wave). The
quotas are read from Service Quotas when the wave starts (handlers/quotas.py) and kept on the wave.
Each batch is recorded as it starts: its job id appended to ``jobIds`` (start order), its servers
``PENDING``; a re-run of a task therefore never launches a server twice.

**DRS blips do not fail a wave.** A DRS error that says "not now" (throttling, DRS's 5xx, a quota
full at this moment, no answer at all: ``drs.DrsCallError.transient``) leaves the wave as it is and
is asked again on the next poll; only when DRS has kept failing for the setting
``DRS_OUTAGE_SECONDS`` (600) does the wave fail, its message naming DRS, the call and the error
(:func:`ride_out`). Any other DRS error fails the wave at once.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers import drs, quotas
from handlers.models.execution import Execution, LaunchQuotas, ServerLaunch, WaveProgress
from handlers.repositories.executions import ExecutionRepository
from handlers.settings import get_settings
from handlers.timestamps import now, now_iso, parse_iso

QUEUED = "QUEUED"
# Servers of the current attempt still to be launched: queued for capacity, or marked again by a
# retry (handlers/services/wave_failures.py) or by a start that failed.
TO_LAUNCH = frozenset({QUEUED, "NOT_STARTED"})


def read_quotas(target: drs.DrsTarget, session_name: str) -> LaunchQuotas:
    limits = quotas.read_quotas(target, session_name)
    return LaunchQuotas(
        serversPerJob=limits.servers_per_job.value,
        concurrentJobs=limits.concurrent_jobs.value,
        serversInAllJobs=limits.servers_in_all_jobs.value,
        source=limits.servers_per_job.source,
    )


def batch_sizes(waiting: int, running_jobs: int, running_servers: int, limits: LaunchQuotas) -> list[int]:
    """How many servers each job started now takes: as many jobs as the quotas leave room for."""
    per_job = max(1, min(limits.serversPerJob, drs.START_RECOVERY_LIMIT))
    free_jobs = limits.concurrentJobs - running_jobs
    free_servers = limits.serversInAllJobs - running_servers
    sizes: list[int] = []
    while waiting > 0 and free_jobs > 0 and free_servers > 0:
        size = min(per_job, free_servers, waiting)
        sizes.append(size)
        waiting, free_jobs, free_servers = waiting - size, free_jobs - 1, free_servers - size
    return sizes


def current_attempt(wave: WaveProgress) -> int:
    return wave.attempts[-1].attempt if wave.attempts else 1


def waiting(wave: WaveProgress) -> list[ServerLaunch]:
    """The current attempt's servers not launched yet, in the wave's order."""
    attempt = current_attempt(wave)
    return [s for s in wave.servers if s.attempt == attempt and s.launchStatus in TO_LAUNCH]


def launch_queued(
    client: Any, execution: Execution, wave: WaveProgress
) -> tuple[WaveProgress, drs.DrsCallError | None]:
    """Start as many of the wave's waiting servers as the quotas leave room for, one StartRecovery
    per batch, recording the wave after each. Returns the wave and, when DRS answered "not now", that
    error (the rest stay QUEUED). Any other DRS error fails the wave (recorded) and is raised."""
    todo = waiting(wave)
    if not todo:
        return wave, None
    limits = wave.quotas or LaunchQuotas(
        serversPerJob=quotas.DEFAULT_SERVERS_PER_JOB,
        concurrentJobs=quotas.DEFAULT_CONCURRENT_JOBS,
        serversInAllJobs=quotas.DEFAULT_SERVERS_IN_ALL_JOBS,
    )
    try:
        running = drs.active_jobs(client)
    except (ClientError, BotoCoreError) as exc:
        error = drs.DrsCallError("DescribeJobs", exc)
        if not error.transient:
            fail(execution.executionId, wave, str(error))
            raise error from exc
        return _queue(execution.executionId, wave, todo), error
    in_jobs = sum(len(j.get("participatingServers", [])) for j in running)
    sizes = batch_sizes(len(todo), len(running), in_jobs, limits)
    for size in sizes:
        batch, todo = todo[:size], todo[size:]
        try:
            job_id = drs.start_job(
                client,
                [s.sourceServerId for s in batch],
                is_drill=execution.isDrill,
                tags=_tags(execution, wave),
                snapshots={s.sourceServerId: s.recoverySnapshotId for s in batch if s.recoverySnapshotId},
            )
        except drs.DrsCallError as exc:
            if not exc.transient:
                fail(execution.executionId, wave, _start_failure(wave, exc))
                raise
            return _queue(execution.executionId, wave, [*batch, *todo]), exc
        wave = _started(execution.executionId, wave, job_id, {s.sourceServerId for s in batch})
    return _queue(execution.executionId, wave, todo), None


def _tags(execution: Execution, wave: WaveProgress) -> dict[str, str]:
    tags = {"drs-chatops:execution": execution.executionId, "drs-chatops:wave": str(wave.waveNumber)}
    if wave.attempts:
        tags["drs-chatops:attempt"] = str(current_attempt(wave))
    return tags


def _started(execution_id: str, wave: WaveProgress, job_id: str, batch: set[str]) -> WaveProgress:
    attempt = current_attempt(wave)
    servers = [
        s.model_copy(update={"launchStatus": "PENDING"})
        if s.attempt == attempt and s.sourceServerId in batch
        else s
        for s in wave.servers
    ]
    attempts = [
        a.model_copy(update={"jobIds": [*a.jobIds, job_id]}) if a.attempt == attempt else a
        for a in wave.attempts
    ]
    started = wave.model_copy(
        update={"servers": servers, "attempts": attempts, "jobIds": [*wave.jobIds, job_id]}
    )
    ExecutionRepository().update_wave(execution_id, started)
    return started


def _queue(execution_id: str, wave: WaveProgress, left: list[ServerLaunch]) -> WaveProgress:
    """Mark what did not start QUEUED (recorded only when that changes anything)."""
    ids = {s.sourceServerId for s in left}
    attempt = current_attempt(wave)
    servers = [
        s.model_copy(update={"launchStatus": QUEUED})
        if s.attempt == attempt and s.sourceServerId in ids and s.launchStatus != QUEUED
        else s
        for s in wave.servers
    ]
    if servers == wave.servers:
        return wave
    queued = wave.model_copy(update={"servers": servers})
    ExecutionRepository().update_wave(execution_id, queued)
    return queued


def _start_failure(wave: WaveProgress, error: drs.DrsCallError) -> str:
    attempt = current_attempt(wave)
    mine = [s for s in wave.servers if s.attempt == attempt]
    started = [s for s in mine if s.launchStatus not in TO_LAUNCH]
    if not started:
        return str(error)
    jobs = wave.attempts[-1].jobIds if wave.attempts else wave.jobIds
    return (
        f"StartRecovery failed after {len(started)} of {len(mine)} source servers had started "
        f"(DRS jobs {', '.join(jobs)}, still launching); the rest did not start: {error}"
    )


def fail(execution_id: str, wave: WaveProgress, message: str) -> WaveProgress:
    """Record the wave FAILED with ``message``; what had not started is NOT_STARTED."""
    attempt = current_attempt(wave)
    failed = wave.model_copy(
        update={
            "status": "FAILED",
            "servers": [
                s.model_copy(update={"launchStatus": "NOT_STARTED"})
                if s.attempt == attempt and s.launchStatus in TO_LAUNCH
                else s
                for s in wave.servers
            ],
            "endTime": now_iso(),
            "message": message[:1000],
            "drsFailingSince": "",
        }
    )
    ExecutionRepository().update_wave(execution_id, failed)
    return failed


def ride_out(execution_id: str, wave: WaveProgress, error: drs.DrsCallError) -> WaveProgress:
    """A DRS call of a running wave failed with a transient error: remember since when DRS has been
    failing; once that is longer than ``DRS_OUTAGE_SECONDS``, fail the wave naming DRS and the error
    (and raise it)."""
    since = wave.drsFailingSince or now_iso()
    window = get_settings().drs_outage_seconds
    failing_for = (now() - parse_iso(since)).total_seconds()
    if failing_for >= window:
        fail(
            execution_id,
            wave,
            f"{error} (DRS kept failing for {int(failing_for)} s while wave {wave.waveNumber} ran)",
        )
        raise error
    if wave.drsFailingSince:
        return wave
    riding_out = (
        f"{error}: asking DRS again on the next polls (since {since}; the wave fails if DRS keeps "
        f"failing for {window} s)"
    )
    failing = wave.model_copy(update={"drsFailingSince": since, "message": riding_out[:1000]})
    ExecutionRepository().update_wave(execution_id, failing)
    return failing


def answered(wave: WaveProgress) -> WaveProgress:
    """DRS answered every call of this poll: the wave is no longer riding out an outage (and no
    longer says so)."""
    if not wave.drsFailingSince:
        return wave
    return wave.model_copy(update={"drsFailingSince": "", "message": ""})
