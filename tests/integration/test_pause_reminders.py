"""Pause reminders (handlers/pauses/pause_reminders.py): opening a pause schedules reminders at
half and nine tenths of its timeout (one-time EventBridge Scheduler schedules running the
orchestrator's ``pause_reminder`` task); a reminder of a pause still open is announced, one of a
pause that was decided meanwhile does nothing."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from handlers.core.timestamps import parse_iso
from handlers.orchestrator import lambda_handler as orchestrator
from handlers.repositories.approvals import ApprovalRepository
from tests.integration.test_automatic_cleanup import GROUP, scheduler  # noqa: F401 - the fixture
from tests.integration.test_reports import paused_run
from tests.support.events import LambdaContext, call_api, call_page
from tests.support.faults import lose_announcements


def _reminders(client: Any) -> dict[str, dict[str, Any]]:
    names = [s["Name"] for s in client.list_schedules(GroupName=GROUP)["Schedules"]]
    return {n: client.get_schedule(Name=n, GroupName=GROUP) for n in names if n.startswith("pause-reminder-")}


def _at(schedule: dict[str, Any]) -> float:
    return parse_iso(schedule["ScheduleExpression"][3:-1] + "Z").timestamp()


def test_opening_a_pause_schedules_reminders_at_half_and_nine_tenths_of_its_timeout(
    orchestration,
    scheduler,  # noqa: F811
):
    # Given a run paused before wave 2
    paused = paused_run()
    pending = paused["pendingApproval"]
    opened, expires = (
        parse_iso(pending["requestedAt"]).timestamp(),
        parse_iso(pending["expiresAt"]).timestamp(),
    )
    # Then two reminders are scheduled, at 1/2 and 9/10 of the way to the expiry, for this pause
    reminders = sorted(_reminders(scheduler).values(), key=_at)
    assert len(reminders) == 2
    for schedule, fraction in zip(reminders, (0.5, 0.9), strict=True):
        assert abs(_at(schedule) - (opened + (expires - opened) * fraction)) <= 1.5
        task = json.loads(schedule["Target"]["Input"])
        assert task == {
            "task": "pause_reminder",
            "executionId": paused["executionId"],
            "waveNumber": pending["waveNumber"],
            "requestedAt": pending["requestedAt"],
        }


def test_a_reminder_is_announced_while_the_pause_is_open_and_not_after_it_was_decided(
    orchestration,
    scheduler,  # noqa: F811
):
    # Given a paused run and the task its reminder schedule runs
    paused = paused_run()
    (schedule, *_) = _reminders(scheduler).values()
    task = json.loads(schedule["Target"]["Input"])
    # When the reminder fires while the pause is open, then it is announced with the pause's votes
    assert orchestrator(task, LambdaContext()) == {"reminded": True}
    event = orchestration.wait_for_event("pause_reminder")
    wave = paused["pendingApproval"]["waveNumber"]
    assert event["subject"].startswith("[DRS] Reminder:") and f"at wave {wave}" in event["subject"]
    assert paused["pendingApproval"]["expiresAt"] in event["body"]
    # When the pause has been decided, a late reminder does nothing
    status, _ = call_api("POST", f"/executions/{paused['executionId']}/cancel", {"reason": "window closed"})
    assert status == 200
    assert orchestrator(task, LambdaContext()) == {"reminded": False}
    # and a reminder naming another pause (another requestedAt) never reminds
    assert orchestrator({**task, "requestedAt": "2020-01-01T00:00:00Z"}, LambdaContext()) == {
        "reminded": False
    }


def test_the_reminder_of_a_pause_whose_announcement_was_lost_carries_its_own_safe_links(
    orchestration,
    scheduler,  # noqa: F811
    monkeypatch,
):
    # Given a paused run whose pause announcement SNS refused (no pause email ever arrived)
    lose_announcements(monkeypatch, "pause")
    paused = paused_run()
    assert "pause" not in orchestration.event_types()
    (schedule, *_) = _reminders(scheduler).values()
    # When its reminder fires
    assert orchestrator(json.loads(schedule["Target"]["Input"]), LambdaContext()) == {"reminded": True}
    body = orchestration.wait_for_event("pause_reminder")["body"]
    # Then it points at no pause email, and says how to decide: its own links, Slack, the API
    assert "pause email" not in body
    assert f"/dr status {paused['executionId']}" in body
    assert f"POST /executions/{paused['executionId']}/resume or /cancel" in body
    links = re.findall(r"https://\S+/execution-callback\?\S+", body)
    assert {parse_qs(urlsplit(u).query)["action"][0] for u in links} == {"resume", "cancel"}
    assert "confirmation page; nothing happens until you confirm" in body
    # And a link is the email route's confirmation page: a GET decides nothing, no task token in it
    approval = ApprovalRepository().get(parse_qs(urlsplit(links[0]).query)["approval"][0])
    assert approval is not None and approval.executionId == paused["executionId"]
    assert approval.taskToken not in body
    split = urlsplit(links[-1])
    status, page, _ = call_page("GET", f"{split.path.removeprefix('/dev')}?{split.query}")
    assert status == 200 and "<form" in page
    assert call_api("GET", f"/executions/{paused['executionId']}")[1]["status"] == "PAUSED"
