"""Which source servers a Protection Group stands for, and what DRS says about them.

The one place that turns a group into server ids (:func:`group_server_ids`): a group of ids stands
for its ids; a tag group for the servers of its account that carry all of its tags *now* (DRS is
asked every time: at readiness, at each wave's start, when someone lists the group's servers). Its
answer can differ from one call to the next when servers are retagged, which is why a wave records
what it resolved (``WaveProgress.servers`` and ``resolvedFromTags``).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.accounts.account_context import Caller
from handlers.aws import drs
from handlers.core.errors import DomainError
from handlers.core.timestamps import now_iso
from handlers.models.protection_group import ProtectionGroup
from handlers.plans.protection_groups import get_protection_group
from handlers.plans.source_servers import lookup_failed


def group_server_ids(
    group: ProtectionGroup, target: drs.DrsTarget, *, client: Any = None, session_name: str = ""
) -> list[str]:
    """The group's source server ids in ``target``'s account: its ids, or its tags resolved now
    (sorted). ``client``: a DRS client for ``target`` already made (else a read-only one is).
    Resolving raises :class:`handlers.aws.drs.DrsCallError` when DRS cannot be asked."""
    if not group.serverSelectionTags:
        return list(group.sourceServerIds)
    client = client or drs.client_for(target, session_name or f"resolve-{group.groupId}", read_only=True)
    return drs.resolve_tags(client, group.serverSelectionTags)


class NoSourceServersError(Exception):
    """A wave's group selected no source servers when the wave started (a tag group whose tags no
    server carries then; a group of ids stored without ids, which the API never writes)."""


def wave_server_ids(
    group: ProtectionGroup,
    target: drs.DrsTarget,
    client: Any,
    wave_number: int,
    launched_before: dict[str, int] | None = None,
) -> tuple[list[str], str]:
    """:func:`group_server_ids` at a wave's start, less the servers earlier waves of the run already
    launched (``launched_before``: server id -> its wave; a run launches a server once, even when a
    forced run let two groups select it), and what the wave says of those it leaves out. None left
    is :class:`NoSourceServersError`, whose message names the tags and the account DRS was asked in,
    or the earlier waves."""
    selected = group_server_ids(group, target, client=client)
    if not selected:
        raise NoSourceServersError(selects_nothing(group, target, wave_number, "at the wave's start"))
    earlier = launched_before or {}
    again = [s for s in selected if s in earlier]
    server_ids = [s for s in selected if s not in earlier]
    note = (
        "not launched again (earlier waves of this run launched them): "
        + ", ".join(f"{s} (wave {earlier[s]})" for s in again)
        if again
        else ""
    )
    if not server_ids:
        raise NoSourceServersError(
            f"wave {wave_number}: every server of protection group {group.groupName} {note}"
        )
    return server_ids, note


def selects_nothing(group: ProtectionGroup, target: drs.DrsTarget, wave_number: int, when: str) -> str:
    """What to say of a wave whose group selected no servers ``when`` (at its start, or now for
    readiness): the group, its tags and the account DRS was asked in."""
    tags = ", ".join(f"{k}={v}" for k, v in (group.serverSelectionTags or {}).items())
    where = f"in DRS in account {target.account_id} ({target.region})"
    why = f"none carries the tags {tags} {where} {when}" if tags else "it names none"
    return f"wave {wave_number}: protection group {group.groupName} selects no source servers: {why}"


def describe_group_servers(group: ProtectionGroup, target: drs.DrsTarget) -> list[dict[str, Any]]:
    """DRS's records of the group's servers (one ``DescribeSourceServers`` pass): for a tag group
    the servers its tags select, for a group of ids its ids (an id DRS no longer knows is kept,
    marked ``inDrs: false``)."""
    client = drs.client_for(target, f"servers-{group.groupId}", read_only=True)
    if group.serverSelectionTags:
        found = drs.servers_with_tags(client, group.serverSelectionTags)
        return sorted((_summary(s, tags=True) for s in found), key=lambda s: s["sourceServerId"])
    by_id = {str(s["sourceServerID"]): s for s in drs.source_servers(client, group.sourceServerIds)}
    return [
        _summary(by_id[server_id]) if server_id in by_id else _absent(server_id)
        for server_id in group.sourceServerIds
    ]


def list_group_servers(caller: Caller, group_id: str) -> dict[str, Any]:
    """``GET /protection-groups/{groupId}/servers``: the group (of the caller's account, else 404)
    and its servers with hostname, replication state and lag, as DRS reports them now."""
    group = get_protection_group(caller, group_id)
    target = drs.target_for(group)
    try:
        items = describe_group_servers(group, target)
    except (drs.DrsCallError, ClientError, BotoCoreError) as exc:  # DRS, or assuming the role, failed
        cause = exc.__cause__ if isinstance(exc, drs.DrsCallError) else exc
        where = f"in DRS in account {target.account_id} ({target.region})"
        raise DomainError(lookup_failed(target, where, cause)) from exc
    answer: dict[str, Any] = {
        "groupId": group.groupId,
        "groupName": group.groupName,
        "accountId": group.accountId,
        "region": group.region,
        "selection": "tags" if group.serverSelectionTags else "ids",
        "resolvedAt": now_iso(),
        "items": items,
    }
    if group.serverSelectionTags:
        answer["serverSelectionTags"] = dict(group.serverSelectionTags)
    return answer


def _summary(server: dict[str, Any], *, tags: bool = False) -> dict[str, Any]:
    hints = (server.get("sourceProperties") or {}).get("identificationHints") or {}
    replication = server.get("dataReplicationInfo") or {}
    summary: dict[str, Any] = {
        "sourceServerId": str(server.get("sourceServerID", "")),
        "inDrs": True,
        "hostname": str(hints.get("hostname") or hints.get("fqdn") or ""),
        "replicationState": str(replication.get("dataReplicationState") or ""),
        "lagDuration": str(replication.get("lagDuration") or ""),
        "lastLaunchResult": str(server.get("lastLaunchResult") or ""),
    }
    if tags:
        summary["tags"] = dict(server.get("tags") or {})
    return summary


def _absent(server_id: str) -> dict[str, Any]:
    return {
        "sourceServerId": server_id,
        "inDrs": False,
        "hostname": "",
        "replicationState": "",
        "lagDuration": "",
        "lastLaunchResult": "",
    }
