"""A wave's servers as it launches them: from a point in time, each with its recovery snapshot.

The start chose a snapshot per server (``handlers/runs/executions.py``, recorded on the
execution); a server the wave has that the start did not list is looked up here, at the same time.
A server without any snapshot (only possible when the start was forced) recovers from its latest
data, with no snapshot recorded."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import drs
from handlers.aws.snapshots import latest_snapshot
from handlers.core.timestamps import parse_iso
from handlers.models.execution import Execution, ServerLaunch, WaveProgress


def launches(
    client: Any, execution: Execution, wave: WaveProgress, server_ids: list[str]
) -> list[ServerLaunch]:
    recorded = {s.sourceServerId: s for s in wave.servers}
    if not execution.pointInTime:
        return [ServerLaunch(sourceServerId=s) for s in server_ids]
    moment = parse_iso(execution.pointInTime)
    result: list[ServerLaunch] = []
    for server_id in server_ids:
        known = recorded.get(server_id)
        if known is None or not known.recoverySnapshotId:
            try:
                found = latest_snapshot(client, server_id, moment)
            except (ClientError, BotoCoreError) as exc:
                raise drs.DrsCallError("DescribeRecoverySnapshots", exc) from exc
            known = ServerLaunch(
                sourceServerId=server_id,
                recoverySnapshotId=found.snapshot_id if found else "",
                snapshotTime=found.taken_iso if found else "",
            )
        result.append(known.model_copy(update={"launchStatus": "PENDING"}))
    return result
