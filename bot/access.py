"""Who may do what: operators (``SLACK_OPERATOR_IDS``) change things and start runs; a plan's
``approvers`` (or the operators when it names none) decide its pauses. Refusals say who may."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from handlers.settings import get_settings

NO_OPERATORS = (
    "No operators are configured, so nobody may change anything from Slack yet. Set "
    "SLACK_OPERATOR_IDS on the bot function (CloudFormation parameter SlackOperatorUserIds): "
    "comma-separated Slack user ids such as U012ABCDEF."
)


def operators() -> frozenset[str]:
    return get_settings().operator_ids()


def people(user_ids: Iterable[str]) -> str:
    """Configured user ids as Slack user mentions (ids come from configuration, not from users)."""
    return ", ".join(f"<@{u}>" for u in sorted(user_ids))


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


def deciders(approvers: Iterable[str]) -> frozenset[str]:
    return frozenset(approvers) or operators()


def decider_refusal(user_id: str, approvers: Iterable[str]) -> str | None:
    allowed = deciders(approvers)
    if not allowed:
        return NO_OPERATORS
    if user_id in allowed:
        return None
    who = "this plan's approvers" if approvers else "operators"
    return f"Only {who} may resume or cancel this pause: {people(allowed)}."
