"""Valid request bodies, varied by the test where it matters."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handlers.models.execution import Execution

_serial = itertools.count(1)


def server_id(n: int | None = None) -> str:
    return f"s-{(n if n is not None else next(_serial)):017x}"


def group_body(name: str = "Database tier", servers: int = 2, **extra: Any) -> dict[str, Any]:
    return {"groupName": name, "sourceServerIds": [server_id() for _ in range(servers)], **extra}


def tag_group_body(
    name: str = "Web tier", tags: dict[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    """A tag group: selects the servers that carry all of ``tags`` (default: a tag no server has)."""
    return {"groupName": name, "serverSelectionTags": tags or {"App": f"app-{next(_serial)}"}, **extra}


def plan_body(group_ids: list[str], name: str = "Payments failover", **extra: Any) -> dict[str, Any]:
    waves = [
        {"waveNumber": i, "protectionGroupId": gid, "pauseBeforeExecution": i == 2}
        for i, gid in enumerate(group_ids, start=1)
    ]
    # Tests decide pauses without a reason unless they test reasons (the product default is "cancel").
    return {"planName": name, "waves": waves, "requireReason": "never", **extra}


# A plan that names a single approver must ask for one vote in either mode (a real recovery's
# default quorum is 2, which one approver could never reach: a 400).
ONE_APPROVER = {"drill": 1, "recovery": 1}


def big_execution(servers: int = 1000, waves: int = 10, failed_every: int = 97) -> Execution:
    """A finished run of ``servers`` servers in ``waves`` waves, a Slack resume with a hostile reason,
    hostile plan markup and every ``failed_every``-th launch failed: for reports and their benchmark."""
    from handlers.models.execution import Decision, Execution, Rto, ServerLaunch, WaveProgress

    per_wave = servers // waves
    return Execution(
        executionId="e-1",
        planId="p-1",
        planName="Payments <b>failover</b>",
        accountId="111111111111",
        status="FAILED",
        startedBy="ana",
        startedVia="api",
        startTime="2026-11-30T10:00:00.000000Z",
        endTime="2026-11-30T11:00:00.000000Z",
        rto=Rto(measuredSeconds=3000, excludingApprovalSeconds=2400, targetSeconds=1800, met=False),
        decisions=[
            Decision(
                action="resume",
                decidedBy="bo",
                channel="slack",
                decidedAt="2026-11-30T10:20:00.000000Z",
                waveNumber=2,
                reason='<script>alert("x")</script>',
            )
        ],
        waves=[
            WaveProgress(
                waveNumber=w + 1,
                protectionGroupName=f"Tier {w}",
                protectionGroupId=f"g{w}",
                status="COMPLETED",
                startTime=f"2026-11-30T10:{w * 5:02d}:00.000000Z",
                endTime=f"2026-11-30T10:{w * 5 + 4:02d}:00.000000Z",
                jobIds=[f"drsjob-{w}"],
                servers=[
                    ServerLaunch(sourceServerId=f"s-{w:03d}{i:014d}", launchStatus="FAILED")
                    if (w * per_wave + i) % failed_every == 0
                    else ServerLaunch(
                        sourceServerId=f"s-{w:03d}{i:014d}",
                        launchStatus="LAUNCHED",
                        recoveryInstanceId=f"i-{w:03d}{i:014d}",
                        launchedAt=f"2026-11-30T10:{w * 5 + 3:02d}:{i % 60:02d}.000000Z",
                    )
                    for i in range(per_wave)
                ],
            )
            for w in range(waves)
        ],
    )


def stored_one_wave_execution(plan: dict[str, Any], group: dict[str, Any], account: str) -> str:
    """An execution of ``plan`` stored as the start writes it, its one wave (``group``) not yet
    started, for driving the orchestrator's wave tasks directly: its id."""
    import uuid

    from handlers.core.timestamps import now_iso
    from handlers.models.execution import Execution, WaveProgress
    from handlers.repositories.executions import ExecutionRepository

    execution = Execution(
        executionId=str(uuid.uuid4()),
        planId=plan["planId"],
        planName=plan["planName"],
        accountId=account,
        startedBy="test",
        startedVia="api",
        startTime=now_iso(),
        waves=[
            WaveProgress(
                waveNumber=1, protectionGroupId=group["groupId"], protectionGroupName=group["groupName"]
            )
        ],
    )
    ExecutionRepository().insert(execution)
    return execution.executionId
