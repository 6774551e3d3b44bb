"""Everything an import checks before it writes anything.

``load_document`` validates the document's shape with pydantic and lists every problem;
``find_problems`` checks what only the tables can tell (ids taken elsewhere, wave groups, server
claims). Both only read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pydantic

from handlers.accounts.account_context import Caller
from handlers.aws import drs
from handlers.core.errors import ValidationError
from handlers.core.validation import describe
from handlers.models.configuration import ConfigurationDocument
from handlers.models.protection_group import ProtectionGroup
from handlers.models.recovery_plan import RecoveryPlan
from handlers.plans.protection_groups import servers_claimed_elsewhere
from handlers.plans.source_servers import missing_source_servers
from handlers.repositories.protection_groups import ProtectionGroupRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository

MAX_LISTED_PROBLEMS = 50


@dataclass
class StoredItems:
    """What the tables hold today under the document's ids (``None``: absent)."""

    groups: dict[str, ProtectionGroup | None] = field(default_factory=dict)
    plans: dict[str, RecoveryPlan | None] = field(default_factory=dict)

    @classmethod
    def load(cls, document: ConfigurationDocument) -> StoredItems:
        groups, plans = ProtectionGroupRepository(), RecoveryPlanRepository()
        stored = cls()
        for group in document.protectionGroups:
            stored.groups[group.groupId] = groups.get(group.groupId)
        for plan in document.recoveryPlans:
            stored.plans[plan.planId] = plans.get(plan.planId)
        return stored


def invalid(problems: list[str]) -> ValidationError:
    listed = problems[:MAX_LISTED_PROBLEMS]
    more = f" (and {len(problems) - len(listed)} more)" if len(problems) > len(listed) else ""
    return ValidationError(
        f"the configuration document is invalid; nothing was imported. {len(problems)} problem(s): "
        + "; ".join(listed)
        + more
    )


def load_document(document: Any) -> ConfigurationDocument:
    """The document as a model, or a 400 listing every field problem."""
    try:
        return ConfigurationDocument.model_validate(document)
    except pydantic.ValidationError as exc:
        raise invalid([describe(exc, limit=MAX_LISTED_PROBLEMS)]) from exc


def find_problems(caller: Caller, document: ConfigurationDocument, stored: StoredItems) -> list[str]:
    return [
        *_account_problems(caller, document),
        *_duplicate_ids(document),
        *_ids_taken_elsewhere(caller, stored),
        *_server_problems(caller, document),
        *_unknown_servers(caller, document),
        *_wave_problems(caller, document),
    ]


def _account_problems(caller: Caller, document: ConfigurationDocument) -> list[str]:
    account = caller.account_id
    problems = []
    if document.accountId != account:
        problems.append(f"accountId {document.accountId} is not the caller's account {account}")
    for group in document.protectionGroups:
        if group.accountId != account:
            problems.append(
                f"protection group {group.groupId}: accountId {group.accountId} is not the caller's "
                f"account {account}"
            )
    for plan in document.recoveryPlans:
        if plan.accountId != account:
            problems.append(
                f"recovery plan {plan.planId}: accountId {plan.accountId} is not the caller's "
                f"account {account}"
            )
    return problems


def _duplicate_ids(document: ConfigurationDocument) -> list[str]:
    groups = Counter(g.groupId for g in document.protectionGroups)
    plans = Counter(p.planId for p in document.recoveryPlans)
    return [f"protection group {i} appears {n} times" for i, n in groups.items() if n > 1] + [
        f"recovery plan {i} appears {n} times" for i, n in plans.items() if n > 1
    ]


def _ids_taken_elsewhere(caller: Caller, stored: StoredItems) -> list[str]:
    """An id stored under another account cannot be imported (and says nothing about that account)."""
    account = caller.account_id
    taken = [f"protection group id {i}" for i, g in stored.groups.items() if g and g.accountId != account]
    taken += [f"recovery plan id {i}" for i, p in stored.plans.items() if p and p.accountId != account]
    return [f"{what} is already in use and cannot be imported into account {account}" for what in taken]


def _server_problems(caller: Caller, document: ConfigurationDocument) -> list[str]:
    problems: list[str] = []
    first_group: dict[str, str] = {}
    for group in document.protectionGroups:
        if not group.sourceServerIds:  # a tag group claims no servers
            continue
        for server in group.sourceServerIds:
            owner = first_group.setdefault(server, group.groupId)
            if owner != group.groupId:
                problems.append(f"source server {server} is in protection groups {owner} and {group.groupId}")
        claimed = servers_claimed_elsewhere(caller.account_id, group.groupId, group.sourceServerIds)
        problems += [f"protection group {group.groupId}: {message}" for message in claimed]
    return problems


def _unknown_servers(caller: Caller, document: ConfigurationDocument) -> list[str]:
    """Every group's servers must exist in DRS in the caller's account and the group's region."""
    problems: list[str] = []
    for group in document.protectionGroups:
        if not group.sourceServerIds:  # a tag group is resolved when it runs, not on import
            continue
        target = drs.target(caller.account_id, group.region, group.assumeRoleName, group.externalId)
        missing = missing_source_servers(target, group.sourceServerIds, f"import-{group.groupId}")
        problems += [f"protection group {group.groupId}: {message}" for message in missing]
    return problems


def _wave_problems(caller: Caller, document: ConfigurationDocument) -> list[str]:
    """Every wave's group must be in the document or stored in the caller's account."""
    in_document = {g.groupId for g in document.protectionGroups}
    repository = ProtectionGroupRepository()
    problems = []
    for plan in document.recoveryPlans:
        for wave in plan.waves:
            group_id = wave.protectionGroupId
            if group_id in in_document:
                continue
            stored = repository.get(group_id)
            if stored is None or stored.accountId != caller.account_id:
                problems.append(
                    f"recovery plan {plan.planId} wave {wave.waveNumber}: protection group {group_id} is "
                    f"neither in the document nor in account {caller.account_id}"
                )
    return problems
