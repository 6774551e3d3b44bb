"""Running a wave's hooks (the state machine's ``run_hook`` task; cfn/statemachine/recovery-plan.asl.json
``RunHook``): one call runs, or looks again at, the first hook of the phase that is not settled, and
records it on the wave (``hooks``: one record per attempt).

- A hook settled (PASSED, SKIPPED, or an optional hook's failure) is passed over; when none is left
  the phase is ``DONE`` (the wave launches after its ``before`` hooks; after its ``after`` hooks the
  wave's completion is announced with every hook's result).
- A ``lambda`` hook is invoked synchronously and ends in this call; an ``ssmAutomation`` is started
  (once per attempt: SSM's ClientToken) and looked at on each later call until it ends or its
  timeout passes (then stopped, TIMED_OUT); ``instanceStatus`` and ``launchActions`` are looked at
  until they pass or their timeout passes.
- A hook that is not optional and failed answers ``FAILED`` and the state machine pauses the run
  (``hook_failed``, handlers/runs/hook_failures.py) or, with ``onWaveFailure: "fail"``, ends it
  FAILED naming the hook.

Each start and each end is announced (``hook_start``, ``hook_result``): a line in the execution's
Slack thread. The runner imports nothing of handlers/runs (the rooms import downward)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.aws import drs
from handlers.core import run_limits
from handlers.core.errors import NotFoundError
from handlers.core.settings import get_settings
from handlers.core.timestamps import now, now_iso, parse_iso
from handlers.events.execution_events import announce
from handlers.hooks import calls
from handlers.models.execution import Execution, RunHookTask, WaveProgress
from handlers.models.hooks import (
    LAMBDA_WAIT_SECONDS,
    Hook,
    HookEvent,
    HookExecution,
    HookRun,
    HookServer,
    InstanceStatusHook,
    LambdaHook,
    LaunchActionsHook,
    Phase,
    SsmAutomationHook,
)
from handlers.models.recovery_plan import RecoveryPlan
from handlers.repositories.executions import ExecutionRepository
from handlers.repositories.protection_groups import ProtectionGroupRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository

ICONS = {"PASSED": "✅", "FAILED": "❌", "TIMED_OUT": "⏱️", "SKIPPED": "⏭️", "RUNNING": "⏳", "PENDING": "⏳"}


def stored(execution_id: str) -> Execution:
    execution = ExecutionRepository().get(execution_id)
    if execution is None:
        raise NotFoundError(f"execution {execution_id} not found")
    return execution


def specs(wave: WaveProgress, phase: Phase) -> list[Hook]:
    return wave.hookSpecs.of(phase) if wave.hookSpecs else []


def latest(wave: WaveProgress, phase: Phase, name: str) -> HookRun | None:
    """The latest attempt of hook ``name`` of ``phase`` on the wave."""
    return next((r for r in reversed(wave.hooks) if (r.phase, r.name) == (phase, name)), None)


def unsettled(wave: WaveProgress, phase: Phase) -> tuple[Hook, HookRun | None] | None:
    """The first hook of ``phase`` that still needs something, with its latest attempt."""
    for spec in specs(wave, phase):
        run = latest(wave, phase, spec.name)
        if run is None or not run.settled():
            return spec, run
    return None


def with_run(wave: WaveProgress, run: HookRun) -> WaveProgress:
    """The wave with ``run`` recorded: replacing its own attempt's record, else appended."""
    key = (run.phase, run.name, run.attempt)
    hooks = [run if (r.phase, r.name, r.attempt) == key else r for r in wave.hooks]
    if run not in hooks:
        hooks.append(run)
    return wave.model_copy(update={"hooks": hooks})


def retries_left(execution: Execution) -> bool:
    """Whether the run may still pause for a retry (waves' and hooks' retries count alike:
    handlers/core/run_limits.py bounds them, and with them the run's history)."""
    hook_retries = sum(max(0, r.attempt - 1) for w in execution.waves for r in w.hooks if r.requestedAt)
    used = sum(w.retries for w in execution.waves) + hook_retries
    return used < run_limits.MAX_RETRIES_PER_RUN


def on_failure(execution: Execution, plan: RecoveryPlan | None) -> str:
    choice = plan.onWaveFailure if plan else "fail"
    return "fail" if choice == "pause" and not retries_left(execution) else choice


