"""Notification details for an execution event: one builder, so email, Slack and logs agree."""

from __future__ import annotations

from typing import Any

from handlers.models.execution import Execution, WaveProgress
from handlers.notifications import EventType, publish_recovery_plan_notification

_STATUS_WORDS = {"COMPLETED": "completed", "FAILED": "FAILED", "RUNNING": "running", "CANCELLED": "cancelled"}


def launched(wave: WaveProgress) -> int:
    return sum(1 for s in wave.servers if s.launchStatus == "LAUNCHED")


def summary(execution: Execution) -> str:
    lines = ["Waves:"]
    for wave in execution.waves:
        progress = f" ({launched(wave)}/{len(wave.servers)} launched)" if wave.servers else ""
        status = _STATUS_WORDS.get(wave.status, wave.status.lower().replace("_", " "))
        lines.append(f"  {wave.waveNumber}. {wave.protectionGroupName}: {status}{progress}")
    return "\n".join(lines)


def details_for(execution: Execution, **extra: Any) -> dict[str, Any]:
    return {
        "executionId": execution.executionId,
        "planId": execution.planId,
        "planName": execution.planName,
        "accountId": execution.accountId,
        "isDrill": execution.isDrill,
        "status": execution.status,
        "startedBy": execution.startedBy,
        "startTime": execution.startTime,
        "endTime": execution.endTime,
        "waveCount": len(execution.waves),
        "summary": summary(execution),
        "waves": [
            {
                "waveNumber": w.waveNumber,
                "protectionGroupName": w.protectionGroupName,
                "status": w.status,
                "launched": launched(w),
                "total": len(w.servers),
            }
            for w in execution.waves
        ],
        **extra,
    }


def announce(execution: Execution, event_type: EventType, **extra: Any) -> bool:
    return publish_recovery_plan_notification(execution.planId, event_type, details_for(execution, **extra))
