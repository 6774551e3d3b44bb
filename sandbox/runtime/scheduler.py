"""EventBridge Scheduler, run: moto stores schedules but never fires them, so the sandbox does.

A runner thread looks at the schedules of one group every second; a one-time schedule whose
``at(yyyy-mm-ddThh:mm:ss)`` time (UTC, as handlers/aws/schedules.py writes them) has come is deleted
first (``ActionAfterCompletion: DELETE``; deleting first also means a slow invocation is never
fired twice) and its target - a Lambda function of the sandbox - invoked asynchronously through
the sandbox's Lambda workers with the schedule's JSON ``Input``, as Scheduler does. Schedules of
other kinds (``rate``/``cron``) are left alone: the product makes none. The group itself, which
moto's CloudFormation cannot create, is created here."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sandbox.runtime.lambdas import LambdaRuntime

log = logging.getLogger("sandbox.runtime.scheduler")
INTERVAL_SECONDS = 1.0


def due(expression: str, now: datetime) -> bool:
    """Whether the one-time ``at(...)`` ``expression`` (UTC) is due at ``now``."""
    if not (expression.startswith("at(") and expression.endswith(")")):
        return False
    try:
        moment = datetime.fromisoformat(expression[3:-1]).replace(tzinfo=UTC)
    except ValueError:
        return False
    return moment <= now


class SchedulerRunner:
    def __init__(self, client: Any, runtime: LambdaRuntime, group: str) -> None:
        self._client, self._runtime, self.group = client, runtime, group
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.fired: list[str] = []  # names of the schedules run so far

    def start(self) -> None:
        with contextlib.suppress(self._client.exceptions.ConflictException):  # already there
            self._client.create_schedule_group(Name=self.group)
        self._thread = threading.Thread(target=self._run, name="sandbox-scheduler", daemon=True)
        self._thread.start()
        log.info("EventBridge Scheduler: running one-time schedules of group %s", self.group)

    def stop(self) -> None:
        """Stop firing. A tick still waiting on the embedded AWS is not waited for long: the thread is
        a daemon, and nothing it would still do matters once the sandbox stops."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(1)

    def _run(self) -> None:
        while not self._stopped.wait(INTERVAL_SECONDS):
            try:
                self.tick(datetime.now(UTC))
            except (ClientError, BotoCoreError, ValueError, KeyError) as exc:  # e.g. a schedule deleted
                # between the list and the get, or one another tool wrote: the next tick looks again
                log.warning(
                    "scheduler tick failed (%s: %s); trying again in a second", type(exc).__name__, exc
                )

    def tick(self, now: datetime) -> list[str]:
        """Fire every schedule of the group due at ``now``; their names."""
        fired = []
        for name in self._names():
            schedule = self._client.get_schedule(Name=name, GroupName=self.group)
            if due(str(schedule.get("ScheduleExpression", "")), now):
                self._fire(schedule)
                fired.append(name)
        return fired

    def _names(self) -> list[str]:
        names: list[str] = []
        for page in self._client.get_paginator("list_schedules").paginate(GroupName=self.group):
            names += [str(s["Name"]) for s in page.get("Schedules", [])]
        return names

    def _fire(self, schedule: dict[str, Any]) -> None:
        """Delete, then invoke. A one-time schedule fires once; with ``ActionAfterCompletion: NONE``
        AWS would keep it (spent), the sandbox deletes it all the same (the product always asks
        for DELETE, which the integration tests check)."""
        name, target = str(schedule["Name"]), schedule["Target"]
        self._client.delete_schedule(Name=name, GroupName=self.group)
        event = json.loads(target.get("Input") or "{}")
        self._runtime.invoke_async(str(target["Arn"]), event)
        self.fired.append(name)
        log.info("schedule %s fired: invoked %s", name, str(target["Arn"]).rpartition(":")[2])
