"""Valid request bodies, varied by the test where it matters."""

from __future__ import annotations

import itertools
from typing import Any

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
