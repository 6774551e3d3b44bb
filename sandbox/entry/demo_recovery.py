"""The demo's real recovery under the two-person rule: started from Slack by the operator, it waits
for two approvals before wave 1 (starting a real recovery is itself a decision). The starter's own
vote does not count, the email link cannot approve (it identifies nobody), the approver votes in
Slack with a reason (the pause message shows "1 of 2"), and the DR lead's vote through the API
reaches the quorum: SUCCEEDED, both votes and their reasons on the record.

Over HTTP only, as :mod:`sandbox.entry.demo_story`: ``/slack-local`` (what the page sends when a sandbox
user types or clicks), the REST API, the outbox."""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox.data import apigw
from sandbox.entry.demo_story import EMAIL, TIERS, Story, http

RECOVERY_PLAN = "Demo: payments recovery"
DR_LEAD = "dr-lead@example.com"  # an API principal named as an approver


class TwoPersonRecovery(Story):
    def two_person_recovery(self, groups: dict[str, str]) -> None:
        """``groups``: protection group ids by name (two of :data:`TIERS` are recovered)."""
        if not self.slack:
            self.timeline.skip("a two-person real recovery", "the bot is not deployed in this sandbox")
            return
        users = self.info["slackUsers"]
        self._recovery_plan(groups, users)
        self._start_recovery_from_slack()
        self._starter_does_not_count()
        self._email_link_cannot_approve()
        self._approver_votes_in_slack()
        self._dr_lead_reaches_the_quorum()

    # -- the scenes ------------------------------------------------------------------------------
    def _recovery_plan(self, groups: dict[str, str], users: dict[str, str]) -> None:
        with self.timeline.step(
            "a recovery plan under the two-person rule: approvers @operator, @approver and "
            f"{DR_LEAD}, 2 approvals to start a recovery, a reason always"
        ) as notes:
            waves = [
                {"waveNumber": n, "protectionGroupId": groups[name], "pauseBeforeExecution": False}
                for n, name in enumerate(TIERS[:2], start=1)
            ]
            body = {
                "planName": RECOVERY_PLAN,
                "waves": waves,
                "notificationEmail": EMAIL,
                "slackChannelId": self.channel,
                "approvers": [users["operator"], users["approver"]],
                "approverPrincipals": [DR_LEAD],
                "requireReason": "always",
                "targetRtoMinutes": 30,
            }
            plan = self.api("POST", "/recovery-plans", body, (201,))
            quorum = plan["approvalQuorum"]
            notes.append(
                f"plan {plan['planId']}: quorum drill {quorum['drill']}, recovery {quorum['recovery']}"
            )

    def _start_recovery_from_slack(self) -> None:
        with self.timeline.step(
            f"/dr run {RECOVERY_PLAN} recovery (as @operator): confirm, then Start recovery"
        ) as notes:
            seen = len(self.messages())
            self.local("command", {"user": "operator", "text": f"/dr run {RECOVERY_PLAN} recovery"})
            confirm = self.wait("the confirmation", lambda: self._with_button(seen, "run_recovery_confirm"))
            message, button = confirm
            self.click("operator", message, button)
            notes.append(f"Slack: {self.started_in_slack('recovery', seen)}")
        with self.timeline.step(
            "the recovery waits for approval to start, nothing launched: Slack shows it, 0 of 2 approvals"
        ) as notes:
            self.wait("PAUSED", lambda: self.execution()["status"] == "PAUSED")
            pending = self.execution()["pendingApproval"]
            if pending["kind"] != "start" or pending["waveNumber"] != 1:
                raise AssertionError(f"expected the start to wait for approval, got {pending}")
            self.pause = self.wait("the pause message", lambda: self._with_button(0, "approval_resume"))
            notes.append(self.pause[0]["text"])

    def _starter_does_not_count(self) -> None:
        with self.timeline.step("@operator started it, so their own Resume does not count") as notes:
            refusal = self.vote("operator", "I started it and it looks fine")
            if self.execution()["pendingApproval"]["votes"]:
                raise AssertionError("the starter's vote was counted")
            notes.append(f"ephemeral to @operator: {refusal}")

    def _email_link_cannot_approve(self) -> None:
        with self.timeline.step("the email's Approve link cannot approve a quorum of 2") as notes:
            mail = self.wait("the start approval email", lambda: self._mail("action=resume"))
            link = re.findall(r"https?://\S+action=resume\S+", mail["body"])[0]
            status, page = http("GET", link)
            text = re.sub(r"<[^>]+>", " ", page.decode("utf-8", "replace"))
            if status != 200 or "Slack" not in text or "Cancel" not in text:
                raise AssertionError(f"GET the Resume link answered {status}: {text[:300]!r}")
            said = re.search(r"Going on needs[^.]*\.", text)
            if said is None:
                raise AssertionError(f"the page does not say who may resume: {text[:300]!r}")
            notes.append(f"its page offers Cancel only and says: {' '.join(said.group(0).split())}")

    def _approver_votes_in_slack(self) -> None:
        with self.timeline.step("@approver clicks Approve start and gives a reason: 1 of 2") as notes:
            self.vote("approver", "database replica verified in the recovery region")
            tally = self.wait("the tally on the pause message", lambda: self._tally("1 of 2 approvals"))
            notes.append(tally)

    def _dr_lead_reaches_the_quorum(self) -> None:
        path = f"/executions/{self.execution_id}/resume"
        with self.timeline.step(
            f"{DR_LEAD} approves through the API with a reason: 2 of 2, it goes on: the recovery starts"
        ) as notes:
            headers = {apigw.ACCOUNT_HEADER: self.info["accounts"][0], apigw.USER_HEADER: DR_LEAD}
            body = {"reason": "change CHG-4711 approved by the CAB"}
            status, raw = http("POST", self.info["apiUrl"] + path, body, headers)
            if status != 200:
                raise AssertionError(f"POST /api{path} answered {status}: {raw[:300]!r}")
            notes.append(f"POST /api{path} as {DR_LEAD} -> 200")
        with self.timeline.step("the recovery finishes: SUCCEEDED, both votes and reasons recorded") as notes:
            final = self.wait("the end", lambda: self._ended_execution())
            if final["status"] != "SUCCEEDED":
                raise AssertionError(f"the recovery ended {final['status']}: {final.get('statusReason')}")
            (decision,) = final["decisions"]
            votes = [f"{v['by']} via {v['via']} ({v['reason']})" for v in decision["votes"]]
            if len(votes) != 2:
                raise AssertionError(f"decided with {len(votes)} votes: {json.dumps(decision)[:300]}")
            notes.append("resumed by " + " and ".join(votes))

    # -- helpers ---------------------------------------------------------------------------------
    def local(self, what: str, body: dict[str, Any]) -> dict[str, Any]:
        """What ``/slack-local`` sends when a sandbox user types or clicks there."""
        base = self.info["slackMessagesUrl"].rsplit("/", 1)[0]
        status, raw = http("POST", f"{base}/{what}", body)
        answer = json.loads(raw) if raw.strip() else {}
        if status != 200:
            raise AssertionError(f"POST /slack-local/{what} answered {status}: {raw[:300]!r}")
        return dict(answer)

    def click(self, user: str, message: dict[str, Any], button: dict[str, Any]) -> None:
        self.local(
            "action",
            {
                "user": user,
                "channel": message["channel"],
                "ts": message["ts"],
                "actionId": button["action_id"],
                "blockId": button.get("block_id", ""),
                "value": button.get("value", ""),
            },
        )

    def vote(self, user: str, reason: str) -> str:
        """``user`` clicks the pause's Resume and submits the reason form; the ephemeral answer, if any."""
        message, button = self.pause
        seen = len(self.messages())
        self.click(user, message, button)
        form = self.wait(
            "the reason form", lambda: [m for m in self.messages()[seen:] if m["kind"] == "modal"]
        )[0]
        values = {"reason": {"value": {"type": "plain_text_input", "value": reason}}}
        submitted = self.local("submit", {"user": user, "viewId": form["viewId"], "values": values})
        if not submitted.get("ok"):
            return str(submitted.get("errors") or submitted)
        answers = self.wait_briefly(
            lambda: [m for m in self.messages()[seen:] if m["kind"] == "ephemeral" and m["text"]]
        )
        return answers[-1]["text"] if answers else ""

    def wait_briefly(self, check: Any) -> Any:
        timeout, self.timeout = self.timeout, 3.0
        try:
            return self.wait("an answer", check)
        except AssertionError:
            return None
        finally:
            self.timeout = timeout

    def _with_button(self, seen: int, action_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for message in reversed(self.messages()[seen:]):
            for block in message.get("blocks") or []:
                for element in block.get("elements") or []:
                    if (
                        isinstance(element, dict)
                        and element.get("action_id") == action_id
                        and (
                            action_id == "run_recovery_confirm"
                            or self.execution_id in element.get("value", "")
                        )
                    ):
                        return message, {**element, "block_id": block.get("block_id", "")}
        return None

    def _tally(self, needle: str) -> str | None:
        ts = self.pause[0]["ts"]
        message = next((m for m in self.messages() if m["ts"] == ts), None)
        text = json.dumps(message["blocks"]) if message else ""
        match = re.search(re.escape(needle) + r"[^\"]*", text)
        return match.group(0) if match else None
