"""DRS recovery instances of a drill: find the ones its jobs launched, terminate them, see which
are left. Calls act in one account (a client from :func:`handlers.aws.drs.client_for`); a failed call
(after botocore's retries, exponential backoff with jitter) raises :class:`handlers.aws.drs.DrsCallError`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws.drs import DrsCallError, describe_jobs

CHUNK = 200  # TerminateRecoveryInstances and the recoveryInstanceIDs filter take at most 200 ids


def launched_by_jobs(client: Any, job_ids: list[str]) -> list[str]:
    """The recovery instance ids the jobs' participating servers name, in job order."""
    if not job_ids:
        return []
    jobs = describe_jobs(client, job_ids)
    found = (s.get("recoveryInstanceID") for j in jobs for s in j.get("participatingServers", []))
    return [str(i) for i in found if i]


def live(client: Any, instance_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Which of ``instance_ids`` DRS still has (id -> its description); terminated ones are gone."""
    ids = list(dict.fromkeys(instance_ids))
    found: dict[str, dict[str, Any]] = {}
    try:
        for start in range(0, len(ids), CHUNK):
            pages = client.get_paginator("describe_recovery_instances").paginate(
                filters={"recoveryInstanceIDs": ids[start : start + CHUNK]}
            )
            for page in pages:
                found.update({str(i["recoveryInstanceID"]): i for i in page.get("items", [])})
    except (ClientError, BotoCoreError) as exc:
        raise DrsCallError("DescribeRecoveryInstances", exc) from exc
    return found


def terminate(client: Any, instance_ids: list[str]) -> None:
    """One TerminateRecoveryInstances request for at most :data:`CHUNK` ids."""
    assert 0 < len(instance_ids) <= CHUNK
    try:
        client.terminate_recovery_instances(recoveryInstanceIDs=instance_ids)
    except (ClientError, BotoCoreError) as exc:
        raise DrsCallError("TerminateRecoveryInstances", exc) from exc
