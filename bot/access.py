"""Who may do what: operators (``SLACK_OPERATOR_IDS``) change things and start runs; a plan's
``approvers`` (users ``U…`` and user groups ``S…``, or the operators when it names none) decide its
pauses, by the policy each pause opened with (:func:`pause_refusal`; operators may always cancel).
A user group's members are read from Slack (``bot.usergroups``); one that cannot be read lets nobody
through and the refusal says why. Refusals say who may."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot import usergroups
from handlers.accounts.account_context import Caller
from handlers.core.settings import get_settings
from handlers.models.approval import Approval
from handlers.pauses.approval_policy import refusal_for, voter_of

NO_OPERATORS = (
    "No operators are configured, so nobody may change anything from Slack yet. Set "
    "SLACK_OPERATOR_IDS on the bot function (CloudFormation parameter SlackOperatorUserIds): "
    "comma-separated Slack user ids such as U012ABCDEF."
)


def operators() -> frozenset[str]:
    return get_settings().operator_ids()


def is_group(approver: str) -> bool:
    return approver.startswith("S")


def people(user_ids: Iterable[str]) -> str:
    """Configured user and user-group ids as Slack mentions (ids come from configuration, not from
    users): ``<@U…>``, ``<!subteam^S…>``."""
    return ", ".join(f"<!subteam^{u}>" if is_group(u) else f"<@{u}>" for u in sorted(user_ids))


def operator_refusal(user_id: str, what: str) -> str | None:
    """None if ``user_id`` may ``what``; else the ephemeral refusal to show."""
    allowed = operators()
    if not allowed:
        return NO_OPERATORS
    if user_id in allowed:
        return None
    return f"Only operators may {what}: {people(allowed)}."


@dataclass(frozen=True)
class Permission:
    """Who may run a subcommand: everyone (``what`` empty) or the operators, refused with
    "Only operators may <what>: <the operators>"."""

    what: str = ""

    @property
    def who(self) -> str:
        return "operators" if self.what else "everyone"

    def refusal(self, user_id: str) -> str | None:
        return operator_refusal(user_id, self.what) if self.what else None


EVERYONE = Permission()


def operators_may(what: str) -> Permission:
    return Permission(what)


def decider_ids(approvers: Iterable[str]) -> frozenset[str]:
    """Who may decide, as configured: the plan's approvers (users ``U…`` and user groups ``S…``),
    or the operators when it names none."""
    return frozenset(approvers) or operators()


def deciders(approvers: Iterable[str]) -> frozenset[str]:
    """The configured ids that are users (user groups are resolved by :func:`is_decider`)."""
    return frozenset(a for a in decider_ids(approvers) if not is_group(a))


def is_decider(user_id: str, approvers: Iterable[str]) -> tuple[bool, list[str]]:
    """Whether ``user_id`` may decide, and the user groups that could not be read (a group that
    cannot be read lets nobody through; a user named directly or in another group still may)."""
    allowed = decider_ids(approvers)
    if user_id in allowed:
        return True, []
    problems: list[str] = []
    for group in sorted(a for a in allowed if is_group(a)):
        try:
            if user_id in usergroups.group_members(group):
                return True, []
        except usergroups.UnreadableGroupError as exc:
            problems.append(str(exc))
    return False, problems


def decider_refusal(user_id: str, approvers: Iterable[str]) -> str | None:
    approvers = list(approvers)
    allowed = decider_ids(approvers)
    if not allowed:
        return NO_OPERATORS
    ok, problems = is_decider(user_id, approvers)
    if ok:
        return None
    who = "this plan's approvers" if approvers else "operators"
    refusal = f"Only {who} may resume or cancel this pause: {people(allowed)}."
    return " ".join([refusal, *problems])


def pause_deciders(approval: Approval) -> list[str]:
    """Who an open pause asks in Slack, by the policy it opened with: its approvers (users and user
    groups), or the operators when it names nobody (one naming only API principals asks nobody here)."""
    if approval.approvers or approval.approverPrincipals:
        return sorted(approval.approvers)
    return sorted(operators())


def pause_refusal(caller: Caller, approval: Approval, action: str) -> str | None:
    """None if the Slack user of ``caller`` may ``action`` this open pause; else who may. The shared
    rule (handlers/pauses/approval_policy.py) on the policy the pause opened with, so a plan edited
    since changes nothing, and operators may always cancel."""
    return refusal_for(approval, voter_of(caller), action, usergroups.group_members)
