"""Recovery Plan operations, including the plan's use of a notification address.

The SNS subscription belongs to the address (``handlers/plans/mailboxes.py``): a plan attaches
to its address when it starts using it and detaches when it stops (deleted, address changed). The
plan keeps a copy of the address's subscription state for callers; a refreshed read takes it from
the address's item."""

from __future__ import annotations

import uuid

from handlers.accounts.account_context import Caller
from handlers.aws import subscriptions
from handlers.core.errors import NotFoundError, ValidationError
from handlers.core.observability import count, logger
from handlers.core.timestamps import now_iso
from handlers.models.recovery_plan import (
    RecoveryPlan,
    RecoveryPlanCreate,
    RecoveryPlanUpdate,
    Wave,
    WaveInput,
    quorum_problem,
)
from handlers.pauses.approval_policy import GroupMembers
from handlers.plans import mailboxes, policy_guard
from handlers.repositories.dynamo import Page, expected_version
from handlers.repositories.protection_groups import ProtectionGroupRepository
from handlers.repositories.recovery_plans import RecoveryPlanRepository


def get_recovery_plan(caller: Caller, plan_id: str, *, refresh_subscription: bool = False) -> RecoveryPlan:
    plan = RecoveryPlanRepository().get(plan_id)
    if plan is None or plan.accountId != caller.account_id:
        raise NotFoundError(f"recovery plan {plan_id} not found")
    if refresh_subscription and plan.notificationEmail:
        plan = _with_subscription(plan, mailboxes.current(plan.notificationEmail))
    return plan


def list_recovery_plans(
    caller: Caller, *, limit: int = 50, next_token: str | None = None
) -> Page[RecoveryPlan]:
    return RecoveryPlanRepository().page(caller.account_id, limit=limit, token=next_token)


def all_recovery_plans(caller: Caller) -> list[RecoveryPlan]:
    """Every plan of the caller's account, by name (for name lookups)."""
    plans = RecoveryPlanRepository().all_in_account(caller.account_id)
    return sorted(plans, key=lambda p: p.planName.casefold())


def resolve_waves(account_id: str, waves: list[WaveInput]) -> list[Wave]:
    """Every wave's group must exist in the plan's account; the stored group name is used."""
    groups = ProtectionGroupRepository()
    resolved: list[Wave] = []
    for wave in waves:
        group = groups.get(wave.protectionGroupId)
        # Another account's group is answered exactly like a missing one: the error must not
        # confirm that it exists, nor name it or its account.
        if group is None or group.accountId != account_id:
            raise ValidationError(
                f"wave {wave.waveNumber}: protection group {wave.protectionGroupId} does not exist "
                f"in account {account_id}"
            )
        resolved.append(
            Wave(
                waveNumber=wave.waveNumber,
                protectionGroupId=group.groupId,
                protectionGroupName=group.groupName,
                pauseBeforeExecution=wave.pauseBeforeExecution,
                waitBeforeMinutes=wave.waitBeforeMinutes,
                hooks=wave.hooks,
            )
        )
    return resolved


def create_recovery_plan(caller: Caller, request: RecoveryPlanCreate) -> RecoveryPlan:
    now = now_iso()
    plan = RecoveryPlan(
        planId=str(uuid.uuid4()),
        planName=request.planName,
        description=request.description,
        accountId=caller.account_id,
        assumeRoleName=request.assumeRoleName,
        externalId=request.externalId,
        notificationEmail=request.notificationEmail,
        waves=resolve_waves(caller.account_id, request.waves),
        slackChannelId=request.slackChannelId,
        approvers=request.approvers,
        drillCleanupAfterMinutes=request.drillCleanupAfterMinutes,
        targetRtoMinutes=request.targetRtoMinutes,
        maxReplicationLagMinutes=request.maxReplicationLagMinutes,
        onWaveFailure=request.onWaveFailure,
        approverPrincipals=request.approverPrincipals,
        approvalQuorum=request.approvalQuorum,
        requireReason=request.requireReason,
        approveRecoveryStart=request.approveRecoveryStart,
        exportNative=request.exportNative,
        createdAt=now,
        updatedAt=now,
        createdBy=caller.principal,
    )
    return insert_plan(plan)


