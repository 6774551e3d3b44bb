"""In headless Chromium: the evidence report of a drill that paused and was resumed with a reason,
as an auditor opens it (``GET /executions/{id}/report?format=html``); the copies in the sandbox's
reports bucket; and a screenshot of the page (docs/drill-cycle.md shows one, docs/images/report.png;
the test writes its own to a temporary folder, never into the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import RunningSandbox
from tests.e2e.waiting import paused_drill, wait_for, wait_until_finished

pytestmark = pytest.mark.e2e


def stored_keys(sandbox: RunningSandbox, execution_id: str) -> set[str]:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=sandbox.info["awsEndpoint"],
        region_name=sandbox.info["region"],
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
    )
    listed = s3.list_objects_v2(Bucket=sandbox.info["reportsBucket"], Prefix="reports/")
    return {o["Key"] for o in listed.get("Contents", []) if execution_id in o["Key"]}


def test_the_report_page_of_a_resumed_drill_is_readable_and_printable(
    sandbox: RunningSandbox, page: object, tmp_path: Path
) -> None:
    # Given a seeded drill (target 30 min) paused before wave 2, resumed through the API with a reason
    execution_id = paused_drill(sandbox)
    resumed = sandbox.api(
        "POST", f"/executions/{execution_id}/resume", {"reason": "change CHG-1042 approved"}
    )
    assert resumed.status == 200, resumed.body
    final = wait_until_finished(sandbox, execution_id, timeout=90)
    assert final["rto"]["targetSeconds"] == 1800

    # When an auditor of the account opens its report page
    page.set_extra_http_headers({"X-Sandbox-Account": sandbox.info["accounts"][0]})  # type: ignore[attr-defined]
    page.goto(f"{sandbox.info['apiUrl']}/executions/{execution_id}/report?format=html")  # type: ignore[attr-defined]

    # Then it leads with the RTO against the target, has a table per wave, the decision and the timeline
    assert "Recovery evidence: Payments failover" in page.text_content("h1")  # type: ignore[attr-defined]
    rto = page.text_content(".rto")  # type: ignore[attr-defined]
    assert rto.startswith("RTO ") and "(target 30)" in rto
    waves = page.locator("h3", has_text="Wave")  # type: ignore[attr-defined]
    assert waves.count() == len(final["waves"])
    # (the reason in the decisions table and in the timeline's decision line)
    assert (
        page.locator("td", has_text="change CHG-1042 approved").count() >= 2
    )  # decision, its vote and the timeline  # type: ignore[attr-defined]
    assert page.locator("td", has_text="server_launched").count() >= 1  # type: ignore[attr-defined]
    # and the timeline picture renders: a bar per wave that ran, the pause shaded, the target line
    svg = page.locator("svg.timeline")  # type: ignore[attr-defined]
    assert svg.bounding_box()["width"] > 600 and svg.bounding_box()["height"] > 100
    started = [w for w in final["waves"] if w["startTime"]]
    assert svg.locator("g.bars rect").count() == len(started) == len(final["waves"])
    assert svg.locator("g.pauses rect").count() == 1 and svg.locator("line.rto-target").count() == 1
    # and prints (print media: the page lays out without the screen width limit)
    page.emulate_media(media="print")  # type: ignore[attr-defined]
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "none"  # type: ignore[attr-defined]
    page.emulate_media(media="screen")  # type: ignore[attr-defined]
    screenshot = tmp_path / "report.png"
    page.screenshot(path=str(screenshot), full_page=False)  # type: ignore[attr-defined]
    assert screenshot.read_bytes().startswith(b"\x89PNG")

    # and the ending wrote its JSON and HTML copies to the reports bucket
    account = sandbox.info["accounts"][0]
    expected = {f"reports/{account}/{execution_id}.json", f"reports/{account}/{execution_id}.html"}
    assert wait_for(lambda: stored_keys(sandbox, execution_id) == expected, what="reports stored")


def test_another_accounts_report_page_is_not_found(sandbox: RunningSandbox) -> None:
    execution_id = paused_drill(sandbox)
    other = sandbox.info["accounts"][1]
    response = sandbox.api("GET", f"/executions/{execution_id}/report?format=html", account=other)
    assert response.status == 404 and response.json()["error"] == "NOT_FOUND"
    # free the seeded plan for the next test (cancelling needs a reason: requireReason "cancel")
    cancelled = sandbox.api("POST", f"/executions/{execution_id}/cancel", {"reason": "e2e: done with it"})
    assert cancelled.status == 200, cancelled.body
