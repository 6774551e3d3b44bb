"""Runs of throwaway plans in the shared e2e sandbox, for tests that turn faults on mid-run.

Each plan gets source servers no other group holds (a server belongs to one group per account),
its own notification address and a unique name, so a test finds its own emails and Slack messages
among everyone's. :class:`Runs` ends what a test left running and deletes its plans and groups, so
the servers are free again for the next test."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.e2e.conftest import RunningSandbox, http
from tests.e2e.waiting import emails, execution, slack_messages, wait_for, wait_until_finished

HEALTHY = {"slack": "ok", "sns": "ok", "drs": "ok", "failingServers": "fail"}
ALERT_SUBJECT = "[DRS] Slack notification failed"


@dataclass
class Plan:
    plan_id: str
    name: str
    email: str
    group_ids: list[str]


@dataclass
class Runs:
    sandbox: RunningSandbox
    plans: list[Plan] = field(default_factory=list)
    executions: list[str] = field(default_factory=list)

    def free_servers(self, count: int, *, on_premises: bool = False) -> list[str]:
        """``count`` source servers of the first account no group holds (``on_premises``: of those
        whose machines run on premises, ``/_sandbox/info`` ``onPremisesSourceServers``)."""
        account = self.sandbox.info["accounts"][0]
        groups = self.sandbox.api("GET", "/protection-groups").json()["items"]
        taken = {s for g in groups for s in g["sourceServerIds"]} | set(
            self.sandbox.info["failingSourceServers"] + self.sandbox.info.get("unhealthySourceServers", [])
        )
        pool = self.sandbox.info["onPremisesSourceServers" if on_premises else "sourceServers"][account]
        free = [s for s in pool if s not in taken]
        assert len(free) >= count, f"only {len(free)} unclaimed source servers left"
        return free[:count]

    def plan(
        self, waves: list[list[str]], *, pause_before: int | None = None, slack: bool = True, **fields: Any
    ) -> Plan:
        """A plan of one group per wave (``waves``: each wave's servers), pausing before wave
        ``pause_before``, with its own email subscriber and (``slack``) the sandbox channel;
        ``fields``: more plan fields (e.g. ``onWaveFailure``)."""
        tag = uuid.uuid4().hex[:8]
        group_ids = []
        for n, servers in enumerate(waves, start=1):
            body = {"groupName": f"faults {tag} wave {n}", "sourceServerIds": servers}
            created = self.sandbox.api("POST", "/protection-groups", body)
            assert created.status == 201, created.body
            group_ids.append(created.json()["groupId"])
        body: dict[str, Any] = {
            "planName": f"faults {tag}",
            "notificationEmail": f"faults-{tag}@example.com",
            "waves": [
                {"waveNumber": n, "protectionGroupId": g, "pauseBeforeExecution": n == pause_before}
                for n, g in enumerate(group_ids, start=1)
            ],
            **fields,
        }
        if slack:
            body["slackChannelId"] = self.sandbox.info["slackChannelId"]
        created = self.sandbox.api("POST", "/recovery-plans", body)
        assert created.status == 201, created.body
        plan = Plan(created.json()["planId"], body["planName"], body["notificationEmail"], group_ids)
        self.plans.append(plan)
        return plan

    def start(self, plan: Plan, *, force: bool = False, drill: bool = True) -> str:
        body = {"planId": plan.plan_id, "isDrill": drill, **({"force": True} if force else {})}
        started = self.sandbox.api("POST", "/executions", body)
        assert started.status == 201, started.body
        execution_id = str(started.json()["executionId"])
        self.executions.append(execution_id)
        return execution_id

    def clean_up(self) -> None:
        for execution_id in self.executions:
            if execution(self.sandbox, execution_id)["status"] in ("RUNNING", "PAUSED"):
                body = {"reason": "e2e clean-up"}
                self.sandbox.api("POST", f"/executions/{execution_id}/cancel", body)
                wait_until_finished(self.sandbox, execution_id)
        for plan in self.plans:
            self.sandbox.api("DELETE", f"/recovery-plans/{plan.plan_id}")
            for group_id in plan.group_ids:
                self.sandbox.api("DELETE", f"/protection-groups/{group_id}")


def set_faults(sandbox: RunningSandbox, **faults: str) -> None:
    answer = http("POST", sandbox.info["faultsUrl"], faults)
    assert answer.status == 200 and answer.json().items() >= faults.items(), answer.body


def wait_for_status(sandbox: RunningSandbox, execution_id: str, status: str) -> dict[str, Any]:
    return wait_for(
        lambda: (e := execution(sandbox, execution_id))["status"] == status and e,
        25,
        f"execution {execution_id} {status}",
    )


def mails_to(sandbox: RunningSandbox, address: str, subject_part: str = "") -> list[dict[str, Any]]:
    return [m for m in emails(sandbox) if m["to"] == address and subject_part in m["subject"]]


def slack_alerts(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    """Alerts the notifier sent to the operational-alerts topic (the sandbox subscribes an email)."""
    return [
        m for m in emails(sandbox) if m["subject"] == ALERT_SUBJECT and "operational-alerts" in m["topicArn"]
    ]


def run_messages(sandbox: RunningSandbox, plan: Plan) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The run's parent messages in the channel, and the replies in their threads."""
    messages = [m for m in slack_messages(sandbox) if m["kind"] == "message"]
    parents = [m for m in messages if not m["threadTs"] and m["text"].startswith(f"Drill {plan.name}:")]
    threads = {p["ts"] for p in parents}
    return parents, [m for m in messages if m["threadTs"] in threads]


def log_records(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    """The JSON lines of the sandbox log: the functions' structured logs and their EMF metrics."""
    records = []
    for line in sandbox.log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


def metric_count(sandbox: RunningSandbox, name: str) -> int:
    """How many times the functions emitted the EMF metric ``name`` (CloudWatch would alarm on it)."""
    return sum(len(r[name]) for r in log_records(sandbox) if "_aws" in r and name in r)


def iso_to_epoch(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def slack_local(sandbox: RunningSandbox, what: str, body: dict[str, Any]) -> Any:
    """What the /slack-local page sends (``command``, ``action``): signed and delivered to the bot."""
    page = sandbox.info["slackMessagesUrl"].removesuffix("/messages.json")
    return http("POST", f"{page}/{what}", body)


def button(message: dict[str, Any], action_id: str, execution_id: str) -> dict[str, str] | None:
    """The ``blockId``/``value`` of ``message``'s button ``action_id`` for ``execution_id``."""
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id and execution_id in element.get("value", ""):
                return {"blockId": block.get("block_id", ""), "value": element["value"]}
    return None


def lost_event(sandbox: RunningSandbox, plan_id: str, event_type: str) -> bool:
    """Whether the log says the plan's ``event_type`` event could not be published (after retries)."""
    return any(
        r.get("message") == "notification failed"
        and r.get("planId") == plan_id
        and r.get("eventType") == event_type
        for r in log_records(sandbox)
    )


def drs_jobs(sandbox: RunningSandbox, execution_id: str) -> list[dict[str, Any]]:
    """The simulated DRS jobs the execution started (``drsStateUrl``, tagged with its id)."""
    state = http("GET", sandbox.info["drsStateUrl"]).json()
    jobs = state[sandbox.info["accounts"][0]]["jobs"]
    return [j for j in jobs if j.get("tags", {}).get("drs-chatops:execution") == execution_id]
