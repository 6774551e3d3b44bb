"""What a user's App Home shows, read through the shared services: the open pauses this user may
decide, the running executions and the last endings, in the accounts Slack channels are bound to
(``/dr account``, and the deployment's default account). Nothing of an account no channel is bound
to is read. A pause's buttons act through a channel bound to its account (the plan's own channel
when it is bound there), exactly as in that channel."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import access
from bot.blocks.executions import Pause, pause_of_execution
from handlers.account_context import Caller
from handlers.errors import NotFoundError
from handlers.models.execution import TERMINAL_STATUSES, Execution
from handlers.models.recovery_plan import RecoveryPlan
from handlers.services import channel_settings, executions, recovery_plans

READ_LIMIT = 200  # the newest executions read per account
RECENT = 10


@dataclass(frozen=True)
class Waiting:
    execution: Execution
    pause: Pause
    channel: str  # where its buttons act ("": no channel is bound to its account; no buttons)


@dataclass
class Home:
    waiting: list[Waiting] = field(default_factory=list)
    running: list[Execution] = field(default_factory=list)
    recent: list[Execution] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)


def gather(user_id: str) -> Home:
    home = Home()
    ended: list[Execution] = []
    for account, channels in sorted(channel_settings.bound_accounts().items()):
        home.accounts.append(account)
        caller = Caller(account_id=account, principal="slack-app-home", source="slack")
        plans: dict[str, RecoveryPlan | None] = {}
        for execution in newest(caller):
            if execution.status in TERMINAL_STATUSES:
                ended.append(execution)
                continue
            home.running.append(execution)
            plan = _plan(caller, execution.planId, plans)
            if execution.status == "PAUSED" and plan is not None:
                waiting = _waiting(user_id, execution, plan, channels)
                home.waiting += [waiting] if waiting else []
    home.recent = sorted(ended, key=lambda e: e.endTime or e.startTime, reverse=True)[:RECENT]
    return home


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


def _waiting(user_id: str, execution: Execution, plan: RecoveryPlan, channels: list[str]) -> Waiting | None:
    allowed, _ = access.is_decider(user_id, plan.approvers)
    pause = pause_of_execution(execution, sorted(access.decider_ids(plan.approvers)))
    if not allowed or pause is None:
        return None
    return Waiting(execution, pause, button_channel(plan, execution.accountId, channels))


def button_channel(plan: RecoveryPlan, account: str, channels: list[str]) -> str:
    """The plan's channel when it acts on the plan's account, else the first bound channel."""
    own = plan.slackChannelId
    if own and channel_settings.channel_account(own) == account:
        return own
    return channels[0] if channels else ""
