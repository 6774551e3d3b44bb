"""A drill of the seeded three-wave plan through the sandbox: it pauses before wave 2, the pause
email's link resumes it, and it succeeds; and racing decisions on one pause have one winner."""

from __future__ import annotations

import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import RunningSandbox, http
from tests.e2e.waiting import execution, paused_drill, resume_link, wait_until_finished

pytestmark = pytest.mark.e2e


def test_paused_drill_resumes_from_the_email_link(sandbox: RunningSandbox) -> None:
    execution_id = paused_drill(sandbox)
    link = resume_link(sandbox, execution_id)
    confirm_page = http("GET", link)
    assert confirm_page.status == 200
    assert execution(sandbox, execution_id)["status"] == "PAUSED"  # GET changes nothing

    approval = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["approval"][0]
    form = urllib.parse.urlencode({"action": "resume", "approval": approval}).encode()
    decided = http("POST", link.split("?")[0], form, {"Content-Type": "application/x-www-form-urlencoded"})

    assert decided.status == 200
    final = wait_until_finished(sandbox, execution_id)
    assert final["status"] == "SUCCEEDED"
    assert [w["status"] for w in final["waves"]] == ["COMPLETED"] * 3


def test_racing_decisions_on_one_pause_have_one_winner(sandbox: RunningSandbox) -> None:
    # Given a paused drill and its approval, reached by the api function's workers over HTTP
    execution_id = paused_drill(sandbox)
    link = resume_link(sandbox, execution_id)
    approval = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["approval"][0]

    # When twelve decisions (resume and cancel, each with a reason: a cancel needs one) arrive at once
    def decide(action: str) -> str:
        form = urllib.parse.urlencode({"action": action, "approval": approval, "reason": "race"}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        page = http("POST", link.split("?")[0], form, headers)
        assert page.status == 200, page.body
        return "won" if b"<h1>Done:" in page.body else "already decided"

    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(decide, ["resume", "cancel"] * 6))

    # Then exactly one decided; every other caller is told it was already decided
    assert sorted(outcomes) == ["already decided"] * 11 + ["won"], outcomes
    final = wait_until_finished(sandbox, execution_id)
    assert final["status"] in ("SUCCEEDED", "CANCELLED")
