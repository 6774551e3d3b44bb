"""The whole drill cycle around :mod:`sandbox.entry.demo_story`'s run: readiness before, the point in time
each server launched from, the report, the cleanup, readiness again, and a failed wave retried.

Over HTTP only, as the story: the REST API, ``/_sandbox/faults`` and ``/_sandbox/drs-state``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox.entry.demo_recovery import TwoPersonRecovery
from sandbox.entry.demo_story import http


class DrillCycle(TwoPersonRecovery):
    def play(self) -> None:
        self.create_groups_and_plan()
        self.readiness_before()
        self.run_and_finish()
        self.snapshots_used()
        self.the_report()
        self.the_cleanup()
        self.readiness_after()
        self.retried_wave()
        self.two_person_recovery(self.groups)

    # -- before and after the run ----------------------------------------------------------------
    def readiness(self, plan_id: str) -> dict[str, Any]:
        return dict(self.api("GET", f"/recovery-plans/{plan_id}/readiness"))

    def readiness_before(self) -> None:
        with self.timeline.step("readiness before the drill: ready") as notes:
            found = self.readiness(self.plan_id)
            if found["ready"] is not True:
                raise AssertionError(f"not ready: {found['checks']}")
            notes.append(f"{len(found['checks'])} checks, {_statuses(found)}")

    def snapshots_used(self) -> None:
        if not self.point_in_time:
            return
        with self.timeline.step("every launched server recorded the snapshot it launched from") as notes:
            servers = [s for w in self.execution()["waves"] for s in w["servers"]]
            missing = [s["sourceServerId"] for s in servers if not s.get("recoverySnapshotId")]
            if missing or not servers:
                raise AssertionError(f"no recoverySnapshotId for {missing or 'any server'}")
            notes.append(f"{len(servers)} servers, e.g. {servers[0]['recoverySnapshotId']}")

    def the_report(self) -> None:
        path = f"/executions/{self.execution_id}/report"
        with self.timeline.step("the execution report: measured RTO and timeline, JSON and HTML") as notes:
            report = self.api("GET", path)
            rto = report["rto"]["measuredSeconds"]
            if not isinstance(rto, int | float) or not report["timeline"]:
                raise AssertionError(f"report without RTO or timeline: {json.dumps(report)[:300]}")
            headers = {"X-Sandbox-Account": self.info["accounts"][0]}
            status, page = http("GET", self.info["apiUrl"] + path + "?format=html", None, headers)
            if status != 200 or b"<html" not in page.lower():
                raise AssertionError(f"GET {path}?format=html answered {status}")
            notes.append(f"RTO measured {rto} s, {len(report['timeline'])} timeline events; HTML 200")
            if line := self._rto_line():
                notes.append(f"completion says: {line}")

    def _rto_line(self) -> str:
        mail = self._completion_mail()
        texts = [m["text"] for m in self.messages()] + ([mail["body"]] if mail else [])
        for text in reversed(texts):
            if match := re.search(r"RTO[^\n]*", text):
                return match.group(0).strip()
        return ""

    def the_cleanup(self) -> None:
        with self.timeline.step("cleanup: the drill's recovery instances are terminated") as notes:
            self.api("POST", f"/executions/{self.execution_id}/cleanup", {}, (200, 202))
            cleanup = self.wait("cleanup COMPLETED", self._cleanup_done)
            live = self._live_instances()
            if live:
                raise AssertionError(f"still live in DRS: {live}")
            notes.append(str(cleanup.get("message") or cleanup["status"]))

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

    def readiness_after(self) -> None:
        with self.timeline.step("readiness after cleanup: no leftover drill instances") as notes:
            found = self.readiness(self.plan_id)
            leftover = [c["status"] for c in found["checks"] if c["check"] == "leftover_drill_instances"]
            if leftover != ["PASS"]:
                raise AssertionError(f"leftover_drill_instances is {leftover}")
            notes.append(f"ready {found['ready']}: {_statuses(found)}")

    # -- a failed wave, retried ------------------------------------------------------------------
    def retried_wave(self) -> None:
        failing = self.info["failingSourceServers"][0]
        with self.timeline.step(
            f"a one-wave plan with a failing server ({failing}): the wave fails, it pauses"
        ) as notes:
            group = self.api(
                "POST",
                "/protection-groups",
                {"groupName": "Demo flaky", "sourceServerIds": [failing]},
                (201,),
            )
            body = {
                "planName": "Demo: flaky wave",
                "waves": [{"waveNumber": 1, "protectionGroupId": group["groupId"]}],
            }
            plan = self.api("POST", "/recovery-plans", body, (201,))
            started = self.api("POST", "/executions", {"planId": plan["planId"]}, (200, 201, 202))
            self.execution_id = started["executionId"]
            paused = self.wait("the wave_failed pause", self._wave_failed)
            wave = paused["waves"][0]
            notes.append(f"wave 1 {wave['status']}: {wave.get('message') or paused.get('statusReason')}")
        try:
            with self.timeline.step("the server recovers; POST /executions/{id}/retry; SUCCEEDED") as notes:
                self._faults({"failingServers": "recover"})
                self.api("POST", f"/executions/{self.execution_id}/retry", {}, (200, 202))
                final = self.wait("the end", self._ended_execution)
                retries = final["waves"][0]["retries"]
                if final["status"] != "SUCCEEDED" or retries != 1:
                    raise AssertionError(f"ended {final['status']} with retries {retries}")
                notes.append(f"execution {self.execution_id}: SUCCEEDED, wave 1 retries {retries}")
        finally:
            self._faults({"failingServers": "fail"})

    def _wave_failed(self) -> dict[str, Any] | None:
        execution = self.execution()
        pause = execution.get("pendingApproval") or {}
        return execution if execution["status"] == "PAUSED" and pause.get("kind") == "wave_failed" else None

    def _faults(self, body: dict[str, str]) -> None:
        status, raw = http("POST", self.info["faultsUrl"], body)
        if status != 200:
            raise AssertionError(f"POST /_sandbox/faults answered {status}: {raw[:200]!r}")


def _statuses(readiness: dict[str, Any]) -> str:
    return ", ".join(f"{c['check']} {c['status']}" for c in readiness["checks"])
