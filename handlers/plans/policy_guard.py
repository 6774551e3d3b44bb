"""Who may change a plan's rules, and the record of every change.

A plan's approval policy (``RecoveryPlan.policy()``: ``approvers``, ``approverPrincipals``,
``approvalQuorum``, ``requireReason``, ``approveRecoveryStart`` and its waves' pauses) is what
stands between one person and a real failover, so changing it is itself a decision:

- On a plan that names approvers, changing any of those fields, removing a wave's pause (a pause
  turned off, or its wave deleted) or deleting the plan is allowed only to a caller the plan's
  CURRENT policy names (``approval_policy.names_caller``): through the API a principal in
  ``approverPrincipals``; in Slack a named approver (user id, or member of a named user group) who
  is also an operator. Anyone else gets 403 ``FORBIDDEN`` naming who may.
- Direct invocation is the IAM-guarded break-glass path: it may change the policy, and must say who
  does (``requestedBy``), which is recorded.
- A plan that names nobody may be given a policy by anyone allowed to update plans; adding a pause
  only makes the rules stricter and is not guarded.
- Every policy change is recorded on the plan (``policyHistory``: who, via which channel, when, the
  policy before and after) and announced (``policy_changed``) in the plan's Slack channel(s) and
  to its notification address(es).
"""

from __future__ import annotations

from handlers.accounts.account_context import Caller, channel_of
from handlers.aws.subscriptions import recipient_id
from handlers.core.errors import ForbiddenError, ValidationError
from handlers.core.observability import count, logger
from handlers.core.settings import get_settings
from handlers.core.timestamps import now_iso
from handlers.events.notifications import publish_recovery_plan_notification
from handlers.models.events import ExecutionEvent
from handlers.models.recovery_plan import POLICY_HISTORY_LIMIT, PolicyChange, RecoveryPlan
from handlers.pauses.approval_policy import GroupMembers, names_caller

# Who a direct invocation acts as when it names nobody (handlers/accounts/account_context.py): it may not
# change the rules anonymously.
UNNAMED_DIRECT_CALLER = "direct-invocation"
REQUESTED_BY_NEEDED = (
    "requestedBy is required to change the approval policy of a plan by direct invocation: the change "
    "is recorded on the plan and announced with who made it"
)


def removes_a_pause(current: RecoveryPlan, changed: RecoveryPlan) -> bool:
    """Whether a protection group that waited for approval before its wave no longer does (its
    pause turned off, or its wave deleted)."""
    before = {w.protectionGroupId for w in current.waves if w.pauseBeforeExecution}
    after = {w.protectionGroupId for w in changed.waves if w.pauseBeforeExecution}
    return bool(before - after)


def is_guarded(current: RecoveryPlan, changed: RecoveryPlan) -> bool:
    """Whether turning ``current`` into ``changed`` changes the rules of a plan that names approvers."""
    if not current.names_approvers():
        return False
    rules = {"pausedWaves"}  # adding or renumbering a pause is no loosening; removing one is
    return current.policy().model_dump(exclude=rules) != changed.policy().model_dump(
        exclude=rules
    ) or removes_a_pause(current, changed)


def check_change(
    caller: Caller, current: RecoveryPlan, changed: RecoveryPlan, group_members: GroupMembers | None = None
) -> None:
    """Raise unless ``caller`` may turn ``current`` into ``changed``."""
    if is_guarded(current, changed):
        check_may_change_rules(caller, current, "change the approval policy of", group_members)


def check_may_change_rules(
    caller: Caller, plan: RecoveryPlan, what: str, group_members: GroupMembers | None = None
) -> None:
    """Raise :class:`ForbiddenError` (naming who may) unless ``caller`` may ``what`` ``plan``, a
    plan naming approvers; a direct invocation must name who acts."""
    via = channel_of(caller)
    if via == "direct":
        if caller.principal == UNNAMED_DIRECT_CALLER:
            raise ValidationError(REQUESTED_BY_NEEDED)
        return
    operator = via != "slack" or caller.user_id in get_settings().operator_ids()
    named = operator and caller.source in ("api_gateway", "slack")
    if named and names_caller(plan.approvers, plan.approverPrincipals, caller, group_members):
        return
    count("PolicyChangeRefused")
    logger.warning(
        "policy change refused", extra={"planId": plan.planId, "via": via, "principal": caller.principal}
    )
    raise ForbiddenError(f"Only {who_may_change(plan)} may {what} recovery plan {plan.planName}.")


def who_may_change(plan: RecoveryPlan) -> str:
    api = ", ".join(plan.approverPrincipals) or "none"
    slack = ", ".join(f"<!subteam^{a}>" if a.startswith("S") else f"<@{a}>" for a in plan.approvers)
    return (
        f"the people its current policy names: through the API its approverPrincipals ({api}); in Slack "
        f"its approvers who are operators ({slack or 'none'}); or a direct invocation of the api "
        "function with requestedBy (break-glass, recorded)"
    )


def change_of(caller: Caller, current: RecoveryPlan, changed: RecoveryPlan) -> PolicyChange | None:
    """The policy change ``changed`` makes to ``current``, as recorded, or None if it makes none."""
    before, after = current.policy(), changed.policy()
    if before == after:
        return None
    return PolicyChange(
        changedBy=caller.principal, via=channel_of(caller), changedAt=now_iso(), before=before, after=after
    )


def with_change(plan: RecoveryPlan, change: PolicyChange) -> RecoveryPlan:
    """``plan`` with ``change`` added to its ``policyHistory`` (the latest POLICY_HISTORY_LIMIT kept)."""
    return plan.model_copy(update={"policyHistory": [*plan.policyHistory, change][-POLICY_HISTORY_LIMIT:]})


def announce_change(current: RecoveryPlan, updated: RecoveryPlan, change: PolicyChange) -> None:
    """Tell the plan's Slack channel(s) and notification address(es) about ``change`` (a change that
    also moves the channel or the address tells the old one too). Best effort, like every
    announcement: the change is already recorded on the plan."""
    logger.info(
        "approval policy changed",
        extra={"planId": updated.planId, "changedBy": change.changedBy, "via": change.via},
    )
    count("PolicyChangeCount")
    channels = list(dict.fromkeys(c for c in (current.slackChannelId, updated.slackChannelId) if c))
    addresses = (current.notificationEmail, updated.notificationEmail)
    recipients = list(dict.fromkeys(recipient_id(a) for a in addresses if a))
    event = ExecutionEvent.of_plan(
        updated,
        "policy_changed",
        decidedBy=change.changedBy,
        decidedVia=change.via,
        decidedAt=change.changedAt,
        policyBefore=change.before,
        policyAfter=change.after,
        slackChannels=channels,
    )
    publish_recovery_plan_notification(event, recipients=recipients)