def insert_plan(plan: RecoveryPlan) -> RecoveryPlan:
    """Store a new plan (conditional insert), then attach it to its notification address, if any."""
    RecoveryPlanRepository().insert(plan)
    count("RecoveryPlanCreationCount")
    logger.info("recovery plan created", extra={"planId": plan.planId, "accountId": plan.accountId})
    if plan.notificationEmail:
        plan = _apply_subscription(plan, mailboxes.attach(plan.notificationEmail, plan.planId))
    return plan


def update_recovery_plan(
    caller: Caller, request: RecoveryPlanUpdate, group_members: GroupMembers | None = None
) -> RecoveryPlan:
    """Apply ``request`` to the stored plan. A change of its approval policy is guarded and recorded
    (handlers/plans/policy_guard.py); ``group_members`` resolves Slack user groups (the bot's)."""
    current = get_recovery_plan(caller, request.planId)
    expected_version(f"recovery plan {current.planId}", current.version, request.version)
    changes = request.model_dump(exclude_unset=True, exclude={"planId", "version", "waves"})
    if request.waves is not None:
        changes["waves"] = resolve_waves(current.accountId, request.waves)
    changed = RecoveryPlan.model_validate({**current.model_dump(), **changes})
    problem = quorum_problem(changed.approvers, changed.approverPrincipals, changed.approvalQuorum)
    if problem:
        raise ValidationError(problem)
    return replace_plan(caller, current, changed, group_members)


def replace_plan(
    caller: Caller, current: RecoveryPlan, changed: RecoveryPlan, group_members: GroupMembers | None = None
) -> RecoveryPlan:
    """Write ``changed`` as the next version only if ``current`` is still stored, if ``caller`` may
    make the change (a change of the rules of a plan naming approvers is theirs to make: see
    policy_guard); a policy change is recorded on the plan and announced. A changed notification
    address moves the plan from the old address to the new one (a change of letter case only is no
    change: the address is the same). Any update retries a failed subscription."""
    policy_guard.check_change(caller, current, changed, group_members)
    change = policy_guard.change_of(caller, current, changed)
    if change is not None:
        changed = policy_guard.with_change(changed, change)
    updated = changed.model_copy(update={"updatedAt": now_iso(), "version": current.version + 1})
    RecoveryPlanRepository().replace(updated, expected_version=current.version)
    if change is not None:
        policy_guard.announce_change(current, updated, change)
    return _with_address(current, updated)


def _with_address(current: RecoveryPlan, updated: RecoveryPlan) -> RecoveryPlan:
    old, new = current.notificationEmail, updated.notificationEmail
    same = _address(old) == _address(new)
    if same and (not new or current.subscriptionStatus != "failed"):
        return updated
    outcome = mailboxes.attach(new, updated.planId) if new else subscriptions.NONE
    removed = mailboxes.detach(old, updated.planId) if old and not same else subscriptions.NONE
    return _apply_subscription(updated, outcome if new else removed)


def delete_recovery_plan(
    caller: Caller, plan_id: str, group_members: GroupMembers | None = None
) -> dict[str, str]:
    """Delete the plan; deleting one that names approvers removes its rules, so it is guarded like
    changing them (handlers/plans/policy_guard.py)."""
    plan = get_recovery_plan(caller, plan_id)
    if plan.names_approvers():
        policy_guard.check_may_change_rules(caller, plan, "delete", group_members)
    RecoveryPlanRepository().delete(plan_id, expected_version=plan.version)
    email = plan.notificationEmail
    outcome = mailboxes.detach(email, plan_id) if email else subscriptions.NONE
    result = {"planId": plan_id, "deleted": "true", "subscriptionStatus": outcome.status}
    if outcome.reason:
        result["subscriptionStatusReason"] = outcome.reason
    return result


def _address(email: str) -> str:
    return subscriptions.recipient_id(email) if email else ""


def _apply_subscription(plan: RecoveryPlan, outcome: subscriptions.SubscriptionOutcome) -> RecoveryPlan:
    RecoveryPlanRepository().set_subscription(plan.planId, outcome.arn, outcome.status, outcome.reason)
    return _with_subscription(plan, outcome)


def _with_subscription(plan: RecoveryPlan, outcome: subscriptions.SubscriptionOutcome) -> RecoveryPlan:
    return plan.model_copy(
        update={
            "snsSubscriptionArn": outcome.arn,
            "subscriptionStatus": outcome.status,
            "subscriptionStatusReason": outcome.reason,
        }
    )
