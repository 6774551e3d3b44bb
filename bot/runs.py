"""Starting a run from Slack (``/dr run`` and the recovery confirm button) and ``/dr check``:
readiness first; a refused start lists the failing checks and says how to force it. And what the
``/dr cancel`` confirm button carries: the execution, and the reason typed after it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.blocks.common import Reply, section
from bot.blocks.readiness import not_ready_reply
from bot.parsing import Command
from handlers.accounts.account_context import Caller
from handlers.core.errors import NotReadyError
from handlers.models.events import mode_label
from handlers.models.readiness import Check
from handlers.plans import recovery_plans
from handlers.runs import executions

if TYPE_CHECKING:
    from bot.identity import SlackUser


def run_value(plan_id: str, command: Command) -> str:
    """The confirm button's value: the plan id, with the run's options when it has any."""
    if not command.point_in_time and not command.force:
        return plan_id
    return json.dumps({"planId": plan_id, "pointInTime": command.point_in_time, "force": command.force})


def run_options(value: str) -> tuple[str, Command]:
    """What :func:`run_value` put in a confirm button (anything unreadable is a plain plan id)."""
    try:
        options = json.loads(value) if value.startswith("{") else {}
    except ValueError:
        options = {}
    if not isinstance(options, dict) or not options.get("planId"):
        return value, Command("run", target=value, recovery=True)
    command = Command(
        "run",
        target=str(options["planId"]),
        recovery=True,
        point_in_time=str(options.get("pointInTime") or ""),
        force=options.get("force") is True,
    )
    return command.target, command


def cancel_value(execution_id: str, reason: str) -> str:
    """The cancel confirm button's value: the execution id, with the reason when one was typed."""
    return json.dumps({"executionId": execution_id, "reason": reason}) if reason else execution_id


def cancel_options(value: str) -> tuple[str, str]:
    """What :func:`cancel_value` put in a confirm button: the execution id and the reason."""
    try:
        options = json.loads(value) if value.startswith("{") else {}
    except ValueError:
        options = {}
    if not isinstance(options, dict) or not options.get("executionId"):
        return value, ""
    return str(options["executionId"]), str(options.get("reason") or "")


def start_run(user: SlackUser, caller: Caller, plan_id: str, command: Command, *, is_drill: bool) -> Reply:
    """Start (readiness first); a NOT_READY refusal lists the failing checks and how to force."""
    try:
        execution = executions.start_execution(
            caller,
            plan_id,
            is_drill=is_drill,
            force=command.force,
            point_in_time=command.point_in_time or None,
        )
    except NotReadyError as exc:
        plan = recovery_plans.get_recovery_plan(caller, plan_id)
        mode = "drill" if is_drill else "recovery"
        at = f" at {command.point_in_time}" if command.point_in_time else ""
        force = f"{user.command} run {plan.planName} {mode}{at} force"
        return not_ready_reply(plan.planName, [Check.model_validate(c) for c in exc.checks], force)
    return started(user, execution.model_dump())


def started(user: SlackUser, execution: dict[str, object]) -> Reply:
    forced = " (forced past failing readiness checks)" if execution.get("forced") else ""
    when = f" from {execution['pointInTime']}" if execution.get("pointInTime") else ""
    text = (
        f"{user.principal} started a {mode_label(bool(execution['isDrill'])).lower()} of "
        f"{execution['planName']}{when}{forced}. "
        f"Progress: {user.command} status {execution['executionId']}"
    )
    return Reply(text, [section(text)], in_channel=True)
