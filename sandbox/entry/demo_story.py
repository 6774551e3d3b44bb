"""The demo story, step by step, over HTTP only: the REST API, signed Slack requests to
``/slack/events`` (as ``/slack-local`` sends them), the outbox, the email links."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

from sandbox.data import apigw, slack_requests
from sandbox.entry.demo_timeline import Timeline

T = TypeVar("T")
EMAIL = "dr-demo@example.com"
PLAN = "Demo: payments failover"
TIERS = ("Demo database", "Demo application", "Demo web")
HOOK_FUNCTION = "drs-chatops-hook-sandbox"  # the sandbox's hook function (sandbox/runtime/hook_function.py)
# Wave 1's gate in the drill: the wave completes when the function says the database answers.
PASSING_HOOK = {
    "name": "database answers",
    "type": "lambda",
    "functionName": HOOK_FUNCTION,
    "payload": {"database": "payments"},
    "timeoutMinutes": 2,
}


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
    if data is not None and not request.has_header("Content-type"):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local sandbox
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Story:
    def __init__(self, info: dict[str, Any], timeline: Timeline, step_timeout: float = 45.0) -> None:
        self.info = info
        self.timeline = timeline
        self.timeout = step_timeout
        self.slack = bool(info["functions"].get("bot"))
        self.channel = info.get("slackChannelId") or "C0SANDBOX"
        self.point_in_time = ""  # set when the drill runs from a point in time

    # -- helpers ---------------------------------------------------------------------------------
    def api(self, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200,)) -> Any:
        headers = {apigw.ACCOUNT_HEADER: self.info["accounts"][0]}
        status, raw = http(method, self.info["apiUrl"] + path, body, headers)
        if status not in expect:
            raise AssertionError(f"{method} /api{path} answered {status}: {raw[:300]!r}")
        return json.loads(raw)

    def wait(self, what: str, check: Callable[[], T | None]) -> T:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            time.sleep(0.3)
        raise AssertionError(f"waited {self.timeout:.0f} s for {what}")

    def execution(self) -> dict[str, Any]:
        return dict(self.api("GET", f"/executions/{self.execution_id}"))

    def emails(self) -> list[dict[str, Any]]:
        return list(json.loads(http("GET", self.info["outboxUrl"] + ".json")[1]))

    def messages(self) -> list[dict[str, Any]]:
        return list(json.loads(http("GET", self.info["slackMessagesUrl"])[1]))

    def slash(self, text: str) -> dict[str, Any]:
        """``/dr <text>`` as the sandbox operator, signed as Slack signs it."""
        body = slack_requests.slash_command(
            text=text,
            user_id=self.info["slackUsers"]["operator"],
            user_name="sandbox-operator",
            channel=self.channel,
            response_url=f"{self.info['slackResponseUrl']}/{self.channel}/-/demo",
        )
        headers = slack_requests.signed_headers(self.info["slackSigningSecret"], body)
        status, raw = http("POST", self.info["slackEventsUrl"], body.encode(), headers)
        if status != 200:
            raise AssertionError(f"/slack/events answered {status}: {raw[:300]!r}")
        return json.loads(raw) if raw.strip() else {}

    # -- the story -------------------------------------------------------------------------------
    def play(self) -> None:
        self.create_groups_and_plan()
        self.run_and_finish()

    def run_and_finish(self) -> None:
        if self.slack:
            self.run_from_slack()
        else:
            self.timeline.skip(
                "run from Slack", "the bot is not deployed in this sandbox; starting over the API"
            )
            self.execution_id = self.api("POST", "/executions", {"planId": self.plan_id}, (200, 201, 202))[
                "executionId"
            ]
        self.see_the_pause()
        self.open_the_email_link()
        self.resume_and_finish()

    def create_groups_and_plan(self) -> None:
        account = self.info["accounts"][0]
        failing = set(self.info["failingSourceServers"])
        servers = [s for s in self.info["sourceServers"][account] if s not in failing]
        with self.timeline.step("create three protection groups over the REST API") as notes:
            groups = [
                self.api(
                    "POST",
                    "/protection-groups",
                    {"groupName": name, "sourceServerIds": servers[3 * i : 3 * i + 3]},
                    (201,),
                )
                for i, name in enumerate(TIERS)
            ]
            notes.append(", ".join(f"{g['groupName']} ({len(g['sourceServerIds'])} servers)" for g in groups))
            self.groups = {str(g["groupName"]): str(g["groupId"]) for g in groups}
        with self.timeline.step(
            "create a three-wave plan, pausing before wave 2, with Slack and email, "
            f"wave 1 gated by an after-hook (lambda {HOOK_FUNCTION})"
        ) as notes:
            waves = [
                {"waveNumber": n, "protectionGroupId": g["groupId"], "pauseBeforeExecution": n == 2}
                for n, g in enumerate(groups, start=1)
            ]
            waves[0]["hooks"] = {"after": [PASSING_HOOK]}
            body = {
                "planName": PLAN,
                "waves": waves,
                "notificationEmail": EMAIL,
                "slackChannelId": self.channel,
                "targetRtoMinutes": 30,  # the completion email and Slack lead with RTO against it
            }
            plan = self.api("POST", "/recovery-plans", body, (201,))
            self.plan_id = plan["planId"]
            notes.append(f"plan {plan['planId']} in account {plan['accountId']}, channel {self.channel}")
        with self.timeline.step(f"the subscription confirmation email reaches {EMAIL}"):
            self.wait("the confirmation email", lambda: [m for m in self.emails() if m["to"] == EMAIL])

    def run_from_slack(self) -> None:
        with self.timeline.step(f"/dr account {self.info['accounts'][0]} (bind the channel to the account)"):
            self.slash(f"account {self.info['accounts'][0]}")
            self.wait(
                "the bot's answer", lambda: [m for m in self.messages() if "now acts on account" in m["text"]]
            )
        command = f"run {PLAN} drill at 1h ago"
        with self.timeline.step(f"/dr {command} (signed slash command, as the sandbox operator)") as notes:
            self.slash(command)
            self.point_in_time = "1h ago"
            notes.append(f"Slack: {self.started_in_slack('drill')}")

    def started_in_slack(self, mode: str, seen: int = 0) -> str:
        """Wait for the bot's "… started a <mode> …" (among the messages after the first ``seen``),
        take the execution id it names; its text."""
        needle = f"started a {mode}"
        started = self.wait(
            f"'{needle}' in Slack", lambda: [m for m in self.messages()[seen:] if needle in m["text"]]
        )[0]
        match = re.search(r"status (\S+)", started["text"])
        if not match:
            raise AssertionError(f"no execution id in {started['text']!r}")
        self.execution_id = match.group(1)
        return str(started["text"])

    def see_the_pause(self) -> None:
        with self.timeline.step("the execution pauses before wave 2") as notes:
            execution = self.wait("PAUSED", lambda: (e := self.execution())["status"] == "PAUSED" and e)
            waves = ", ".join(f"{w['waveNumber']}:{w['status']}" for w in execution["waves"])
            notes.append(f"execution {self.execution_id}: waves {waves}")
        if self.slack:
            with self.timeline.step("Slack shows the pause with Resume / Cancel buttons") as notes:
                self.pause_message = self.wait("the pause message", self._pause_message)
                notes.append(f"message ts {self.pause_message['ts']}: {self.pause_message['text']}")
        with self.timeline.step(f"the pause email reaches {EMAIL} with Resume / Cancel links") as notes:
            mail = self.wait("the pause email", lambda: self._mail("action=resume"))
            self.resume_link = re.findall(r"https?://\S+action=resume\S+", mail["body"])[0]
            notes.append(f"subject: {mail['subject']}")

    def _pause_message(self) -> dict[str, Any] | None:
        for message in self.messages():
            actions = [
                e.get("action_id")
                for b in message["blocks"]
                if b.get("type") == "actions"
                for e in b.get("elements", [])
            ]
            if message["kind"] == "message" and {"approval_resume", "approval_cancel"} <= set(actions):
                return message
        return None

    def _mail(self, needle: str) -> dict[str, Any] | None:
        found = [
            m
            for m in self.emails()
            if m["to"] == EMAIL and self.execution_id in m["body"] and needle in m["body"]
        ]
        return found[-1] if found else None

    def open_the_email_link(self) -> None:
        with self.timeline.step(
            "open the email's Resume link: a confirmation page that changes nothing"
        ) as notes:
            status, page = http("GET", self.resume_link)
            if status != 200 or b"<form" not in page:
                raise AssertionError(f"GET {self.resume_link} answered {status} without a form")
            if self.execution()["status"] != "PAUSED":
                raise AssertionError("opening the link changed the execution")
            notes.append(
                f"GET {self.resume_link.split('?')[0]}?action=resume&approval=... -> 200, still PAUSED"
            )

    def resume_and_finish(self) -> None:
        approval = urllib.parse.parse_qs(urllib.parse.urlsplit(self.resume_link).query)["approval"][0]
        with self.timeline.step("confirm: POST the decision, the result page says it resumed") as notes:
            form = urllib.parse.urlencode({"action": "resume", "approval": approval}).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            status, page = http("POST", self.resume_link.split("?")[0], form, headers)
            if status != 200 or b"resumed" not in page.lower():
                raise AssertionError(f"POST answered {status} without 'resumed': {page[:300]!r}")
            notes.append("POST /execution-callback -> 200, 'resumed'")
        with self.timeline.step("the execution finishes: SUCCEEDED, every wave COMPLETED") as notes:
            final = self.wait("the end", self._ended_execution)
            if final["status"] != "SUCCEEDED":
                raise AssertionError(f"the execution ended {final['status']}: {final.get('statusReason')}")
            notes.append(", ".join(f"wave {w['waveNumber']} {w['status']}" for w in final["waves"]))
        self.the_gate_passed(final)
        with self.timeline.step(f"the completion email reaches {EMAIL}") as notes:
            mail = self.wait("the completion email", lambda: self._completion_mail())
            notes.append(f"subject: {mail['subject']}")
        if self.slack:
            with self.timeline.step(
                "the Slack pause message is updated: buttons gone, who decided shown"
            ) as notes:
                ts = self.pause_message["ts"]
                updated = self.wait("the updated pause message", lambda: self._decided(ts))
                notes.append(f"message ts {ts}: {' / '.join(_texts(updated))}")

    def the_gate_passed(self, final: dict[str, Any]) -> None:
        """Wave 1's after-hook: one PASSED run on the record and its result line in the run's thread."""
        name = PASSING_HOOK["name"]
        with self.timeline.step(
            f"wave 1's after-hook '{name}' PASSED: on the record and in the Slack thread"
        ) as notes:
            runs = final["waves"][0].get("hooks") or []
            if [(r["name"], r["phase"], r["attempt"], r["status"]) for r in runs] != [
                (name, "after", 1, "PASSED")
            ]:
                raise AssertionError(f"wave 1's hook runs: {json.dumps(runs)[:400]}")
            notes.append(f"record: {runs[0]['phase']} hook {name} attempt 1 PASSED: {runs[0]['message']}")
            if self.slack:
                line = self.wait(
                    "the hook's result in the thread", lambda: self._thread_line(f"hook {name}", "PASSED")
                )
                notes.append(f"thread: {line}")

    def _thread_line(self, *needles: str) -> str | None:
        """The text of the newest reply in a thread (of this execution's channel) holding every needle."""
        for message in reversed(self.messages()):
            text = str(message.get("text", ""))
            if message.get("threadTs") and all(n in text for n in needles):
                return text
        return None

    def _ended_execution(self) -> dict[str, Any] | None:
        execution = self.execution()
        return None if execution["status"] in ("RUNNING", "PAUSED") else execution

    def _cleanup_done(self) -> dict[str, Any] | None:
        cleanup = self.execution().get("cleanup") or {}
        return cleanup if cleanup.get("status") == "COMPLETED" else None

    def _live_instances(self) -> list[str]:
        state = json.loads(http("GET", self.info["drsStateUrl"])[1])[self.info["accounts"][0]]
        ours = {
            j["jobID"]
            for j in state["jobs"]
            if j.get("tags", {}).get("drs-chatops:execution") == self.execution_id
        }
        return [
            i["recoveryInstanceID"]
            for i in state["recoveryInstances"]
            if i.get("jobID") in ours and i["state"] != "TERMINATED"
        ]

    def _completion_mail(self) -> dict[str, Any] | None:
        found = [m for m in self.emails() if m["to"] == EMAIL and "drill completed" in m["subject"].lower()]
        return found[-1] if found else None

    def _decided(self, ts: str) -> dict[str, Any] | None:
        message = next((m for m in self.messages() if m["ts"] == ts), None)
        if message is None:
            raise AssertionError(f"the pause message {ts} is gone")
        if any(b.get("type") == "actions" for b in message["blocks"]):
            return None
        return message if any("Resumed by" in t for t in _texts(message)) else None


def _texts(message: dict[str, Any]) -> list[str]:
    texts = [message.get("text", "")]
    for block in message.get("blocks", []):
        texts += [str((block.get("text") or {}).get("text", ""))]
        texts += [str(e.get("text", "")) for e in block.get("elements", []) if isinstance(e, dict)]
    return [t for t in texts if t]
