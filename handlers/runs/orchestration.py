"""What the state machine's tasks do (handlers.orchestrator routes each payload here).

What only some tasks use (opening a pause's approval, believing a decision, resolving a wave's
servers and their points in time, ending the execution) is imported by those tasks on first use:
a cold start loads the polling path only (``benchmarks/cold_start.py``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from handlers import aws
from handlers.aws import drs, job_logs
from handlers.core import run_limits
from handlers.core.errors import NotFoundError
from handlers.core.settings import get_settings
from handlers.core.timestamps import now, now_iso, parse_iso
from handlers.events.execution_events import announce
from handlers.models.execution import (
    Execution,
    FinishTask,
    PauseTask,
    PollWaveTask,
    ResumedTask,
    ServerLaunch,
    StartTask,
    StartWaveTask,
    WaveProgress,
)
from handlers.models.recovery_plan import RecoveryPlan
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.protection_groups import ProtectionGroupRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository
from handlers.runs import wave_launch

if TYPE_CHECKING:
    from handlers.models.events import EventType
    from handlers.models.execution import PauseKind


def stored_execution(execution_id: str) -> Execution:
    """The execution as stored now (an orchestrator task for a missing one is a NotFoundError)."""
    execution = ExecutionRepository().get(execution_id)
    if execution is None:
        raise NotFoundError(f"execution {execution_id} not found")
    return execution


def start(task: StartTask) -> dict[str, Any]:
    announce(stored_execution(task.executionId), "start")
    return {"announced": True}


def pause(task: PauseTask) -> dict[str, Any]:
    from handlers.events.notifications import callback_urls
    from handlers.pauses import approvals

    execution = stored_execution(task.executionId)
    wave = execution.waves[task.waveNumber - 1]
    if not get_settings().enable_pause_resume:
        output = {"action": "resume", "decidedBy": "system (pause/resume disabled)", "decidedVia": "system"}
        aws.client("stepfunctions").send_task_success(taskToken=task.taskToken, output=json.dumps(output))
        return {"paused": False}
    ExecutionRepository().update_wave(
        execution.executionId, wave.model_copy(update={"status": "WAITING_APPROVAL", "pausedAt": now_iso()})
    )
    plan = RecoveryPlanRepository().get(execution.planId)
    # A recovery that needs approval to start (handlers/runs/executions.py) pauses before wave
    # 1: that pause is the decision to fail over at all.
    start = execution.startApproval and task.waveNumber == 1
    kind: PauseKind = "start" if start else "before_wave"
    approval = approvals.open_approval(execution, task.waveNumber, task.taskToken, plan=plan, kind=kind)
    announce(
        stored_execution(task.executionId),
        "start_pause" if start else "pause",
        waveNumber=task.waveNumber,
        requestedAt=approval.createdAt,
        expiresAt=approval.expiresAt,
        quorum=approval.quorum,
        **callback_urls(kind, approval.approvalId),
    )
    return {"paused": True}


def resumed(task: ResumedTask) -> dict[str, Any]:
    """The state machine went on past a pause: record the resume as the pause's approval knows it
    (handlers/runs/decision_record.py; announced if this call recorded it)."""
    from handlers.runs.decision_record import believe

    believed = believe(task.executionId, "resume", task.waveNumber)
    return {"recorded": believed is not None and believed.recorded is not None}


def start_wave(task: StartWaveTask) -> dict[str, Any]:
    """Start a wave's recovery, within the account's DRS quotas (handlers/runs/wave_launch.py):
    what does not fit now is QUEUED and starts on a later poll. A tag group is resolved again here,
    in the group's account: the wave launches, and records, the servers that carry its tags at this
    moment (``servers``, ``resolvedFromTags``), whatever readiness saw earlier."""
    from handlers.plans.group_servers import NoSourceServersError, wave_server_ids
    from handlers.runs import point_in_time

    execution = stored_execution(task.executionId)
    wave = execution.waves[task.waveNumber - 1]
    group = ProtectionGroupRepository().get(wave.protectionGroupId)
    plan = RecoveryPlanRepository().get(execution.planId)
    if group is None or plan is None:
        raise NotFoundError(f"wave {task.waveNumber}: its protection group or plan no longer exists")
    target = drs.target_for(group, plan)
    client = drs.client_for(target, execution.executionId)
    started = wave.model_copy(
        update={
            "status": "RUNNING",
            "region": group.region,
            "startTime": now_iso(),
            "resolvedFromTags": dict(group.serverSelectionTags) if group.serverSelectionTags else None,
        }
    )
    launched_before = {
        server.sourceServerId: earlier.waveNumber
        for earlier in execution.waves[: task.waveNumber - 1]
        for server in earlier.servers
    }
    try:
        server_ids, left_out = wave_server_ids(group, target, client, task.waveNumber, launched_before)
        launches = point_in_time.launches(client, execution, wave, server_ids)
    except (drs.DrsCallError, NoSourceServersError) as exc:  # nothing to start, or DRS not answering
        wave_launch.fail(execution.executionId, started, str(exc))
        raise
    optional = set(group.optionalSourceServerIds)
    launches = [
        s.model_copy(update={"optional": s.sourceServerId in optional, "launchStatus": wave_launch.QUEUED})
        for s in launches
    ]
    started = started.model_copy(
        update={
            "servers": launches,
            "quotas": wave_launch.read_quotas(target, execution.executionId),
            "message": left_out,
        }
    )
    ExecutionRepository().update_wave(execution.executionId, started)
    ExecutionRepository().update(execution.executionId, status="RUNNING")
    started, error = wave_launch.launch_queued(client, execution, started)
    if error is not None:
        started = wave_launch.ride_out(execution.executionId, started, error)
    on_failure = plan.onWaveFailure
    return {
        "status": "IN_PROGRESS",
        "onWaveFailure": on_failure,
        "jobIds": started.jobIds,
        **_next_poll(started),
    }


def _next_poll(wave: WaveProgress) -> dict[str, int]:
    """When the state machine polls the wave next (handlers/core/run_limits.py: backing off)."""
    settings = get_settings()
    wait = run_limits.poll_interval(
        _attempt_seconds(wave), settings.drs_poll_seconds, settings.drs_poll_max_seconds
    )
    return {"waitSeconds": wait}


def _attempt_seconds(wave: WaveProgress) -> float:
    """How long the wave's current attempt has been running."""
    started = wave.attempts[-1].startTime if wave.attempts else wave.startTime
    return (now() - parse_iso(started)).total_seconds() if started else 0.0


