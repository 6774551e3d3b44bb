"""The whole drill cycle around :mod:`sandbox.entry.demo_story`'s run: readiness before, the point in time
each server launched from, the report, the cleanup, readiness again; then a failing hook retried and
skipped (:mod:`sandbox.entry.demo_hooks`), the two-person recovery (:mod:`sandbox.entry.demo_recovery`)
and its way home (:mod:`sandbox.entry.demo_failback`).

Over HTTP only, as the story: the REST API and ``/_sandbox/drs-state``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox.entry.demo_failback import HomeComing
from sandbox.entry.demo_hooks import FailingHook
from sandbox.entry.demo_story import http


class DrillCycle(FailingHook, HomeComing):
    def play(self) -> None:
        self.create_groups_and_plan()
        self.readiness_before()
        self.run_and_finish()
        self.snapshots_used()
        self.the_report()
        self.the_cleanup()
        self.readiness_after()
        self.failing_hook()
        self.two_person_recovery(self.groups)
        self.failback_and_reprotect()

    # -- before and after the run ----------------------------------------------------------------
    def readiness(self, plan_id: str) -> dict[str, Any]:
        return dict(self.api("GET", f"/recovery-plans/{plan_id}/readiness"))

    def readiness_before(self) -> None:
        with self.timeline.step("readiness before the drill: ready, the hook's function found") as notes:
            found = self.readiness(self.plan_id)
            if found["ready"] is not True:
                raise AssertionError(f"not ready: {found['checks']}")
            hooks = [c for c in found["checks"] if c["check"] == "hooks_resolvable"]
            if [c["status"] for c in hooks] != ["PASS"]:
                raise AssertionError(f"the after-hook's function was not found: {hooks}")
            notes.append(f"{len(found['checks'])} checks, {_statuses(found)}")
            notes.append(f"hooks_resolvable: {hooks[0]['message']}")

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

    def readiness_after(self) -> None:
        with self.timeline.step("readiness after cleanup: no leftover drill instances") as notes:
            found = self.readiness(self.plan_id)
            leftover = [c["status"] for c in found["checks"] if c["check"] == "leftover_drill_instances"]
            if leftover != ["PASS"]:
                raise AssertionError(f"leftover_drill_instances is {leftover}")
            notes.append(f"ready {found['ready']}: {_statuses(found)}")


def _statuses(readiness: dict[str, Any]) -> str:
    return ", ".join(f"{c['check']} {c['status']}" for c in readiness["checks"])
