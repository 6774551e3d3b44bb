"""orchestrator Lambda: the Step Functions tasks. Each payload is validated (pydantic, discriminated
on ``task``) and handed to one service function.

The run's path (start, pauses, waves, finish) is imported with this module; the tasks that run a few
times per run at most (a failed wave's pause and its decision, the scheduled cleanup and its
reminders, a pause's reminders) load their services on first use, so a cold start pays for the
run's path only (``benchmarks/cold_start.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ConfigDict, TypeAdapter

from handlers.core.observability import logger, metrics, tracer
from handlers.models.execution import (
    CleanupCheckTask,
    CleanupReminderTask,
    FinishTask,
    HookFailedPauseTask,
    OrchestratorTask,
    PauseReminderTask,
    RetryHookTask,
    RetryWaveTask,
    RunHookTask,
    ScheduledCleanupTask,
    SkipHookTask,
    SkipWaveTask,
    StartWaveTask,
    WaveFailedPauseTask,
)
from handlers.runs import orchestration


def wave_failed_pause(task: WaveFailedPauseTask) -> dict[str, Any]:
    from handlers.runs import wave_failures

    return wave_failures.wave_failed_pause(task)


def retry_wave(task: RetryWaveTask) -> dict[str, Any]:
    from handlers.runs import wave_failures

    if _is_failback(task.executionId):  # its on-premises waves launch with StartFailbackLaunch
        from handlers.failback import launch

        return launch.retry_wave(task)
    return wave_failures.retry_wave(task)


def skip_wave(task: SkipWaveTask) -> dict[str, Any]:
    from handlers.runs import wave_failures

    return wave_failures.skip_wave(task)


def run_hook(task: RunHookTask) -> dict[str, Any]:
    from handlers.hooks import runner

    return runner.run_hook(task)


def hook_failed_pause(task: HookFailedPauseTask) -> dict[str, Any]:
    from handlers.runs import hook_failures

    return hook_failures.hook_failed_pause(task)


def retry_hook(task: RetryHookTask) -> dict[str, Any]:
    from handlers.runs import hook_failures

    return hook_failures.retry_hook(task)


def skip_hook(task: SkipHookTask) -> dict[str, Any]:
    from handlers.runs import hook_failures

    return hook_failures.skip_hook(task)


def cleanup_reminder(task: CleanupReminderTask) -> dict[str, Any]:
    from handlers.cleanup import cleanup_schedule

    return cleanup_schedule.cleanup_reminder(task)


def scheduled_cleanup(task: ScheduledCleanupTask) -> dict[str, Any]:
    from handlers.cleanup import cleanup_schedule

    return cleanup_schedule.scheduled_cleanup(task)


def cleanup_check(task: CleanupCheckTask) -> dict[str, Any]:
    from handlers.cleanup import cleanup

    return cleanup.check_cleanup(task)


def pause_reminder(task: PauseReminderTask) -> dict[str, Any]:
    from handlers.pauses import pause_reminders

    return pause_reminders.remind(task)


def start_wave(task: StartWaveTask) -> dict[str, Any]:
    """A recovery's or drill's wave (handlers/runs/orchestration.py), or a FAILBACK run's, whose
    servers are chosen and launched differently (handlers/failback/launch.py)."""
    if _is_failback(task.executionId):
        from handlers.failback import launch

        return launch.start_wave(task)
    return orchestration.start_wave(task)


def finish(task: FinishTask) -> dict[str, Any]:
    """Record the end; a FAILBACK run's end also moves its original RECOVERY's failback on."""
    result = orchestration.finish(task)
    if _is_failback(task.executionId):
        from handlers.failback import ending

        ending.failback_finished(task.executionId)
    return result


def _is_failback(execution_id: str) -> bool:
    from handlers.repositories.executions import ExecutionRepository

    execution = ExecutionRepository().get(execution_id)
    return execution is not None and execution.mode == "FAILBACK"


# Tokens stay out of errors; the union's validator is built by the first task, like the models'.
_PAYLOAD = TypeAdapter(OrchestratorTask, config=ConfigDict(hide_input_in_errors=True, defer_build=True))
_TASKS: dict[str, Callable[[Any], Any]] = {
    "start": orchestration.start,
    "pause": orchestration.pause,
    "resumed": orchestration.resumed,
    "start_wave": start_wave,
    "poll_wave": orchestration.poll_wave,
    "wave_failed_pause": wave_failed_pause,
    "retry_wave": retry_wave,
    "skip_wave": skip_wave,
    "finish": finish,
    "cleanup_reminder": cleanup_reminder,
    "scheduled_cleanup": scheduled_cleanup,
    "cleanup_check": cleanup_check,
    "pause_reminder": pause_reminder,
    "run_hook": run_hook,
    "hook_failed_pause": hook_failed_pause,
    "retry_hook": retry_hook,
    "skip_hook": skip_hook,
}


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)  # responses carry task tokens
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    task = _PAYLOAD.validate_python(event)
    logger.append_keys(executionId=task.executionId, task=task.task)
    tracer.put_annotation("executionId", task.executionId)  # find an execution's trace by its id
    return _TASKS[task.task](task)
