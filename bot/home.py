"""What a user's App Home shows, read through the shared services: the open pauses this user may
decide, the running executions, the recoveries awaiting failback and the last endings, in the
accounts of the Slack channels this user is a member of (each channel's ``/dr account``, or the
deployment's default account when it has none). Nothing of any other account is read. A pause's
buttons act through one of the user's channels bound to its account (the plan's own channel when it
is one of them), exactly as there; who may decide is the pause's own policy (the one it opened
with), as in that channel."""

from __future__ import annotations

from collections.abc import Iterable

from bot import access
from bot.blocks.executions import pause_of_execution
from bot.blocks.home import HOMEBOUND_STATES, Home, Waiting
from bot.identity import SlackUser, person_for
from handlers.accounts import channel_settings
from handlers.accounts.account_context import Caller
from handlers.core.errors import NotFoundError
from handlers.models.approval import OFFERS
from handlers.models.execution import TERMINAL_STATUSES, Execution
from handlers.models.recovery_plan import RecoveryPlan
from handlers.pauses.approvals import pending_approval
from handlers.plans import recovery_plans
from handlers.runs import executions

READ_LIMIT = 200  # the newest executions read per account
RECENT = 10


def gather(user_id: str, member_of: Iterable[str]) -> Home:
    """``user_id``'s home: only the accounts of the channels in ``member_of`` (the channels Slack
    says the user is a member of)."""
    home = Home()
    ended: list[Execution] = []
    for account, channels in sorted(channel_settings.accounts_of_channels(member_of).items()):
        home.accounts.append(account)
        caller = Caller(account_id=account, principal="slack-app-home", source="slack")
        plans: dict[str, RecoveryPlan | None] = {}
        for execution in newest(caller):
            if execution.status in TERMINAL_STATUSES:
                ended.append(execution)
                continue
            home.running.append(execution)
            if execution.status == "PAUSED":
                channel = button_channel(_plan(caller, execution.planId, plans), channels)
                waiting = _waiting(user_id, execution, channel)
                home.waiting += [waiting] if waiting else []
    home.recent = sorted(ended, key=lambda e: e.endTime or e.startTime, reverse=True)[:RECENT]
    home.homebound = [e for e in ended if awaits_failback(e)]
    return home


def awaits_failback(execution: Execution) -> bool:
    """A RECOVERY that succeeded and has not started failing back (docs/failback.md): production
    still runs in the recovery region."""
    status = execution.failback.status if execution.failback else ""
    return execution.mode == "RECOVERY" and execution.status == "SUCCEEDED" and status in HOMEBOUND_STATES


def newest(caller: Caller) -> list[Execution]:
    found: list[Execution] = []
    token: str | None = None
    while len(found) < READ_LIMIT:
        page = executions.list_executions(caller, limit=100, next_token=token)
        found += page.items
        token = page.next_token
        if not token:
            break
    return found[:READ_LIMIT]


def _plan(caller: Caller, plan_id: str, plans: dict[str, RecoveryPlan | None]) -> RecoveryPlan | None:
    if plan_id not in plans:
        try:
            plans[plan_id] = recovery_plans.get_recovery_plan(caller, plan_id)
        except NotFoundError:
            plans[plan_id] = None
    return plans[plan_id]


def _waiting(user_id: str, execution: Execution, channel: str) -> Waiting | None:
    """The open pause, if this user may decide it through ``channel`` by the pause's own policy."""
    approval = pending_approval(execution)
    if approval is None:
        return None
    caller = person_for(SlackUser(user_id=user_id, user_name="", channel_id=channel))
    pause = pause_of_execution(execution, access.pause_deciders(approval))
    if pause is None or access.pause_refusal(caller, approval, OFFERS[approval.kind][0]):
        return None
    return Waiting(execution, pause, channel)


def button_channel(plan: RecoveryPlan | None, channels: list[str]) -> str:
    """The plan's channel when it is one of ``channels`` (the user's, acting on the plan's account),
    else the first of them."""
    own = plan.slackChannelId if plan else ""
    return own if own in channels else channels[0]