def poll_wave(task: PollWaveTask) -> dict[str, Any]:
    """Read the wave's DRS jobs (a retried wave: its latest attempt's) and start what waits for
    capacity. A critical server that failed fails the wave; an optional one is recorded and named,
    and the wave completes. The plan's ``onWaveFailure`` tells the state machine what a failed wave
    does next (``fail`` once the run has used its retries, handlers/core/run_limits.py). A DRS blip is
    ridden out (handlers/runs/wave_launch.py); an attempt still running after
    ``run_limits.WAVE_HOURS`` fails."""
    execution = stored_execution(task.executionId)
    wave = execution.waves[task.waveNumber - 1]
    plan = RecoveryPlanRepository().get(execution.planId)
    on_failure = plan.onWaveFailure if plan else "fail"  # read on every poll: Choice needs it present
    if on_failure == "pause" and sum(w.retries for w in execution.waves) >= run_limits.MAX_RETRIES_PER_RUN:
        on_failure = "fail"  # no retry left: a failed wave fails the run
    in_progress = {"status": "IN_PROGRESS", "onWaveFailure": on_failure}
    client = drs.client_for(_poll_target(execution, wave, plan), execution.executionId, attempts=3)
    job_ids = wave.attempts[-1].jobIds if wave.attempts else wave.jobIds
    try:
        jobs = drs.describe_jobs(client, job_ids) if job_ids else []
    except drs.DrsCallError as exc:
        if not exc.transient:
            wave_launch.fail(execution.executionId, wave, str(exc))
            raise
        wave = wave_launch.ride_out(execution.executionId, wave, exc)
        return {**in_progress, **_next_poll(wave)}
    seen = {s["sourceServerID"]: s for j in jobs for s in j.get("participatingServers", [])}
    polled_at = now_iso()
    current = wave_launch.current_attempt(wave)
    servers = [
        _polled(s, seen.get(s.sourceServerId), polled_at) if s.attempt == current else s for s in wave.servers
    ]
    polled = wave.model_copy(update={"servers": servers})
    wave, error = wave_launch.launch_queued(client, execution, polled)
    stored = wave if wave is not polled else execution.waves[task.waveNumber - 1]  # as the table has it
    if error is not None:
        wave = wave_launch.ride_out(execution.executionId, wave, error)
        return {**in_progress, **_next_poll(wave)}
    wave = wave_launch.answered(wave)
    job_ids = wave.attempts[-1].jobIds if wave.attempts else wave.jobIds
    done = (
        not wave_launch.waiting(wave)
        and len(jobs) == len(job_ids)
        and all(j.get("status") == "COMPLETED" for j in jobs)
    )
    if not done and _attempt_seconds(wave) >= run_limits.WAVE_HOURS * 3600:
        message = (
            f"wave {wave.waveNumber} did not finish within {run_limits.WAVE_HOURS} hours of its start "
            f"(the longest a wave may run); DRS jobs still running: {', '.join(job_ids) or 'none'}"
        )
        finished = wave_launch.fail(execution.executionId, wave, message)
        return _ended(execution, finished, on_failure)
    if not done:
        if wave != stored:  # a poll that saw nothing new writes nothing
            ExecutionRepository().update_wave(execution.executionId, wave)
        return {**in_progress, **_next_poll(wave)}
    status, message = wave_outcome(wave.servers)
    if status == "FAILED":  # name DRS's cause, e.g. a permission the role lacks
        failed = [s.sourceServerId for s in wave.servers if s.launchStatus == "FAILED" and not s.optional]
        message += job_logs.launch_failures(client, jobs, failed)
    if status == "FAILED" and on_failure == "fail" and plan is not None and plan.onWaveFailure == "pause":
        message += (
            f"; no retry left (a run retries failed waves at most {run_limits.MAX_RETRIES_PER_RUN} times)"
        )
    if wave.message and not message.startswith(wave.message):  # what the start said stays said
        message = "; ".join(m for m in (wave.message, message) if m)
    finished = wave.model_copy(update={"status": status, "endTime": now_iso(), "message": message})
    ExecutionRepository().update_wave(execution.executionId, finished)
    return _ended(execution, finished, on_failure)


