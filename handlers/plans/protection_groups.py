"""Protection Group operations.

A group of ids claims its servers (``ServerClaimRepository``: a server belongs to at most one group
of an account, enforced by conditional writes). A tag group claims nothing: which servers its tags
select changes whenever someone retags a server in DRS, so no claim made at create time could stay
true. Overlaps involving a tag group are found when servers are resolved (the readiness check that
a server is in one group of a plan), not here. Nor is a tag group checked against DRS on create or
update: tags that select nothing yet are accepted (a plan using it is not ready until they do).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from handlers.accounts.account_context import Caller
from handlers.aws import drs
from handlers.core.errors import ConflictError, DomainError, NotFoundError, ValidationError
from handlers.core.observability import count, logger
from handlers.core.settings import get_settings
from handlers.core.timestamps import now_iso
from handlers.models.protection_group import (
    ProtectionGroup,
    ProtectionGroupCreate,
    ProtectionGroupUpdate,
    optional_servers_problem,
)
from handlers.plans.source_servers import require_source_servers
from handlers.repositories.dynamo import Page, expected_version
from handlers.repositories.protection_groups import ProtectionGroupRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository
from handlers.repositories.server_claims import TRANSACTION_LIMIT, ServerClaimRepository

# Changing any of these can make a server unknown where DRS is now called: checked again.
DRS_FIELDS = frozenset({"sourceServerIds", "region", "assumeRoleName", "externalId"})
SELECTION_FIELDS = ("sourceServerIds", "serverSelectionTags")


def get_protection_group(caller: Caller, group_id: str) -> ProtectionGroup:
    """The group if it exists in the caller's account; otherwise 404 (never "it is elsewhere")."""
    group = ProtectionGroupRepository().get(group_id)
    if group is None or group.accountId != caller.account_id:
        raise NotFoundError(f"protection group {group_id} not found")
    return group


def list_protection_groups(
    caller: Caller, *, limit: int = 50, next_token: str | None = None
) -> Page[ProtectionGroup]:
    return ProtectionGroupRepository().page(caller.account_id, limit=limit, token=next_token)


def all_protection_groups(caller: Caller) -> list[ProtectionGroup]:
    """Every group of the caller's account, by name (for pickers and name lookups)."""
    groups = ProtectionGroupRepository().all_in_account(caller.account_id)
    return sorted(groups, key=lambda g: g.groupName.casefold())


def create_protection_group(caller: Caller, request: ProtectionGroupCreate) -> ProtectionGroup:
    now = now_iso()
    group = ProtectionGroup(
        groupId=str(uuid.uuid4()),
        groupName=request.groupName,
        description=request.description,
        accountId=caller.account_id,
        region=request.region or get_settings().aws_region,
        assumeRoleName=request.assumeRoleName,
        externalId=request.externalId,
        sourceServerIds=request.sourceServerIds or [],
        serverSelectionTags=request.serverSelectionTags,
        optionalSourceServerIds=request.optionalSourceServerIds,
        createdAt=now,
        updatedAt=now,
        createdBy=caller.principal,
        version=1,
    )
    if group.sourceServerIds:
        require_source_servers(drs.target_for(group), group.sourceServerIds, f"validate-{group.groupId}")
    return insert_group(group)


def insert_group(group: ProtectionGroup) -> ProtectionGroup:
    """Store a new group: claim its servers first (all or none), then a conditional insert."""
    _claim_servers(group.accountId, group.groupId, group.sourceServerIds)
    try:
        ProtectionGroupRepository().insert(group)
    except DomainError:
        _release_servers(group.accountId, group.groupId, group.sourceServerIds)
        raise
    count("ProtectionGroupCreationCount")
    logger.info("protection group created", extra={"groupId": group.groupId, "accountId": group.accountId})
    return group


