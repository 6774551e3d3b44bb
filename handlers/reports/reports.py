"""The evidence report of an execution: what ran, who approved, the timeline and the measured RTO,
built from the execution's record alone (no other table, no DRS call), so the report of an ended
execution is the same whenever it is asked for.

Fields other features add to the record (``forced``, ``pointInTime``, per-server
``recoverySnapshotId``, ``cleanup``, decision ``votes``: every vote its pause received, counted or
not, a wave's ``hooks``: its hook runs, and ``failback``: where a RECOVERY stands on its way home,
with the FAILBACK execution that took it, or the RECOVERY a FAILBACK brought home) are read when
present, so a record written before they existed still reports (with their defaults).

The report is data: its times are the record's ISO 8601 UTC timestamps. ``pauses`` lists each
pause as the RTO measures it (handlers/reports/rto.py ``pause_spans``), for the timeline picture
(handlers/reports/timeline_svg.py). The prose of ``timeline`` details names times as people read
them (handlers/core/timestamps.py ``human``, UTC)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pydantic import BaseModel

from handlers.core.timestamps import human, parse_iso
from handlers.models.execution import OUTSIDE_VIA, Execution, ServerLaunch, WaveProgress
from handlers.reports.rto import pause_spans

_DECISION_EVENTS = {"resume": "resumed", "cancel": "cancelled", "retry": "retried", "skip": "skipped"}
_FAILED_PAUSES = {"wave_failed": "launch failed", "hook_failed": "hook failed"}


def build_report(execution: Execution) -> dict[str, Any]:
    return {
        "executionId": execution.executionId,
        "planId": execution.planId,
        "planName": execution.planName,
        "accountId": execution.accountId,
        "mode": execution.mode,
        "status": execution.status,
        "startedBy": execution.startedBy,
        "startedVia": execution.startedVia,
        "startTime": execution.startTime,
        "endTime": execution.endTime,
        "forced": bool(getattr(execution, "forced", False)),
        "pointInTime": getattr(execution, "pointInTime", None) or None,
        "rto": execution.rto.model_dump(mode="json") if execution.rto else None,
        "waves": [_wave(w) for w in execution.waves],
        "decisions": [_decision(d) for d in execution.decisions],
        "pauses": [asdict(span) for span in pause_spans(execution)],
        "timeline": timeline(execution),
        "cleanup": _plain(getattr(execution, "cleanup", None)),
        "failback": _failback(execution),
    }


def _failback(execution: Execution) -> dict[str, str] | None:
    """The way home: a RECOVERY's failback status and its FAILBACK execution (docs/failback.md), or
    the RECOVERY a FAILBACK failed back; None before any failback."""
    if execution.mode == "FAILBACK":
        return {"status": "", "failbackExecutionId": "", "failbackOf": execution.failbackOf}
    record = execution.failback
    if record is None:
        return None
    return {"status": record.status, "failbackExecutionId": record.failbackExecutionId, "failbackOf": ""}


def _wave(wave: WaveProgress) -> dict[str, Any]:
    row: dict[str, Any] = {
        "waveNumber": wave.waveNumber,
        "groupName": wave.protectionGroupName,
        "status": wave.status,
        "startTime": wave.startTime,
        "endTime": wave.endTime,
        "durationSeconds": seconds_between(wave.startTime, wave.endTime),
        "jobIds": list(wave.jobIds),
        "servers": [_server(s) for s in wave.servers],
    }
    hooks = _hooks(wave)
    if hooks:
        row["hooks"] = hooks
    return row


def _hooks(wave: WaveProgress) -> list[dict[str, Any]]:
    """The wave's hook runs (docs/hooks.md: name, type, phase, attempt, status, startedAt,
    endedAt, message), as plain records; none on a wave that ran no hook."""
    return [_plain(hook) for hook in getattr(wave, "hooks", None) or []]


def _server(server: ServerLaunch) -> dict[str, Any]:
    row: dict[str, Any] = {"sourceServerId": server.sourceServerId, "launchStatus": server.launchStatus}
    for key in ("recoverySnapshotId", "recoveryInstanceId", "launchedAt"):
        value = getattr(server, key, "")
        if value:
            row[key] = value
    return row


def _decision(decision: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "action": decision.action,
        "decidedBy": decision.decidedBy,
        "via": getattr(decision, "channel", "") or getattr(decision, "via", ""),
        "decidedAt": decision.decidedAt,
        "reason": decision.reason,
    }
    votes = getattr(decision, "votes", None)
    if votes:
        row["votes"] = [_plain(v) for v in votes]
    return row


def _plain(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def seconds_between(start: str, end: str) -> int | None:
    if not start or not end:
        return None
    return max(0, round((parse_iso(end) - parse_iso(start)).total_seconds()))


def timeline(execution: Execution) -> list[dict[str, str]]:
    """Every recorded event, oldest first (ties keep the order of the record)."""
    events: list[tuple[str, str, str]] = []
    mode = "Drill" if execution.isDrill else "RECOVERY"
    start = f"{mode} of {execution.planName} started by {execution.startedBy} via {execution.startedVia}"
    if getattr(execution, "forced", False):
        start += " (forced past failed readiness checks)"
    point_in_time = getattr(execution, "pointInTime", None)
    if point_in_time:
        start += f" from point in time {human(point_in_time)}"
    events.append((execution.startTime, "execution_started", start))
    for wave in execution.waves:
        events.extend(_wave_events(wave))
    pending = execution.pendingApproval
    waves = {w.waveNumber: w for w in execution.waves}
    if pending is not None and not getattr(waves.get(pending.waveNumber), "pausedAt", ""):
        events.append(
            (pending.requestedAt, "paused", f"waiting for a decision before wave {pending.waveNumber}")
        )
    for decision in execution.decisions:
        # a failed wave's or hook's pause (the pause before a wave is the wave's own "paused" event)
        failed = _FAILED_PAUSES.get(decision.pauseKind or "")
        if failed and decision.openedAt:
            detail = f"waiting for a decision: wave {decision.waveNumber}'s {failed}"
            events.append((decision.openedAt, "paused", detail))
        events.extend(_decision_events(decision))
    if execution.endTime:
        ended = f"{execution.status}" + (f": {execution.statusReason}" if execution.statusReason else "")
        events.append((execution.endTime, "execution_ended", ended))
    events.extend(_cleanup_events(getattr(execution, "cleanup", None)))
    ordered = sorted((e for e in events if e[0]), key=lambda e: e[0])
    return [{"at": at, "event": event, "detail": detail} for at, event, detail in ordered]


def _wave_events(wave: WaveProgress) -> list[tuple[str, str, str]]:
    label = f"wave {wave.waveNumber} ({wave.protectionGroupName})"
    events = [(wave.pausedAt, "paused", f"waiting for a decision before {label}")]
    events += [
        (
            wave.startTime,
            "wave_started",
            f"{label}: {len(wave.servers)} servers, jobs {', '.join(wave.jobIds)}",
        )
    ]
    for server in wave.servers:
        if server.launchedAt:
            instance = f" as {server.recoveryInstanceId}" if server.recoveryInstanceId else ""
            events.append(
                (server.launchedAt, "server_launched", f"{server.sourceServerId}{instance} ({label})")
            )
        elif server.launchStatus in {"FAILED", "NOT_STARTED", "TERMINATED"}:
            detail = f"{server.sourceServerId} {server.launchStatus} ({label})"
            events.append((wave.endTime, "server_failed", detail))
    events.extend(_hook_events(label, _hooks(wave)))
    if wave.endTime:
        detail = f"{label} {wave.status}" + (f": {wave.message}" if wave.message else "")
        events.append((wave.endTime, f"wave_{wave.status.lower()}", detail))
    return events


def _hook_events(label: str, hooks: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """One line per hook run, when it ended (or started, while it runs)."""
    events = []
    for hook in hooks:
        status = str(hook.get("status", ""))
        detail = f"{hook.get('phase', '')} hook {hook.get('name', '')} of {label}: {status}"
        if hook.get("message"):
            detail += f": {hook['message']}"
        at = str(hook.get("endedAt") or hook.get("startedAt") or "")
        events.append((at, f"hook_{status.lower()}" if status else "hook", detail))
    return events


def _decision_events(decision: Any) -> list[tuple[str, str, str]]:
    events = [
        (
            vote.at,
            "vote",
            f"{vote.by} via {vote.via} voted {vote.action}" + (f": {vote.reason}" if vote.reason else ""),
        )
        for vote in getattr(decision, "votes", None) or []
    ]
    via = getattr(decision, "channel", "") or getattr(decision, "via", "")
    done = _DECISION_EVENTS.get(decision.action, decision.action)
    detail = f"wave {decision.waveNumber} {done} by {decision.decidedBy} via {via}"
    if decision.reason:
        detail += f": {decision.reason}"
    # a decision nobody made through drs-chatops (handlers/runs/decision_record.py) says so
    event = "decision_outside" if via == OUTSIDE_VIA else f"decision_{decision.action}"
    events.append((decision.decidedAt, event, detail))
    return events


def _cleanup_events(cleanup: Any) -> list[tuple[str, str, str]]:
    if cleanup is None:
        return []
    record = _plain(cleanup) if not isinstance(cleanup, dict) else cleanup
    requested = (
        record.get("requestedAt", ""),
        "cleanup_requested",
        f"cleanup requested by {record.get('requestedBy', '')} via {record.get('requestedVia', '')}",
    )
    ids = record.get("terminatedInstanceIds") or []
    finished = (
        record.get("completedAt", ""),
        f"cleanup_{str(record.get('status', '')).lower()}",
        f"{len(ids)} recovery instances terminated"
        + (f": {record['message']}" if record.get("message") else ""),
    )
    return [requested, finished]