def run_hook(task: RunHookTask) -> dict[str, Any]:
    execution = stored(task.executionId)
    wave = execution.waves[task.waveNumber - 1]
    found = unsettled(wave, task.phase)
    if found is None:
        if task.phase == "after":
            announce_completion(execution, wave)
        return {"status": "DONE", "phase": task.phase}
    spec, run = found
    plan = RecoveryPlanRepository().get(execution.planId)
    if run is not None and run.failed():  # a re-run of the task, or a pause that found it failed
        return _failed(execution, wave, run, plan)
    if run is None or run.status == "PENDING":
        run = _started(execution, wave, spec, run)
        wave = with_run(wave, run)
    outcome = _look(execution, wave, spec, run, plan)
    if outcome.status in {"RUNNING", "PENDING"}:
        detail = {**(run.detail or {}), **outcome.detail}
        if detail != (run.detail or {}):
            ExecutionRepository().update_wave(
                execution.executionId, with_run(wave, run.model_copy(update={"detail": detail}))
            )
        return {"status": "RUNNING", "phase": task.phase, "waitSeconds": _wait_seconds(run)}
    ended = run.model_copy(
        update={
            "status": outcome.status,
            "endedAt": now_iso(),
            "message": outcome.message[:1000],
            "detail": {**(run.detail or {}), **outcome.detail} or None,
        }
    )
    wave = with_run(wave, ended)
    ExecutionRepository().update_wave(execution.executionId, wave)
    announce(
        stored(execution.executionId), "hook_result", waveNumber=wave.waveNumber, message=result_line(ended)
    )
    if ended.failed() and not ended.optional:
        return _failed(stored(execution.executionId), wave, ended, plan)
    return {"status": "NEXT", "phase": task.phase}


def _started(execution: Execution, wave: WaveProgress, spec: Hook, run: HookRun | None) -> HookRun:
    started = (run or HookRun(name=spec.name, type=spec.type, phase=_phase_of(wave, spec))).model_copy(
        update={"status": "RUNNING", "startedAt": now_iso(), "optional": spec.optional}
    )
    ExecutionRepository().update_wave(execution.executionId, with_run(wave, started))
    attempt = f" (attempt {started.attempt})" if started.attempt > 1 else ""
    announce(
        stored(execution.executionId),
        "hook_start",
        waveNumber=wave.waveNumber,
        message=f"{ICONS['RUNNING']} {started.phase} hook {started.name} ({started.type}) started{attempt}",
    )
    return started


def _phase_of(wave: WaveProgress, spec: Hook) -> Phase:
    return "before" if any(h.name == spec.name for h in specs(wave, "before")) else "after"


def _failed(
    execution: Execution, wave: WaveProgress, run: HookRun, plan: RecoveryPlan | None
) -> dict[str, Any]:
    """A hook that is not optional failed: the wave says so; the state machine pauses or fails."""
    message = f"hook {run.name} ({run.type}, {run.phase}) {run.status}: {run.message}"[:1000]
    choice = on_failure(execution, plan)
    if choice == "fail":
        failed = wave.model_copy(update={"status": "FAILED", "endTime": now_iso(), "message": message})
        ExecutionRepository().update_wave(execution.executionId, failed)
    elif wave.message != message:
        ExecutionRepository().update_wave(execution.executionId, wave.model_copy(update={"message": message}))
    return {
        "status": "FAILED",
        "phase": run.phase,
        "onWaveFailure": choice,
        "hook": run.name,
        "message": message,
    }


def deadline_passed(run: HookRun, spec: Hook) -> bool:
    if not run.startedAt:
        return False
    limit = timedelta(seconds=spec.timeoutMinutes * get_settings().hook_seconds_per_minute)
    return now() - parse_iso(run.startedAt) >= limit


def _wait_seconds(run: HookRun) -> int:
    """When to look again: the hook poll interval, backing off as the hook runs (as a wave's polls,
    handlers/core/run_limits.py), up to the wave's longest poll interval."""
    settings = get_settings()
    running = (now() - parse_iso(run.startedAt)).total_seconds() if run.startedAt else 0.0
    return run_limits.poll_interval(running, settings.hook_poll_seconds, settings.drs_poll_max_seconds)


def _look(
    execution: Execution, wave: WaveProgress, spec: Hook, run: HookRun, plan: RecoveryPlan | None
) -> calls.Outcome:
    """Run or look at ``spec``'s current attempt in the plan's account."""
    target = _target(execution, wave, plan)
    session = f"{execution.executionId}-hook"
    if isinstance(spec, LambdaHook):
        client = drs.service_client("lambda", target, session, attempts=1)
        seconds = min(spec.timeoutMinutes * get_settings().hook_seconds_per_minute, LAMBDA_WAIT_SECONDS)
        return calls.invoke_lambda(
            client, spec.functionName, _event(execution, wave, spec, run, target), seconds
        )
    if isinstance(spec, SsmAutomationHook):
        return _automation(execution, wave, spec, run, drs.service_client("ssm", target, session))
    if isinstance(spec, InstanceStatusHook):
        outcome = calls.read_instance_status(
            drs.service_client("ec2", target, session), _instance_ids(wave, target, session)
        )
    else:
        assert isinstance(spec, LaunchActionsHook)
        job_ids = wave.jobIds
        jobs = drs.describe_jobs(drs.client_for(target, session, attempts=3), job_ids) if job_ids else []
        outcome = calls.launch_actions_outcome(jobs)
    if outcome.status == "RUNNING" and deadline_passed(run, spec):
        return calls.Outcome(
            "TIMED_OUT", f"not passed within {spec.timeoutMinutes} min: {outcome.message}", outcome.detail
        )
    return outcome