def update_protection_group(caller: Caller, request: ProtectionGroupUpdate) -> ProtectionGroup:
    current = get_protection_group(caller, request.groupId)
    expected_version(f"protection group {current.groupId}", current.version, request.version)
    changes = _selection_changes(request.model_dump(exclude_unset=True, exclude={"groupId", "version"}))
    changed = current.model_copy(update=changes)
    problem = optional_servers_problem(changed.sourceServerIds, changed.optionalSourceServerIds)
    if problem and changed.sourceServerIds:  # a tag group's optional ids apply to what its tags select
        raise ValidationError(problem)
    if changes.keys() & DRS_FIELDS and changed.sourceServerIds:
        require_source_servers(
            drs.target_for(changed), changed.sourceServerIds, f"validate-{current.groupId}"
        )
    return replace_group(current, changed)


def _selection_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Setting ids turns a group into a group of ids, setting tags into a tag group (``null`` for
    either changes nothing)."""
    for field in SELECTION_FIELDS:
        if field in changes and changes[field] is None:
            del changes[field]
    if changes.get("serverSelectionTags"):
        changes["sourceServerIds"] = []
    if changes.get("sourceServerIds"):
        changes["serverSelectionTags"] = None
    return changes


def replace_group(current: ProtectionGroup, changed: ProtectionGroup) -> ProtectionGroup:
    """Write ``changed`` over ``current`` as the next version, only if ``current`` is still the
    stored version; servers it gains are claimed first, servers it drops released afterwards."""
    updated = changed.model_copy(update={"updatedAt": now_iso(), "version": current.version + 1})
    added = sorted(set(updated.sourceServerIds) - set(current.sourceServerIds))
    removed = sorted(set(current.sourceServerIds) - set(updated.sourceServerIds))
    _claim_servers(current.accountId, current.groupId, added)
    try:
        ProtectionGroupRepository().replace(updated, expected_version=current.version)
    except DomainError:
        _release_servers(current.accountId, current.groupId, added)
        raise
    _release_servers(current.accountId, current.groupId, removed)
    return updated


def delete_protection_group(caller: Caller, group_id: str) -> dict[str, str]:
    group = get_protection_group(caller, group_id)
    users = [
        p
        for p in RecoveryPlanRepository().all_in_account(caller.account_id)
        if any(w.protectionGroupId == group_id for w in p.waves)
    ]
    if users:
        names = ", ".join(f"{p.planName} ({p.planId})" for p in users)
        raise ConflictError(f"protection group {group.groupName} is used by recovery plans: {names}")
    ProtectionGroupRepository().delete(group_id, expected_version=group.version)
    _release_servers(group.accountId, group.groupId, group.sourceServerIds)
    return {"groupId": group_id, "deleted": "true"}


def _claim_servers(account_id: str, group_id: str, server_ids: Iterable[str]) -> None:
    """Claim every server for the group, or none: on a taken server, undo and raise 409."""
    claims = ServerClaimRepository()
    pending = list(server_ids)
    done: list[str] = []
    for start in range(0, len(pending), TRANSACTION_LIMIT):
        chunk = pending[start : start + TRANSACTION_LIMIT]
        taken = claims.claim_all(account_id, chunk, group_id)
        if taken is not None:
            _release_servers(account_id, group_id, done)
            raise ConflictError(_claimed_message(*taken))
        done.extend(chunk)


def servers_claimed_elsewhere(account_id: str, group_id: str, server_ids: Iterable[str]) -> list[str]:
    """Read-only check (claims nothing): one message per server another group of the account holds."""
    claims = ServerClaimRepository()
    owners = ((server_id, claims.owner(account_id, server_id)) for server_id in server_ids)
    return [_claimed_message(server, owner) for server, owner in owners if owner not in (None, group_id)]


def _claimed_message(server_id: str, owner: str) -> str:
    owner_group = ProtectionGroupRepository().get(owner)
    owner_name = f"{owner_group.groupName} ({owner})" if owner_group else owner
    return f"source server {server_id} already belongs to protection group {owner_name}"


def _release_servers(account_id: str, group_id: str, server_ids: Iterable[str]) -> None:
    claims = ServerClaimRepository()
    for server_id in server_ids:
        claims.release(account_id, server_id, group_id)
