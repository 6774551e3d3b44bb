"""Find a plan by id or by name for a ``/dr`` command; unknown or ambiguous names get candidates."""

from __future__ import annotations

from handlers.accounts.account_context import Caller
from handlers.core.errors import NotFoundError, ValidationError
from handlers.models.execution import Execution
from handlers.models.protection_group import ProtectionGroup
from handlers.models.recovery_plan import RecoveryPlan
from handlers.plans import protection_groups, recovery_plans
from handlers.runs import executions

MAX_CANDIDATES = 10


class PlanLookupError(ValidationError):
    """No plan, or more than one, answers to the name; ``candidates`` are (name, id) pairs."""

    def __init__(self, message: str, candidates: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.candidates = candidates


def all_plans(caller: Caller) -> list[RecoveryPlan]:
    return recovery_plans.all_recovery_plans(caller)


def all_groups(caller: Caller) -> list[ProtectionGroup]:
    return protection_groups.all_protection_groups(caller)


def find_plan(caller: Caller, ref: str) -> RecoveryPlan:
    ref = ref.strip()
    try:
        return recovery_plans.get_recovery_plan(caller, ref, refresh_subscription=True)
    except NotFoundError:
        pass
    plans = all_plans(caller)
    for fold in (False, True):
        matches = [p for p in plans if _named(p, ref, fold)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise PlanLookupError(
                f"{len(matches)} plans are named {ref!r}; name one by its id", _pairs(matches)
            )
    partial = [p for p in plans if ref.casefold() in p.planName.casefold()]
    if partial:
        raise PlanLookupError(f"no plan is named {ref!r}; did you mean one of these?", _pairs(partial))
    raise PlanLookupError(f"no plan named {ref!r} in account {caller.account_id}", _pairs(plans))


class GroupLookupError(PlanLookupError):
    """No group, or more than one, answers to the name; ``candidates`` are (name, id) pairs."""


def find_group(caller: Caller, ref: str) -> ProtectionGroup:
    """A group of the caller's account by id, exact name, then name ignoring case."""
    ref = ref.strip()
    try:
        return protection_groups.get_protection_group(caller, ref)
    except NotFoundError:
        pass
    groups = all_groups(caller)
    for fold in (False, True):
        matches = [
            g for g in groups if (g.groupName.casefold() == ref.casefold() if fold else g.groupName == ref)
        ]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise GroupLookupError(
                f"{len(matches)} groups are named {ref!r}; name one by its id", _group_pairs(matches)
            )
    partial = [g for g in groups if ref.casefold() in g.groupName.casefold()]
    if partial:
        raise GroupLookupError(
            f"no group is named {ref!r}; did you mean one of these?", _group_pairs(partial)
        )
    raise GroupLookupError(
        f"protection group {ref!r} not found in account {caller.account_id}", _group_pairs(groups)
    )


def _group_pairs(groups: list[ProtectionGroup]) -> list[tuple[str, str]]:
    return [(g.groupName, g.groupId) for g in groups[:MAX_CANDIDATES]]


def last_execution(caller: Caller, plan_id: str) -> Execution | None:
    """The plan's newest execution: the account's executions, newest first, page by page (another
    plan's recent runs must not hide it)."""
    token: str | None = None
    while True:
        page = executions.list_executions(caller, limit=100, next_token=token)
        found = next((e for e in page.items if e.planId == plan_id), None)
        token = page.next_token
        if found is not None or not token:
            return found


def _named(plan: RecoveryPlan, ref: str, fold: bool) -> bool:
    return plan.planName.casefold() == ref.casefold() if fold else plan.planName == ref


def _pairs(plans: list[RecoveryPlan]) -> list[tuple[str, str]]:
    return [(p.planName, p.planId) for p in plans[:MAX_CANDIDATES]]
