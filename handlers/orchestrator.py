"""orchestrator Lambda: the Step Functions tasks. Each payload is validated (pydantic, discriminated
on ``task``) and handed to one function of ``handlers.services.orchestration``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ConfigDict, TypeAdapter

from handlers.models.execution import OrchestratorTask
from handlers.observability import logger, metrics, tracer
from handlers.services import cleanup, cleanup_schedule, orchestration, pause_reminders, wave_failures

# Tokens stay out of errors; the union's validator is built by the first task, like the models'.
_PAYLOAD = TypeAdapter(OrchestratorTask, config=ConfigDict(hide_input_in_errors=True, defer_build=True))
_TASKS: dict[str, Callable[[Any], Any]] = {
    "start": orchestration.start,
    "pause": orchestration.pause,
    "resumed": orchestration.resumed,
    "start_wave": orchestration.start_wave,
    "poll_wave": orchestration.poll_wave,
    "wave_failed_pause": wave_failures.wave_failed_pause,
    "retry_wave": wave_failures.retry_wave,
    "skip_wave": wave_failures.skip_wave,
    "finish": orchestration.finish,
    "cleanup_reminder": cleanup_schedule.cleanup_reminder,
    "scheduled_cleanup": cleanup_schedule.scheduled_cleanup,
    "cleanup_check": cleanup.check_cleanup,
    "pause_reminder": pause_reminders.remind,
}


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)  # responses carry task tokens
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    task = _PAYLOAD.validate_python(event)
    logger.append_keys(executionId=task.executionId, task=task.task)
    tracer.put_annotation("executionId", task.executionId)  # find an execution's trace by its id
    return _TASKS[task.task](task)
