"""The demo's failing gate: a one-wave drill whose after-hook fails (the sandbox's hook function,
payload ``{"fail": true}``). The run pauses as ``hook_failed``; the operator clicks Retry in Slack
(the hook runs again, never the servers: still failing, it pauses again); the pause email's Skip
link is opened (a confirmation page that changes nothing) and confirmed (POST); the run goes on
without the hook and SUCCEEDS. The record holds attempt 1 FAILED and attempt 2 SKIPPED, and DRS
launched the wave's server once.

Over HTTP only, as :mod:`sandbox.entry.demo_story`: the REST API, ``/slack-local``, the outbox, the
email links and ``/_sandbox/drs-state``."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

from sandbox.entry.demo_recovery import TwoPersonRecovery
from sandbox.entry.demo_story import EMAIL, HOOK_FUNCTION, http

GATED_PLAN = "Demo: gated wave"
FAILING_HOOK = {
    "name": "smoke test",
    "type": "lambda",
    "functionName": HOOK_FUNCTION,
    "payload": {"fail": True},  # the sandbox's hook function answers FAILED
    "timeoutMinutes": 2,
}
RETRY = "wave_retry"  # the failed hook's Retry button (bot/ids.py WAVE_RETRY): the hook again


class FailingHook(TwoPersonRecovery):
    def failing_hook(self) -> None:
        self._gate_fails()
        if self.slack:
            self._retried_from_slack()
        else:
            self.timeline.skip("Retry the failed hook from Slack", "the bot is not deployed in this sandbox")
            self.api("POST", f"/executions/{self.execution_id}/retry", {}, (200, 202))
            self.wait("attempt 2 FAILED and paused again", lambda: self._paused_after(2))
        self._skipped_by_email()
        self._went_on_without_it()

    # -- the scenes ------------------------------------------------------------------------------
    def _gate_fails(self) -> None:
        account = self.info["accounts"][0]
        not_for_us = set(self.info["failingSourceServers"]) | set(
            self.info.get("onPremisesSourceServers", {}).get(account, [])
        )
        # The first healthy EC2-origin server after the drill's nine: a group of its own.
        server = [s for s in self.info["sourceServers"][account] if s not in not_for_us][3 * len(self.groups)]
        name = FAILING_HOOK["name"]
        with self.timeline.step(
            f"a one-wave plan gated by a failing after-hook '{name}' (lambda {HOOK_FUNCTION}, payload "
            '{"fail": true}): the server launches, the hook FAILs, the run pauses (hook_failed)'
        ) as notes:
            group = self.api(
                "POST",
                "/protection-groups",
                {"groupName": "Demo smoke-tested", "sourceServerIds": [server]},
                (201,),
            )
            wave = {
                "waveNumber": 1,
                "protectionGroupId": group["groupId"],
                "hooks": {"after": [FAILING_HOOK]},
            }
            body = {
                "planName": GATED_PLAN,
                "waves": [wave],
                "notificationEmail": EMAIL,
                "slackChannelId": self.channel,
            }
            plan = self.api("POST", "/recovery-plans", body, (201,))
            started = self.api("POST", "/executions", {"planId": plan["planId"]}, (200, 201, 202))
            self.execution_id = started["executionId"]
            paused = self.wait("the hook_failed pause, attempt 1", lambda: self._paused_after(1))
            if paused["pendingApproval"].get("failedHook") != name:
                raise AssertionError(f"the pause names {paused['pendingApproval'].get('failedHook')!r}")
            self.launch_jobs = self._launch_jobs()
            if len(self.launch_jobs) != 1:
                raise AssertionError(f"expected one launch job, DRS has {self.launch_jobs}")
            run = self._runs(paused)[0]
            notes.append(f"execution {self.execution_id}, DRS job {self.launch_jobs[0]}")
            notes.append(f"record: after hook {name} attempt 1 {run['status']}: {run['message']}")

    def _retried_from_slack(self) -> None:
        with self.timeline.step(
            "Slack shows the failed hook's pause with Retry / Skip / Cancel; @operator clicks Retry: "
            "the hook runs again (attempt 2), still FAILED, paused again"
        ) as notes:
            self.pause = self.wait("the failed hook's pause message", lambda: self._with_button(0, RETRY))
            notes.append(f"Slack: {self.pause[0]['text']}")
            self.vote("operator", "the payments database was still starting")
            paused = self.wait("attempt 2 FAILED and paused again", lambda: self._paused_after(2))
            run = self._runs(paused)[1]
            notes.append(
                f"record: attempt 2 {run['status']}, requested by {run.get('requestedBy')}: {run['message']}"
            )
            notes.append(f"thread: {self.wait('attempt 2 in the thread', self._attempt_2_line)}")

    def _skipped_by_email(self) -> None:
        with self.timeline.step(
            f"the second pause's email reaches {EMAIL}; its Skip link opens a confirmation page "
            "that changes nothing"
        ) as notes:
            mails = self.wait("two hook_failed pause emails", lambda: self._skip_mails(2))
            link = re.findall(r"https?://\S+action=skip\S+", mails[-1]["body"])[0]
            status, page = http("GET", link)
            if status != 200 or b"<form" not in page:
                raise AssertionError(f"GET the Skip link answered {status} without a form")
            if self.execution()["status"] != "PAUSED":
                raise AssertionError("opening the link changed the execution")
            notes.append(f"subject: {mails[-1]['subject']}")
        with self.timeline.step("confirm: POST the Skip decision, the result page says it skipped") as notes:
            approval = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["approval"][0]
            form = urllib.parse.urlencode({"action": "skip", "approval": approval}).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            status, page = http("POST", link.split("?")[0], form, headers)
            if status != 200 or b"skipped" not in page.lower():
                raise AssertionError(f"POST answered {status} without 'skipped': {page[:300]!r}")
            notes.append("POST /execution-callback -> 200, 'skipped'")

    def _went_on_without_it(self) -> None:
        name = FAILING_HOOK["name"]
        with self.timeline.step(
            f"the run goes on without the hook: SUCCEEDED; '{name}' attempt 1 FAILED, attempt 2 "
            "SKIPPED; the server was launched once"
        ) as notes:
            final = self.wait("the end", self._ended_execution)
            runs = self._runs(final)
            statuses = [(r["attempt"], r["status"]) for r in runs]
            if final["status"] != "SUCCEEDED" or statuses != [(1, "FAILED"), (2, "SKIPPED")]:
                raise AssertionError(f"ended {final['status']} with hook runs {json.dumps(runs)[:400]}")
            jobs = self._launch_jobs()
            if jobs != self.launch_jobs:
                raise AssertionError(f"DRS jobs were {self.launch_jobs}, now {jobs}")
            wave = final["waves"][0]
            notes.append(f"wave 1 {wave['status']}, retries {wave.get('retries', 0)}: {wave.get('message')}")
            notes.append(f"attempt 2: {runs[1]['message']}")
            notes.append(f"DRS launch jobs of the execution: {len(jobs)} ({jobs[0]})")

    # -- helpers ---------------------------------------------------------------------------------
    def _runs(self, execution: dict[str, Any]) -> list[dict[str, Any]]:
        return [r for r in execution["waves"][0].get("hooks") or [] if r["name"] == FAILING_HOOK["name"]]

    def _paused_after(self, attempt: int) -> dict[str, Any] | None:
        """The execution once the hook's ``attempt`` FAILED and the run paused on it."""
        execution = self.execution()
        pause = execution.get("pendingApproval") or {}
        runs = self._runs(execution)
        done = len(runs) == attempt and runs[-1]["status"] == "FAILED"
        return (
            execution
            if done and execution["status"] == "PAUSED" and pause.get("kind") == "hook_failed"
            else None
        )

    def _attempt_2_line(self) -> str | None:
        return self._thread_line(f"hook {FAILING_HOOK['name']}", "attempt 2", "FAILED")

    def _skip_mails(self, count: int) -> list[dict[str, Any]] | None:
        found = [
            m
            for m in self.emails()
            if m["to"] == EMAIL and self.execution_id in m["body"] and "action=skip" in m["body"]
        ]
        return found if len(found) >= count else None

    def _launch_jobs(self) -> list[str]:
        """The DRS jobs that launched this execution's servers (tagged with it), oldest first."""
        state = json.loads(http("GET", self.info["drsStateUrl"])[1])[self.info["accounts"][0]]
        return [
            j["jobID"]
            for j in state["jobs"]
            if j.get("tags", {}).get("drs-chatops:execution") == self.execution_id
            and j.get("type") == "LAUNCH"
        ]
