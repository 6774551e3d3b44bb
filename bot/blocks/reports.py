"""``/dr report <executionId>``: the evidence report in a few blocks (the summary, the RTO, each
wave, each decision) and where the whole report is (REST, direct invocation, the reports bucket).
Times and durations read as on the report's page (handlers/core/timestamps.py ``human``, UTC, said
once in the last block; handlers/reports/rto.py ``duration``)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

from bot.blocks.common import context, header, section, sections
from handlers.core.timestamps import human
from handlers.models.execution import Rto
from handlers.reports.rto import duration, summary

MAX_DECISIONS = 10


def report_blocks(report: dict[str, Any], *, api_url: str, bucket: str) -> list[Block]:
    rto = Rto.model_validate(report["rto"]) if report.get("rto") else None
    title = f"Evidence report: {report['planName']} ({report['mode']}, {report['status']})"
    blocks: list[Block] = [
        header(title),
        section(summary(rto) or "RTO: not measured yet (the run has not ended)"),
    ]
    if rto is not None and rto.measuredSeconds is not None:
        blocks.append(
            context(
                f"wall clock {duration(rto.measuredSeconds)} · excluding approval waits "
                f"{duration(rto.excludingApprovalSeconds)} · started {human(report['startTime'])} by "
                f"{report['startedBy']} via {report['startedVia']}"
            )
        )
    blocks += sections(_wave_line(w) for w in report["waves"])
    decisions = [_decision_line(d) for d in report["decisions"][:MAX_DECISIONS]]
    if decisions:
        blocks += sections(decisions)
    blocks.append(context(where(report, api_url=api_url, bucket=bucket)))
    return blocks


def where(report: dict[str, Any], *, api_url: str, bucket: str) -> str:
    path = f"/executions/{report['executionId']}/report"
    text = f"Full report (timeline, every server): GET {api_url or '<api>'}{path}?format=html (or csv, json)"
    text += f", or direct invocation get_execution_report {report['executionId']}"
    if bucket and report.get("endTime"):
        text += f"; stored copy s3://{bucket}/reports/{report['accountId']}/{report['executionId']}.html"
    return text + ". All times UTC."


def _wave_line(wave: dict[str, Any]) -> str:
    servers = wave["servers"]
    launched = sum(1 for s in servers if s["launchStatus"] == "LAUNCHED")
    took = f" in {duration(wave['durationSeconds'])}" if wave["durationSeconds"] is not None else ""
    line = f"Wave {wave['waveNumber']} {wave['groupName']}: {wave['status']}, "
    line += f"{launched}/{len(servers)} launched{took}"
    failed = [s["sourceServerId"] for s in servers if s["launchStatus"] not in {"LAUNCHED", "PENDING"}]
    if failed:
        shown = ", ".join(failed[:5]) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
        line += f" (not launched: {shown})"
    return line


def _decision_line(decision: dict[str, Any]) -> str:
    line = f"{decision['action']} by {decision['decidedBy']} via {decision['via']}"
    line += f" at {human(decision['decidedAt'])}"
    return line + (f": {decision['reason']}" if decision["reason"] else "")