def _automation(
    execution: Execution, wave: WaveProgress, spec: SsmAutomationHook, run: HookRun, client: Any
) -> calls.Outcome:
    started = (run.detail or {}).get("automationExecutionId")
    if not started:
        target = _target(execution, wave, None)
        parameters = calls.expand_parameters(
            spec.parameters,
            _instance_ids(wave, target, f"{execution.executionId}-hook") if _wants_ids(spec) else [],
        )
        token = calls.client_token(execution.executionId, wave.waveNumber, run.phase, run.name, run.attempt)
        automation_id, problem = calls.start_automation(client, spec.documentName, parameters, token)
        if automation_id is None:
            return calls.Outcome("FAILED", problem)
        return calls.Outcome(
            "RUNNING", f"{spec.documentName} started", {"automationExecutionId": automation_id}
        )
    outcome = calls.read_automation(client, started)
    if outcome.status == "RUNNING" and deadline_passed(run, spec):
        stopped = calls.stop_automation(client, started)
        return calls.Outcome(
            "TIMED_OUT",
            f"{spec.documentName} still {outcome.detail.get('automationStatus', 'running')} after "
            f"{spec.timeoutMinutes} min; {stopped}",
            {**outcome.detail, "stopped": stopped},
        )
    return outcome


def _wants_ids(spec: SsmAutomationHook) -> bool:
    from handlers.models.hooks import INSTANCE_IDS_TOKEN

    return any(INSTANCE_IDS_TOKEN in values for values in spec.parameters.values())


def _target(execution: Execution, wave: WaveProgress, plan: RecoveryPlan | None) -> drs.DrsTarget:
    """Where the wave's DRS calls go: its group's account (the plan's), through its DRS role."""
    group = ProtectionGroupRepository().get(wave.protectionGroupId)
    plan = plan or RecoveryPlanRepository().get(execution.planId)
    if group is not None and group.accountId == execution.accountId:
        return drs.target_for(group, plan, region=wave.region)
    role, external = (plan.assumeRoleName, plan.externalId) if plan else ("", "")
    return drs.target(execution.accountId, wave.region or get_settings().aws_region, role, external)


def _instance_ids(wave: WaveProgress, target: drs.DrsTarget, session: str) -> list[str]:
    """The EC2 instance ids of the wave's launched recovery instances (DRS names each)."""
    from handlers.aws import recovery_instances

    launched = [
        s.recoveryInstanceId for s in wave.servers if s.launchStatus == "LAUNCHED" and s.recoveryInstanceId
    ]
    if not launched:
        return []
    described = recovery_instances.live(drs.client_for(target, session, attempts=3), launched)
    return [str(described[i].get("ec2InstanceID") or i) for i in launched if i in described]


def _event(
    execution: Execution, wave: WaveProgress, spec: LambdaHook, run: HookRun, target: drs.DrsTarget
) -> HookEvent:
    ec2_ids: dict[str, str] = {}
    if run.phase == "after":
        launched = [s.recoveryInstanceId for s in wave.servers if s.recoveryInstanceId]
        ec2_ids = dict(
            zip(launched, _instance_ids(wave, target, f"{execution.executionId}-hook"), strict=False)
        )
    return HookEvent(
        payload=spec.payload,
        execution=HookExecution(
            executionId=execution.executionId,
            planId=execution.planId,
            planName=execution.planName,
            accountId=execution.accountId,
            mode="DRILL" if execution.isDrill else "RECOVERY",
            waveNumber=wave.waveNumber,
            phase=run.phase,
        ),
        servers=[
            HookServer(
                sourceServerId=s.sourceServerId,
                recoveryInstanceId=s.recoveryInstanceId or None,
                ec2InstanceId=ec2_ids.get(s.recoveryInstanceId) if s.recoveryInstanceId else None,
                launchStatus=s.launchStatus if run.phase == "after" else None,
            )
            for s in wave.servers
        ],
    )


def duration(run: HookRun) -> str:
    if not (run.startedAt and run.endedAt):
        return ""
    seconds = (parse_iso(run.endedAt) - parse_iso(run.startedAt)).total_seconds()
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def result_line(run: HookRun) -> str:
    """One hook run as the Slack thread, the emails and the report show it."""
    took = duration(run)
    attempt = f", attempt {run.attempt}" if run.attempt > 1 else ""
    optional = ", optional" if run.optional else ""
    icon = ICONS.get(run.status, "")
    head = f"{icon} {run.phase} hook {run.name} ({run.type}{optional}{attempt}) {run.status}"
    return head + (f" in {took}" if took else "") + (f": {run.message}" if run.message else "")


def hook_lines(wave: WaveProgress) -> list[str]:
    """Every recorded hook run of the wave, in order."""
    return [result_line(r) for r in wave.hooks if r.status not in {"PENDING", "RUNNING"}]


def announce_completion(execution: Execution, wave: WaveProgress) -> None:
    """The wave's completion, once its after hooks passed (handlers/runs/orchestration.py leaves a
    wave with after hooks to this), listing every hook's result."""
    announce(
        execution,
        "wave_complete",
        waveNumber=wave.waveNumber,
        message=wave.message,
        hookResults=hook_lines(wave),
    )
