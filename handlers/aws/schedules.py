"""One-time schedules that run an orchestrator task later: EventBridge Scheduler ``at(...)``
schedules in the deployment's schedule group (``SCHEDULE_GROUP_NAME``), in UTC, fired exactly at
their time (``FlexibleTimeWindow`` off) and deleted by Scheduler once they have run
(``ActionAfterCompletion: DELETE``). The target is the orchestrator function
(``ORCHESTRATOR_FUNCTION_ARN``), invoked by the scheduler role (``SCHEDULER_ROLE_ARN``: it may
invoke that function and nothing else) with the task as its JSON input.

Names are deterministic (e.g. ``cleanup-<executionId>``): scheduling a name again replaces the
schedule, so a postponed action never runs twice. Used by drill cleanup
(handlers/cleanup/cleanup_schedule.py); reusable for any later one-time action."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from handlers import aws
from handlers.core.observability import logger
from handlers.core.settings import get_settings
from handlers.core.timestamps import format_iso

NAME = re.compile(r"^[0-9a-zA-Z_.-]{1,64}$")  # what Scheduler accepts as a schedule name


def expression(at: datetime) -> str:
    """``at(yyyy-mm-ddThh:mm:ss)`` in UTC (Scheduler takes whole seconds; a fraction rounds up, so
    the schedule never fires before ``at``)."""
    whole = at.replace(microsecond=0)
    if whole < at:
        whole += timedelta(seconds=1)
    return f"at({format_iso(whole)[:19]})"


def schedule_at(name: str, at: datetime, task: dict[str, Any]) -> None:
    """Run orchestrator ``task`` (its JSON payload) once at ``at``, replacing a schedule of that name."""
    assert NAME.match(name), f"not a schedule name: {name!r}"
    settings = get_settings()
    request = {
        "Name": name,
        "GroupName": settings.require("schedule_group_name"),
        "ScheduleExpression": expression(at),
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": "DELETE",
        "State": "ENABLED",
        "Target": {
            "Arn": settings.require("orchestrator_function_arn"),
            "RoleArn": settings.require("scheduler_role_arn"),
            "Input": json.dumps(task),
        },
    }
    client = aws.client("scheduler")
    try:
        client.create_schedule(**request)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConflictException":
            raise
        cancel(name)  # the same name again: the new time replaces the old one
        client.create_schedule(**request)
    logger.info("schedule set", extra={"schedule": name, "at": request["ScheduleExpression"]})


def cancel(name: str) -> bool:
    """Delete the schedule ``name``; False if there was none (it ran, or never existed)."""
    try:
        aws.client("scheduler").delete_schedule(
            Name=name, GroupName=get_settings().require("schedule_group_name")
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return False
        raise
    return True


def scheduled_time(name: str) -> str | None:
    """The ``at(...)`` expression of schedule ``name``, or None if there is none."""
    try:
        found = aws.client("scheduler").get_schedule(
            Name=name, GroupName=get_settings().require("schedule_group_name")
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
    return str(found.get("ScheduleExpression", ""))
