"""Who may vote on a pause, and what a vote must carry: the one place every channel is checked.

The policy is the plan's, snapshotted on the approval when the pause opens (``approvers``,
``approverPrincipals``, the quorum for the execution's mode, ``requireReason``), so editing the plan
never changes who decides a pause that is already waiting.

- A plan that names nobody keeps the original rule: in Slack the operators (``SLACK_OPERATOR_IDS``),
  through the API any signed-in caller of the account, by direct invocation the automation named in
  ``decidedBy``.
- A plan that names anyone restricts every channel to whom it names: Slack to ``approvers`` (users
  ``U…``/``W…`` directly, or members of a user group ``S…`` as the channel resolves it), the API and
  direct invocation to ``approverPrincipals`` (the Cognito identity, or ``decidedBy``).
- One person, one vote, whichever channels they use: a voter is keyed by the person
  (handlers.accounts.account_context.identity_key: the verified email when known, else the channel's id), so
  the same person in Slack and through the API is one voter, and an ``approverPrincipals`` email
  names that person on every channel.
- An email link and a direct invocation identify nobody (anyone who holds the link, or may invoke
  the function, can be anyone, and ``decidedBy`` is whatever they wrote): they count only where the
  quorum is 1; elsewhere they may cancel.
- Slack operators may always cancel (as ``/dr cancel`` stops a running execution).
- Whoever started the execution (the same person on every channel) never counts toward a quorum
  above 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handlers.accounts.account_context import Caller, channel_of, identity_keys, principal_key
from handlers.core.errors import ConflictError, ForbiddenError, ValidationError
from handlers.core.settings import get_settings
from handlers.models.approval import LINK_HOLDER, STOP_ACTIONS, Approval, Channel

GroupMembers = Callable[[str], frozenset[str]]
EMAIL_QUORUM_REFUSAL = (
    "An email link identifies nobody, so it can only cancel this pause: resuming needs {quorum} named "
    "approvers, in Slack or through the API (POST /executions/{{id}}/resume)."
)
DIRECT_QUORUM_REFUSAL = (
    "A direct invocation identifies nobody (whoever may invoke the function can write any decidedBy), "
    "so it can only cancel this pause: resuming needs {quorum} named approvers voting in Slack or "
    "through the API (POST /executions/{{id}}/resume), each as themselves."
)


class GroupResolutionError(Exception):
    """A channel's ``group_members`` could not list a user group's members (the caller is refused)."""


@dataclass(frozen=True)
class Voter:
    """Who casts a vote. ``by`` is what the record shows; ``key`` tells distinct people apart
    (handlers.accounts.account_context.identity_key: one person is one key in Slack and through the API), and
    ``aliases`` are the person's other keys (a Slack user's id): a vote under any of them is theirs."""

    via: Channel
    by: str
    key: str
    slack_user_id: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key, *self.aliases)


def voter_of(caller: Caller) -> Voter:
    via = channel_of(caller)
    key, *aliases = identity_keys(caller)
    return Voter(via, caller.principal, key, caller.user_id if via == "slack" else "", tuple(aliases))


def email_voter(approval: Approval) -> Voter:
    return Voter("email", approval.linkHolder or LINK_HOLDER, "link:email")


def is_starter(approval: Approval, voter: Voter) -> bool:
    """Whether ``voter`` is the person who started the execution: by identity key (a renamed Slack
    user is still the starter; another with the same display name is not). A pause opened before
    starters were keyed compares the recorded name."""
    if approval.startedByKeys:
        return not set(voter.keys).isdisjoint(approval.startedByKeys)
    return voter.by == approval.startedBy


def check_vote(
    approval: Approval,
    voter: Voter,
    action: str,
    reason: str,
    group_members: GroupMembers | None = None,
) -> None:
    """Raise the error to show ``voter`` unless they may cast ``action`` on this pause now."""
    refusal = refusal_for(approval, voter, action, group_members)
    if refusal:
        raise ForbiddenError(refusal)
    if action not in STOP_ACTIONS and approval.quorum > 1 and is_starter(approval, voter):
        raise ForbiddenError(
            f"{voter.by} started this execution (as {approval.startedBy}), and with a quorum of "
            f"{approval.quorum} the starter's vote does not count, on any channel: "
            f"{who_may(approval, voter.via)} must approve it"
        )
    voted_at = next((approval.voters[k] for k in voter.keys if k in approval.voters), None)
    if voted_at and action not in STOP_ACTIONS:
        raise ConflictError(f"you already voted at {voted_at}; your vote still counts")
    problem = reason_problem(approval, action, reason)
    if problem:
        raise ValidationError(problem)


def reason_problem(approval: Approval, action: str, reason: str) -> str | None:
    rule = approval.requireReason
    needed = rule == "always" or (rule == "cancel" and action in STOP_ACTIONS)
    if needed and not reason.strip():
        return f'reason is required to {action} this pause (the plan\'s requireReason is "{rule}")'
    return None


def refusal_for(
    approval: Approval, voter: Voter, action: str, group_members: GroupMembers | None = None
) -> str | None:
    """None if ``voter`` may cast ``action`` on ``approval``; else a sentence saying who may."""
    if voter.via == "email":
        if approval.quorum > 1 and action not in STOP_ACTIONS:
            return EMAIL_QUORUM_REFUSAL.format(quorum=approval.quorum)
        return None
    if voter.via == "direct" and approval.quorum > 1 and action not in STOP_ACTIONS:
        return DIRECT_QUORUM_REFUSAL.format(quorum=approval.quorum)
    if voter.via == "slack":
        if action in STOP_ACTIONS and voter.slack_user_id in get_settings().operator_ids():
            return None  # operators may always stop a run (/dr cancel), a paused one too
        return _slack_refusal(approval, voter, group_members)
    if _names_nobody(approval) or _principal_named(approval.approverPrincipals, voter):
        return None
    return f"Only {who_may(approval, voter.via)} may decide this pause."


def _principal_named(principals: list[str], voter: Voter) -> bool:
    """An API caller is named by its identity (an email entry only by a verified email); a direct
    invocation (which decides only at quorum 1, or cancels) by the ``decidedBy`` it wrote."""
    named = {principal_key(p) for p in principals}
    return (principal_key(voter.by) if voter.via == "direct" else voter.key) in named


def who_may(approval: Approval, via: str) -> str:
    """The people a refusal names, for the channel the refused vote came through."""
    if _names_nobody(approval):
        return "operators in Slack or signed-in API callers of this account"
    slack = ", ".join(f"<@{a}>" if a[0] in "UW" else f"<!subteam^{a}>" for a in approval.approvers)
    api = ", ".join(approval.approverPrincipals)
    if via == "slack":
        return f"this plan's approvers ({slack or 'none in Slack; through the API: ' + api})"
    return f"this plan's approverPrincipals ({api or 'none through the API; in Slack: ' + slack})"


def _names_nobody(approval: Approval) -> bool:
    return not approval.approvers and not approval.approverPrincipals


def _slack_refusal(approval: Approval, voter: Voter, group_members: GroupMembers | None) -> str | None:
    user = voter.slack_user_id
    if not user:
        return "This Slack request does not say which user sent it, so it cannot vote."
    if _names_nobody(approval):
        operators = get_settings().operator_ids()
        if user in operators:
            return None
        people = ", ".join(f"<@{u}>" for u in sorted(operators)) or "nobody (no operators are configured)"
        return f"Only operators may decide this pause: {people}."
    if user in approval.approvers:
        return None
    unresolved = []
    for group in (a for a in approval.approvers if a.startswith("S")):
        try:
            if group_members is not None and user in group_members(group):
                return None
        except GroupResolutionError as exc:
            unresolved.append(f"<!subteam^{group}> ({exc})")
        if group_members is None:
            unresolved.append(f"<!subteam^{group}> (user groups cannot be resolved here)")
    if unresolved:
        return (
            f"Only {who_may(approval, 'slack')} may decide this pause, and the membership of "
            f"{', '.join(unresolved)} could not be checked, so nobody is allowed through it right now."
        )
    return f"Only {who_may(approval, 'slack')} may decide this pause."


def names_caller(
    approvers: list[str], principals: list[str], caller: Caller, group_members: GroupMembers | None = None
) -> bool:
    """Whether a policy (a plan's ``approvers`` and ``approverPrincipals``) names ``caller``: a Slack
    user by id or as a member of a named user group (a group that cannot be read names nobody), an
    API caller by identity (an email entry only by a verified email), a direct caller by the
    principal it wrote. The one question behind "may this caller change the rules"
    (handlers/plans/policy_guard.py)."""
    if channel_of(caller) != "slack":
        return _principal_named(principals, voter_of(caller))
    if not caller.user_id:
        return False
    if caller.user_id in approvers:
        return True
    for group in (a for a in approvers if a.startswith("S")):
        try:
            if group_members is not None and caller.user_id in group_members(group):
                return True
        except GroupResolutionError:
            continue
    return False
