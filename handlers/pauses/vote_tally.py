"""What a pause's votes say: who voted (``@a and @b``), which votes made the decision, and their
reasons as one line."""

from __future__ import annotations

from handlers.models.approval import STOP_ACTIONS, Approval
from handlers.models.execution import Vote


def names(votes: list[Vote]) -> str:
    """``@a``, ``@a and @b``, ``@a, @b and @c``."""
    people = [v.by for v in votes]
    return people[0] if len(people) == 1 else f"{', '.join(people[:-1])} and {people[-1]}"


def deciding_votes(approval: Approval) -> list[Vote]:
    """The votes that made a decision: the counted ones for a proceed action, the cancel itself."""
    if approval.action in STOP_ACTIONS or not approval.tally:
        return approval.votes[-1:]
    return approval.counted(approval.action)


def joined_reason(votes: list[Vote]) -> str:
    if len(votes) <= 1:
        return votes[0].reason if votes else ""
    return "; ".join(f"{v.by}: {v.reason}" for v in votes if v.reason)
