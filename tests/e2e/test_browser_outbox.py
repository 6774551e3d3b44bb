"""In headless Chromium: a pause email in the outbox, its Resume link, the confirmation page (which
changes nothing), the Resume button, the result page; the execution resumed (checked over HTTP)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import RunningSandbox
from tests.e2e.waiting import execution, paused_drill, resume_link, wait_for, wait_until_finished

pytestmark = pytest.mark.e2e


def test_the_pause_emails_resume_link_confirms_then_resumes(sandbox: RunningSandbox, page: object) -> None:
    # Given a seeded drill paused before wave 2, its pause email in the outbox
    execution_id = paused_drill(sandbox)
    resume_link(sandbox, execution_id)  # the pause email is in the outbox

    # When the outbox is opened and the email's Resume link followed
    page.goto(sandbox.info["outboxUrl"])  # type: ignore[attr-defined]
    assert "DRS is simulated" in page.text_content("#simulated")  # type: ignore[attr-defined]
    mail = page.locator(".mail", has_text=execution_id).filter(has_text="Approval needed").first  # type: ignore[attr-defined]
    mail.locator("a[href*='action=resume']").click()

    # Then the confirmation page asks, and nothing changed yet
    page.wait_for_selector("form button[value=resume]")  # type: ignore[attr-defined]
    assert "waiting for a decision" in page.text_content("h1")  # type: ignore[attr-defined]
    assert execution(sandbox, execution_id)["status"] == "PAUSED"

    # When Resume is clicked
    page.click("form button[value=resume]")  # type: ignore[attr-defined]

    # Then the result page says so, and the execution resumed and finishes
    page.wait_for_selector("h1:has-text('resumed')")  # type: ignore[attr-defined]
    wait_for(lambda: execution(sandbox, execution_id)["waves"][1]["status"] != "WAITING_APPROVAL")
    final = wait_until_finished(sandbox, execution_id)
    assert final["status"] == "SUCCEEDED", final