def _ended(execution: Execution, wave: WaveProgress, on_failure: str) -> dict[str, Any]:
    # a pause announces the failure itself; a wave with after hooks completes once they pass, and
    # handlers/hooks/runner.py announces it then, with every hook's result
    after_hooks = wave.status == "COMPLETED" and wave.hookSpecs is not None and bool(wave.hookSpecs.after)
    if (wave.status == "COMPLETED" or on_failure == "fail") and not after_hooks:
        from handlers.hooks.runner import hook_lines

        event: EventType = "wave_fail" if wave.status == "FAILED" else "wave_complete"
        announce(
            stored_execution(execution.executionId),
            event,
            waveNumber=wave.waveNumber,
            message=wave.message,
            hookResults=hook_lines(wave),
        )
    return {"status": wave.status, "onWaveFailure": on_failure}


def wave_outcome(servers: list[ServerLaunch]) -> tuple[str, str]:
    """FAILED when a critical server failed to launch, else COMPLETED; the message names both kinds."""
    failed = sorted(s.sourceServerId for s in servers if s.launchStatus == "FAILED" and not s.optional)
    optional = sorted(s.sourceServerId for s in servers if s.launchStatus == "FAILED" and s.optional)
    parts = [f"source servers failed to launch: {', '.join(failed)}"] if failed else []
    if optional:
        parts.append(f"optional source servers failed to launch: {', '.join(optional)}")
    return ("FAILED" if failed else "COMPLETED"), "; ".join(parts)


def _poll_target(execution: Execution, wave: WaveProgress, plan: RecoveryPlan | None) -> drs.DrsTarget:
    group = ProtectionGroupRepository().get(wave.protectionGroupId)
    if group is not None:
        return drs.target_for(group, plan, region=wave.region)
    # the group was deleted meanwhile: still its account (the execution's), never another
    role, external = (plan.assumeRoleName, plan.externalId) if plan else ("", "")
    return drs.target(execution.accountId, wave.region, role, external)


def _polled(server: ServerLaunch, seen: dict[str, Any] | None, polled_at: str) -> ServerLaunch:
    """A server as DescribeJobs shows it now; ``launchedAt`` is the first poll that saw it LAUNCHED."""
    if seen is None:
        return server
    status = str(seen.get("launchStatus", "PENDING"))
    update: dict[str, str] = {"launchStatus": status}
    if seen.get("recoveryInstanceID"):
        update["recoveryInstanceId"] = str(seen["recoveryInstanceID"])
    if status == "LAUNCHED" and not server.launchedAt:
        update["launchedAt"] = polled_at
    return server.model_copy(update=update)


def finish(task: FinishTask) -> dict[str, Any]:
    from handlers.runs.decision_record import believe
    from handlers.runs.lifecycle import finish_execution

    cancelled = believe(task.executionId, "cancel") if task.outcome == "CANCELLED" else None
    reason = cancelled.decision.reason if cancelled is not None else _reason(task)
    recorded = finish_execution(task.executionId, task.outcome, reason=reason)
    return {"recorded": recorded}


def _reason(task: FinishTask) -> str:
    """Why the execution ended, when the state machine knows better than the waves do."""
    if task.recordError:
        error = f"{task.recordError.Error}: {_cause(task.recordError.Cause)}"
        return f"the orchestrator could not record how the execution ended ({error})"
    if task.error and task.outcome == "FAILED" and task.error.Error not in {"WaveFailed"}:
        return f"{task.error.Error}: {_cause(task.error.Cause)}"
    return ""


def _cause(cause: str) -> str:
    """Lambda failures arrive as a JSON cause; show its message, not the stack trace."""
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause[:500]
    return str(parsed.get("errorMessage", cause))[:500] if isinstance(parsed, dict) else cause[:500]
