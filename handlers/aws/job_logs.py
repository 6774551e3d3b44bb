"""Why DRS says a server failed to launch: its job's log (``DescribeJobLogItems``), read when a wave
fails so the wave's message names the cause (e.g. a permission the role lacks: DRS launches with
the caller's credentials). Best effort: a log that cannot be read adds nothing, never an error."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

MAX_REASONS = 3  # distinct causes named in a wave's message
MAX_REASON_LENGTH = 300


def launch_failures(client: Any, jobs: list[dict[str, Any]], server_ids: list[str]) -> str:
    """``"; DRS job log: <server>: <rawError>"`` for the failed ``server_ids`` of ``jobs``, one line
    per distinct cause, or "" when the log says nothing (or cannot be read)."""
    wanted = set(server_ids)
    job_ids = [
        str(job["jobID"])
        for job in jobs
        if wanted & {str(s.get("sourceServerID")) for s in job.get("participatingServers", [])}
    ]
    causes: dict[str, str] = {}  # rawError -> the first server it is about
    try:
        for job_id in job_ids:
            for page in client.get_paginator("describe_job_log_items").paginate(jobID=job_id):
                for item in page.get("items", []):
                    data = item.get("eventData") or {}
                    server, error = str(data.get("sourceServerID", "")), str(data.get("rawError", ""))
                    if item.get("event") == "LAUNCH_FAILED" and server in wanted and error:
                        causes.setdefault(error[:MAX_REASON_LENGTH], server)
    except (ClientError, BotoCoreError):
        return ""
    if not causes:
        return ""
    named = [f"{server}: {error}" for error, server in list(causes.items())[:MAX_REASONS]]
    return "; DRS job log: " + "; ".join(named)
