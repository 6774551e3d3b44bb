"""Launching a wave within DRS's quotas, and riding out DRS blips while it runs.

**Quotas are the engine's job.** A wave of any size starts as DRS jobs of at most the account's
servers-per-job quota (and StartRecovery's 200), never more jobs running in the account than the
concurrent-jobs quota and never more servers in running jobs than the servers-in-all-jobs quota,
counting the jobs already running there (``DescribeJobs``). What does not fit waits, ``QUEUED``, and
starts on a later poll of the wave as capacity frees (:func:`launch_queued`, called by
handlers/runs/orchestration.py ``start_wave`` and ``poll_wave`` and by a retried wave). The
quotas are read from Service Quotas when the wave starts (handlers/aws/quotas.py) and kept on the wave.
A round of launches is recorded once, after its last StartRecovery: each batch's job id appended to
``jobIds`` (start order), its servers ``PENDING``, the rest ``QUEUED`` (one write of the execution
per round, not one per batch). A task that died between a StartRecovery and that write is run again
by Step Functions; the re-run first adopts the jobs DRS already runs for this execution, wave and
attempt (found by the ``drs-chatops:*`` tags every job carries, :func:`adopt`) and records them, so a
server is never launched twice.

**DRS blips do not fail a wave.** A DRS error that says "not now" (throttling, DRS's 5xx, a quota
full at this moment, no answer at all: ``drs.DrsCallError.transient``) leaves the wave as it is and
is asked again on the next poll; only when DRS has kept failing for the setting
``DRS_OUTAGE_SECONDS`` (600) does the wave fail, its message naming DRS, the call and the error
(:func:`ride_out`). Any other DRS error fails the wave at once.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import drs
from handlers.core.settings import get_settings
from handlers.core.timestamps import now, now_iso, parse_iso
from handlers.models.execution import Execution, LaunchQuotas, ServerLaunch, WaveProgress
from handlers.repositories.executions import ExecutionRepository

QUEUED = "QUEUED"
# Servers of the current attempt still to be launched: queued for capacity, or marked again by a
# retry (handlers/runs/wave_failures.py) or by a start that failed.
TO_LAUNCH = frozenset({QUEUED, "NOT_STARTED"})


def read_quotas(target: drs.DrsTarget, session_name: str) -> LaunchQuotas:
    from handlers.aws import quotas  # a wave's start only: a poll launches within the quotas it kept

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
    per batch, and record the round once. Returns the wave and, when DRS answered "not now", that
    error (the rest stay QUEUED). Any other DRS error fails the wave (recorded) and is raised."""
    if not waiting(wave):
        return wave, None
    limits = wave.quotas or _default_quotas()
    try:
        jobs = drs.recent_jobs(client)
    except (ClientError, BotoCoreError) as exc:
        error = drs.DrsCallError("DescribeJobs", exc)
        if not error.transient:
            fail(execution.executionId, wave, str(error))
            raise error from exc
        return _recorded(execution.executionId, wave, _queued(wave, waiting(wave))), error
    found = adopt(execution, wave, jobs)
    todo = waiting(found)
    running = [j for j in jobs if j.get("status") in drs.ACTIVE_JOB_STATES]
    in_jobs = sum(len(j.get("participatingServers", [])) for j in running)
    launched = found
    for size in batch_sizes(len(todo), len(running), in_jobs, limits):
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
                fail(execution.executionId, launched, _start_failure(launched, exc))
                raise
            return _recorded(execution.executionId, wave, _queued(launched, [*batch, *todo])), exc
        launched = _started(launched, job_id, {s.sourceServerId for s in batch})
    return _recorded(execution.executionId, wave, _queued(launched, todo)), None


def _default_quotas() -> LaunchQuotas:
    """DRS's default quotas, for a wave recorded before it kept its own."""
    from handlers.aws import quotas

    return LaunchQuotas(
        serversPerJob=quotas.DEFAULT_SERVERS_PER_JOB,
        concurrentJobs=quotas.DEFAULT_CONCURRENT_JOBS,
        serversInAllJobs=quotas.DEFAULT_SERVERS_IN_ALL_JOBS,
    )


def adopt(execution: Execution, wave: WaveProgress, jobs: list[dict[str, Any]]) -> WaveProgress:
    """``wave`` with the jobs DRS already runs for it that it does not record (their StartRecovery
    succeeded, the write after it did not): each job of this execution, wave and attempt (its
    ``drs-chatops:*`` tags) not in ``jobIds`` is recorded as started, with its servers."""
    recorded = {*wave.jobIds, *(j for a in wave.attempts for j in a.jobIds)}
    mine = _tags(execution, wave)
    attempt = mine.get("drs-chatops:attempt", "1")
    orphans = [
        j
        for j in sorted(jobs, key=lambda j: str(j.get("creationDateTime", "")))
        if j.get("jobID") not in recorded
        and all((j.get("tags") or {}).get(k) == v for k, v in mine.items() if k != "drs-chatops:attempt")
        and (j.get("tags") or {}).get("drs-chatops:attempt", "1") == attempt
    ]
    for job in orphans:
        servers = {str(s.get("sourceServerID")) for s in job.get("participatingServers", [])}
        wave = _started(wave, str(job["jobID"]), servers)
    return wave


def _tags(execution: Execution, wave: WaveProgress) -> dict[str, str]:
    tags = {"drs-chatops:execution": execution.executionId, "drs-chatops:wave": str(wave.waveNumber)}
    if wave.attempts:
        tags["drs-chatops:attempt"] = str(current_attempt(wave))
    return tags


def _started(wave: WaveProgress, job_id: str, batch: set[str]) -> WaveProgress:
    """``wave`` with job ``job_id`` started: its id appended, the batch's servers PENDING."""
    attempt = current_attempt(wave)
    servers = [
        s.model_copy(update={"launchStatus": "PENDING"})
        if s.attempt == attempt and s.sourceServerId in batch and s.launchStatus in TO_LAUNCH
        else s
        for s in wave.servers
    ]
    attempts = [
        a.model_copy(update={"jobIds": [*a.jobIds, job_id]}) if a.attempt == attempt else a
        for a in wave.attempts
    ]
    jobs = [*wave.jobIds, job_id]
    return wave.model_copy(update={"servers": servers, "attempts": attempts, "jobIds": jobs})


def _queued(wave: WaveProgress, left: list[ServerLaunch]) -> WaveProgress:
    """``wave`` with what did not start QUEUED."""
    ids = {s.sourceServerId for s in left}
    attempt = current_attempt(wave)
    servers = [
        s.model_copy(update={"launchStatus": QUEUED})
        if s.attempt == attempt and s.sourceServerId in ids and s.launchStatus != QUEUED
        else s
        for s in wave.servers
    ]
    return wave if servers == wave.servers else wave.model_copy(update={"servers": servers})


def _recorded(execution_id: str, before: WaveProgress, after: WaveProgress) -> WaveProgress:
    """Write the round's outcome, once; ``before`` itself when it changed nothing (nothing written)."""
    if after == before:
        return before
    ExecutionRepository().update_wave(execution_id, after)
    return after


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
