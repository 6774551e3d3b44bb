"""The way home after the demo's two-person recovery (docs/failback.md): reverse replication, the
failback view until every server can fail back, a FAILBACK execution that waits for the plan's
recovery quorum (two approvers; the starter never counts), SUCCEEDS in the origin region, then the
re-protect, and only then the cleanup of the original recovery's instances (refused before).

Slack's ``/dr reprotect`` and ``/dr failback`` (with its "Start failback" button) are used when the
bot's ``/dr help`` lists them; otherwise the REST routes, and each step's text says which.

Over HTTP only, as :mod:`sandbox.entry.demo_story`."""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox.data import apigw
from sandbox.entry.demo_recovery import DR_LEAD, TwoPersonRecovery
from sandbox.entry.demo_story import http

START_FAILBACK = "failback_start"  # the failback view's "Start failback" button (bot/blocks/failback.py)


class HomeComing(TwoPersonRecovery):
    def failback_and_reprotect(self) -> None:
        """After :meth:`two_person_recovery` SUCCEEDED: its execution comes home."""
        if not self.slack:
            self.timeline.skip("failback and re-protect", "the recovery before it did not run")
            return
        self.recovery_id = self.execution_id
        listed = self._help()
        self.slack_reprotect = "reprotect" in listed
        self.slack_failback = re.search(r"/dr failback\b", listed) is not None
        self._reverse()
        self._ready()
        self._start()
        self._approve()
        self._failed_back()
        self._reprotect()
        self._clean_up_the_recovery()

    # -- the scenes ------------------------------------------------------------------------------
    def _reverse(self) -> None:
        path = f"/executions/{self.recovery_id}/reverse-replication"
        how = (
            f"/dr reprotect {self.recovery_id} in Slack"
            if self.slack_reprotect
            else (f"POST /api{path} (REST: the bot has no /dr reprotect yet)")
        )
        with self.timeline.step(f"reverse replication of the recovery: {how}") as notes:
            if self.slack_reprotect:
                seen = len(self.messages())
                self.local("command", {"user": "operator", "text": f"/dr reprotect {self.recovery_id}"})
                view = self.wait("every server reversed on the record", self._all_reversed)
                reply = self.wait("the bot's answer", lambda: self._said_after(seen, "Failback of"))
                notes.append(f"Slack: {reply}")
            else:
                view = self.as_person("POST", path, "operator")
            servers = view["servers"]
            if not servers or any(
                s["origin"] != "AWS" or not s.get("reversedSourceServerId") for s in servers
            ):
                raise AssertionError(f"not every server reversed: {json.dumps(servers)[:400]}")
            first = servers[0]
            notes.append(
                f"{view['status']}: {len(servers)} recovery instances reversed, e.g. "
                f"{first['recoveryInstanceId']} -> {first['reversedSourceServerId']} "
                f"in {self.info['regions']['origin']}"
            )

    def _ready(self) -> None:
        path = f"/executions/{self.recovery_id}/failback"
        with self.timeline.step(
            f"the failback view (GET /api{path}) says ready: every reversed server CONTINUOUS"
        ) as notes:
            view = self.wait(
                "the failback view to say ready", lambda: (v := self.api("GET", path))["ready"] and v
            )
            states = sorted({str(s["state"]) for s in view["servers"]})
            notes.append(f"{view['status']}, {len(view['servers'])} servers {', '.join(states)}")
            mail = self.wait(
                "the failback_ready email", lambda: self._mail_titled("Ready to fail back", self.recovery_id)
            )
            notes.append(f"email: {mail['subject']}")

    def _start(self) -> None:
        reason = "origin region healthy again, CHG-4712"
        if self.slack_failback:
            how = f"/dr failback {self.recovery_id} in Slack, @operator clicks Start failback"
        else:
            how = f"POST /api/executions/{self.recovery_id}/failback as @operator (REST: no Slack button yet)"
        with self.timeline.step(
            f"start the failback: {how}; the FAILBACK waits for 2 approvals, nothing launched"
        ) as notes:
            if self.slack_failback:
                self._start_in_slack(reason)
                record = self.wait("the FAILBACK on the record", lambda: self._failing_back())
                self.execution_id = str(record["failbackExecutionId"])
            else:
                path = f"/executions/{self.recovery_id}/failback"
                started = self.as_person("POST", path, "operator", {"reason": reason}, expect=(201,))
                if started["mode"] != "FAILBACK" or started["failbackOf"] != self.recovery_id:
                    raise AssertionError(f"started {json.dumps(started)[:300]}")
                self.execution_id = started["executionId"]
            paused = self.wait("the FAILBACK to wait for approval", lambda: self._paused("start"))
            if [w["status"] for w in paused["waves"] if w["status"] not in ("PENDING", "WAITING_APPROVAL")]:
                raise AssertionError(f"a wave moved before the approvals: {paused['waves']}")
            if jobs := self._jobs(self.execution_id):
                raise AssertionError(f"DRS jobs before the approvals: {[j['jobID'] for j in jobs]}")
            notes.append(f"FAILBACK execution {self.execution_id} of {self.recovery_id}: PAUSED, 0 of 2")

    def _approve(self) -> None:
        with self.timeline.step(
            "@approver clicks Approve start on the FAILBACK's pause in Slack with a reason: 1 of 2"
        ) as notes:
            self.pause = self.wait(
                "the FAILBACK's pause message", lambda: self._with_button(0, "approval_resume")
            )
            self.vote("approver", "origin databases verified in " + self.info["regions"]["origin"])
            notes.append(self.wait("the tally on the pause message", lambda: self._tally("1 of 2 approvals")))
        path = f"/executions/{self.execution_id}/resume"
        with self.timeline.step(
            f"{DR_LEAD} approves through the API with a reason: 2 of 2, the failback starts"
        ) as notes:
            self.as_person("POST", path, DR_LEAD, {"reason": "failback window CHG-4712 open"})
            notes.append(f"POST /api{path} as {DR_LEAD} -> 200")

    def _failed_back(self) -> None:
        origin = self.info["regions"]["origin"]
        with self.timeline.step(
            f"the FAILBACK SUCCEEDS: every wave launched in {origin}; the recovery is FAILED_BACK, "
            "its cleanup still refused"
        ) as notes:
            final = self.wait("the end", self._ended_execution)
            if final["status"] != "SUCCEEDED":
                raise AssertionError(f"the FAILBACK ended {final['status']}: {final.get('statusReason')}")
            regions = {str(job["arn"]).split(":")[3] for job in self._jobs(self.execution_id)}
            if regions != {origin}:
                raise AssertionError(f"the FAILBACK's DRS jobs ran in {regions}")
            # The FAILBACK's end moves the recovery's record (handlers/failback/ending.py failback_finished)
            self.wait("the recovery FAILED_BACK", lambda: self._record_says(self.recovery_id, "FAILED_BACK"))
            path = f"/executions/{self.recovery_id}/cleanup"
            refused = self.api("POST", path, {}, (409,))
            (decision,) = final["decisions"]
            votes = [f"{v['by']} via {v['via']}" for v in decision["votes"]]
            notes.append(", ".join(f"wave {w['waveNumber']} {w['status']}" for w in final["waves"]))
            notes.append("approved by " + " and ".join(votes))
            notes.append(f"POST /api{path} -> 409: {refused.get('message', refused)}")

    def _reprotect(self) -> None:
        path = f"/executions/{self.execution_id}/reverse-replication"
        how = (
            f"/dr reprotect {self.execution_id} in Slack"
            if self.slack_reprotect
            else f"POST /api{path} (REST)"
        )
        with self.timeline.step(f"re-protect: {how}; both records REPROTECTED") as notes:
            if self.slack_reprotect:
                self.local("command", {"user": "operator", "text": f"/dr reprotect {self.execution_id}"})
            else:
                self.as_person("POST", path, "operator")
            self.wait("the recovery REPROTECTED", lambda: self._record_says(self.recovery_id, "REPROTECTED"))
            self.wait("the FAILBACK REPROTECTED", lambda: self._record_says(self.execution_id, "REPROTECTED"))
            notes.append(f"recovery {self.recovery_id} and FAILBACK {self.execution_id}: REPROTECTED")

    def _clean_up_the_recovery(self) -> None:
        self.execution_id = self.recovery_id
        path = f"/executions/{self.recovery_id}/cleanup"
        with self.timeline.step(
            f"clean up the recovery region: POST /api{path}, the recovery's instances terminated"
        ) as notes:
            self.api("POST", path, {}, (200, 202))
            cleanup = self.wait("cleanup COMPLETED", self._cleanup_done)
            live = self._live_instances()
            if live:
                raise AssertionError(f"still live in DRS: {live}")
            notes.append(str(cleanup.get("message") or cleanup["status"]))

    # -- helpers ---------------------------------------------------------------------------------
    def as_person(
        self, method: str, path: str, who: str, body: Any = None, expect: tuple[int, ...] = (200,)
    ) -> Any:
        """The REST API as a sandbox person: a Slack user's email (``slackUserEmails``) or an address."""
        user = self.info["slackUsers"].get(who)
        email = self.info["slackUserEmails"][user] if user else who
        headers = {apigw.ACCOUNT_HEADER: self.info["accounts"][0], apigw.USER_HEADER: email}
        status, raw = http(method, self.info["apiUrl"] + path, {} if body is None else body, headers)
        if status not in expect:
            raise AssertionError(f"{method} /api{path} as {email} answered {status}: {raw[:300]!r}")
        return json.loads(raw)

    def _help(self) -> str:
        """What ``/dr help`` lists (answered in the ack)."""
        answer = self.slash("help")
        return json.dumps(answer)

    def _record(self, execution_id: str) -> dict[str, Any] | None:
        found = self.api("GET", f"/executions/{execution_id}").get("failback")
        return dict(found) if found else None

    def _record_says(self, execution_id: str, status: str) -> bool:
        record = self._record(execution_id)
        return bool(record and record["status"] == status)

    def _all_reversed(self) -> dict[str, Any] | None:
        record = self._record(self.recovery_id)
        servers = record["servers"] if record else []
        return record if servers and all(s.get("reversedSourceServerId") for s in servers) else None

    def _said_after(self, seen: int, needle: str) -> str | None:
        said = [m["text"] for m in self.messages()[seen:] if needle in str(m.get("text", ""))]
        return said[-1] if said else None

    def _failing_back(self) -> dict[str, Any] | None:
        record = self._record(self.recovery_id)
        return record if record and record.get("failbackExecutionId") else None

    def _paused(self, kind: str) -> dict[str, Any] | None:
        execution = self.execution()
        pause = execution.get("pendingApproval") or {}
        return execution if execution["status"] == "PAUSED" and pause.get("kind") == kind else None

    def _start_in_slack(self, reason: str) -> None:
        """``/dr failback <id>``, then @operator clicks its Start failback button (a reason form, if
        one opens, gets ``reason``)."""
        seen = len(self.messages())
        self.local("command", {"user": "operator", "text": f"/dr failback {self.recovery_id}"})
        message, button = self.wait(
            "the Start failback button", lambda: self._button_after(seen, START_FAILBACK)
        )
        seen = len(self.messages())
        self.click("operator", message, button)

        def started_or_form() -> tuple[str, Any] | None:
            if record := self._failing_back():
                return "started", record
            forms = [m for m in self.messages()[seen:] if m["kind"] == "modal"]
            return ("form", forms[0]) if forms else None

        found, what = self.wait("the FAILBACK to start", started_or_form)
        if found == "form":
            values = {"reason": {"value": {"type": "plain_text_input", "value": reason}}}
            self.local("submit", {"user": "operator", "viewId": what["viewId"], "values": values})

    def _button_after(self, seen: int, action_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for message in reversed(self.messages()[seen:]):
            for block in message.get("blocks") or []:
                for element in block.get("elements") or []:
                    if isinstance(element, dict) and element.get("action_id") == action_id:
                        return message, {**element, "block_id": block.get("block_id", "")}
        return None

    def _mail_titled(self, subject: str, execution_id: str) -> dict[str, Any] | None:
        found = [m for m in self.emails() if subject in m["subject"] and execution_id in m["body"]]
        return found[-1] if found else None

    def _jobs(self, execution_id: str) -> list[dict[str, Any]]:
        state = json.loads(http("GET", self.info["drsStateUrl"])[1])[self.info["accounts"][0]]
        return [j for j in state["jobs"] if j.get("tags", {}).get("drs-chatops:execution") == execution_id]
