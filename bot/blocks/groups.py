"""One protection group in Slack (``/dr group``): how it selects servers, and each server's state.
Everything is plain text (bot/blocks/common.py): tags and hostnames are shown as they are.

Up to :data:`LISTED_SERVERS` servers are listed one a line; a larger group is summarised (how many
in each replication state, the ones not replicating continuously first) so the message stays
within Slack's block and text limits whatever the group's size."""

from __future__ import annotations

from collections import Counter
from typing import Any

from slack_sdk.models.blocks import Block

from bot.blocks.common import clip, context, header, limit_blocks, section, sections

LISTED_SERVERS = 40
SHOWN_WHEN_SUMMARISED = 10
HEALTHY = "CONTINUOUS"


def selection_label(tags: dict[str, str] | None, server_count: int | None = None) -> str:
    """``tags Tier=web`` or ``12 servers``: how a group selects its servers, in one phrase."""
    if tags:
        return "tags " + ", ".join(f"{key}={value}" for key, value in tags.items())
    return f"{server_count or 0} servers"


def group_details(details: dict[str, Any], command: str) -> list[Block]:
    """``details``: what ``list_group_servers`` answers (handlers/plans/group_servers.py)."""
    items: list[dict[str, Any]] = details["items"]
    tags = details.get("serverSelectionTags")
    how = (
        f"Selects the servers tagged {selection_label(tags).removeprefix('tags ')} "
        f"(resolved now: {len(items)} servers)"
        if tags
        else f"{len(items)} source servers, by id"
    )
    blocks: list[Block] = [header(details["groupName"]), section(how)]
    if not items:
        blocks.append(section("No source server matches now: a plan using this group is not ready."))
    elif len(items) <= LISTED_SERVERS:
        blocks += sections(_line(s) for s in items)
    else:
        blocks += _summary(items, details["groupId"])
    blocks.append(
        context(
            f"Group {details['groupId']} · account {details['accountId']} · {details['region']} · "
            f"as DRS reports at {details['resolvedAt'][11:19]} UTC"
        )
    )
    return limit_blocks(blocks)


def _line(server: dict[str, Any]) -> str:
    if not server.get("inDrs", True):
        return f"• {server['sourceServerId']} · ⚠️ not found in DRS"
    state = server["replicationState"] or "unknown"
    icon = "" if state == HEALTHY else "⚠️ "
    lag = f" · lag {server['lagDuration']}" if server.get("lagDuration") else ""
    hostname = server["hostname"] or "(no hostname)"
    return clip(f"• {hostname} · {server['sourceServerId']} · {icon}{state}{lag}", 300)


def _state(server: dict[str, Any]) -> str:
    return (server["replicationState"] or "UNKNOWN") if server.get("inDrs", True) else "NOT FOUND IN DRS"


def _summary(items: list[dict[str, Any]], group_id: str) -> list[Block]:
    states = Counter(_state(s) for s in items)
    counts = ", ".join(f"{state} {n}" for state, n in states.most_common())
    attention = [s for s in items if not s.get("inDrs", True) or s["replicationState"] != HEALTHY]
    shown = (attention or items)[:SHOWN_WHEN_SUMMARISED]
    what = "not replicating continuously" if attention else "first"
    rest = len(attention or items) - len(shown)
    return [
        section(f"{len(items)} servers by replication state: {counts}"),
        *sections([f"{len(shown)} {what}:", *(_line(s) for s in shown)]),
        context(
            (f"… and {rest} more {what}. " if rest > 0 else "")
            + f"Every server: GET /protection-groups/{group_id}/servers"
        ),
    ]
