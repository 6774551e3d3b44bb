"""The evidence report of a real run (moto + the DRS emulator): JSON, HTML and CSV through REST and
direct invocation, and the copies written to the reports bucket at every ending."""

from __future__ import annotations

import csv
import io
import json

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT_B, REPORTS_BUCKET
from tests.integration.test_executions import TERMINAL, execution_status, start
from tests.support.data import group_body, plan_body
from tests.support.events import call_api, get_raw, invoke_direct
from tests.support.orchestration import wait_until

HOSTILE_NAME = '<script>alert("plan")</script> =cmd'
HOSTILE_REASON = "<img src=x onerror=alert(1)> approved by change CHG-1"


def make_plan(name="Payments failover", servers=2, **fields):
    groups = [
        call_api("POST", "/protection-groups", group_body(f"Tier {i}", servers=servers))[1]["groupId"]
        for i in range(2)
    ]
    status, plan = call_api("POST", "/recovery-plans", plan_body(groups, name=name, **fields))
    assert status == 201, plan
    return plan


def paused_run(**plan_fields):
    execution = start(make_plan(**plan_fields))
    return execution_status(execution["executionId"], {"PAUSED"})


def stored(aws, execution, extension):
    """The copy in the reports bucket (written just after the ending is recorded: waits for it)."""
    key = f"reports/{execution['accountId']}/{execution['executionId']}.{extension}"
    s3 = aws.client("s3")

    def read():
        try:
            return s3.get_object(Bucket=REPORTS_BUCKET, Key=key)["Body"].read().decode()
        except s3.exceptions.NoSuchKey:
            return None

    found = wait_until(read, 10)
    assert found, f"{key} was not written"
    return found


@pytest.fixture
def resumed_run(orchestration):
    """A drill paused before wave 2 for a while, then resumed through the API with a reason."""
    paused = paused_run(name=HOSTILE_NAME, targetRtoMinutes=30)
    status, _ = call_api("POST", f"/executions/{paused['executionId']}/resume", {"reason": HOSTILE_REASON})
    assert status == 200
    return execution_status(paused["executionId"], TERMINAL)


def test_a_resumed_drill_reports_its_servers_decision_timeline_and_rto(orchestration, resumed_run):
    # Given a drill that paused before wave 2 and was resumed with a reason (fixture)
    assert resumed_run["status"] == "SUCCEEDED"
    # When its report is asked for
    status, report = call_api("GET", f"/executions/{resumed_run['executionId']}/report")
    # Then it names the run, every server with its recovery instance and launch time
    assert status == 200
    assert (
        report["mode"] == "DRILL" and report["status"] == "SUCCEEDED" and report["planName"] == HOSTILE_NAME
    )
    assert report["forced"] is False and report["pointInTime"] is None and report["cleanup"] is None
    servers = [s for w in report["waves"] for s in w["servers"]]
    assert len(servers) == 4
    assert all(s["launchStatus"] == "LAUNCHED" and s["recoveryInstanceId"].startswith("i-") for s in servers)
    assert all(s["launchedAt"] for s in servers)
    assert all(w["durationSeconds"] is not None and w["jobIds"] for w in report["waves"])
    # and the decision with its reason, and a timeline in time order from start to end
    (decision,) = report["decisions"]
    assert (
        decision["action"] == "resume" and decision["via"] == "api" and decision["reason"] == HOSTILE_REASON
    )
    times = [e["at"] for e in report["timeline"]]
    assert times == sorted(times)
    events = [e["event"] for e in report["timeline"]]
    assert events[0] == "execution_started" and events[-1] == "execution_ended"
    assert {"paused", "decision_resume", "wave_started", "wave_completed", "server_launched"} <= set(events)
    assert events.count("server_launched") == 4
    # and the RTO against the 30-minute target, the pause not counted in the second measure
    rto = report["rto"]
    assert rto["targetSeconds"] == 1800 and rto["met"] is True
    assert 0 <= rto["excludingApprovalSeconds"] <= rto["measuredSeconds"]


def test_the_html_report_escapes_hostile_names_and_reasons_and_sends_the_page_headers(
    orchestration, resumed_run
):
    status, page, headers = get_raw(f"/executions/{resumed_run['executionId']}/report?format=html")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;plan&#34;)&lt;/script&gt;" in page and "&lt;img src=x onerror" in page
    assert "RTO " in page and "(target 30) ✓" in page and "@media print" in page
    assert "default-src 'none'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"


def test_the_csv_report_has_one_row_per_server_and_quotes_formulas(orchestration, resumed_run):
    status, text, headers = get_raw(f"/executions/{resumed_run['executionId']}/report?format=csv")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert "attachment" in headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4 and {r["launchStatus"] for r in rows} == {"LAUNCHED"}
    assert all(r["recoveryInstanceId"].startswith("i-") for r in rows)
    # the plan name does not start with "=", but a hostile group name would be run as a formula
    assert all(r["planName"] == HOSTILE_NAME for r in rows)


def test_direct_invocation_returns_the_report_and_its_rendered_forms(orchestration, resumed_run):
    body = {"executionId": resumed_run["executionId"], "accountId": resumed_run["accountId"]}
    report = invoke_direct("get_execution_report", body)
    assert report["executionId"] == resumed_run["executionId"] and report["rto"]["met"] is True
    rendered = invoke_direct("get_execution_report", {**body, "format": "csv"})
    assert rendered["contentType"].startswith("text/csv") and rendered["content"].count("\r\n") == 5
    assert invoke_direct("get_execution_report", {**body, "format": "pdf"})["error"] == "VALIDATION_ERROR"


def test_another_accounts_report_is_not_found_like_a_missing_one(orchestration, resumed_run):
    path = f"/executions/{resumed_run['executionId']}/report"
    theirs = get_raw(path, account=ACCOUNT_B)
    missing = get_raw("/executions/00000000-0000-0000-0000-000000000000/report", account=ACCOUNT_B)
    assert theirs[0] == missing[0] == 404
    body = {"executionId": resumed_run["executionId"], "accountId": ACCOUNT_B, "format": "html"}
    assert invoke_direct("get_execution_report", body)["error"] == "NOT_FOUND"


def test_a_succeeded_run_writes_its_json_and_html_report_to_the_bucket(orchestration, aws, resumed_run):
    saved = json.loads(stored(aws, resumed_run, "json"))
    assert saved["executionId"] == resumed_run["executionId"] and saved["status"] == "SUCCEEDED"
    assert saved["rto"] == resumed_run["rto"]
    assert "&lt;script&gt;" in stored(aws, resumed_run, "html")


def test_a_failed_run_writes_its_report_naming_the_server_that_failed(orchestration, aws):
    plan = make_plan(targetRtoMinutes=60, onWaveFailure="fail")  # fail at once, no Retry pause
    first_group = call_api("GET", f"/protection-groups/{plan['waves'][0]['protectionGroupId']}")[1]
    broken = first_group["sourceServerIds"][0]
    orchestration.drs.failing.add(broken)
    ended = execution_status(start(plan)["executionId"], TERMINAL)
    assert ended["status"] == "FAILED"
    saved = json.loads(stored(aws, ended, "json"))
    failed = [e for e in saved["timeline"] if e["event"] == "server_failed"]
    assert len(failed) == 1 and broken in failed[0]["detail"]
    assert saved["rto"]["met"] is False  # a recovery that did not launch everything missed its target


def test_a_cancelled_run_writes_its_report_with_who_cancelled_and_why(orchestration, aws):
    paused = paused_run()
    status, _ = call_api("POST", f"/executions/{paused['executionId']}/cancel", {"reason": "window closed"})
    assert status == 200
    ended = execution_status(paused["executionId"], TERMINAL)
    saved = json.loads(stored(aws, ended, "json"))
    assert saved["status"] == "CANCELLED"
    assert saved["decisions"][0]["action"] == "cancel" and saved["decisions"][0]["reason"] == "window closed"
    assert saved["rto"]["targetSeconds"] is None and saved["rto"]["met"] is None
    assert "RTO" in stored(aws, ended, "html")


def test_a_bucket_that_refuses_writes_does_not_lose_the_ending(orchestration, aws, monkeypatch):
    # Given S3 refusing every write
    from handlers.reports import report_store

    attempts = []

    class Refusing:
        def put_object(self, **_):
            attempts.append(1)
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutObject")

    monkeypatch.setattr(report_store, "_s3", Refusing)
    monkeypatch.setattr(report_store, "BACKOFF_SECONDS", (0, 0))
    counted = []
    monkeypatch.setattr(report_store, "count", lambda metric, value=1: counted.append(metric))
    # When a run ends
    ended = execution_status(start(make_plan(), isDrill=True)["executionId"], TERMINAL | {"PAUSED"})
    if ended["status"] == "PAUSED":
        call_api("POST", f"/executions/{ended['executionId']}/resume", {})
        ended = execution_status(ended["executionId"], TERMINAL)
    # Then the ending is recorded and announced, each report retried and counted once
    assert ended["status"] == "SUCCEEDED" and ended["rto"]["measuredSeconds"] is not None
    # (the report is written after the ending is recorded: wait for the writes)
    assert wait_until(lambda: len(counted) == 2, 10)
    assert len(attempts) == 2 * report_store.ATTEMPTS and counted == ["ReportWriteFailures"] * 2
    assert "complete" in orchestration.event_types()


def test_the_completion_email_leads_with_the_rto_against_the_target(orchestration, resumed_run):
    complete = orchestration.wait_for_event("complete")
    first_line = complete["body"].splitlines()[0]
    assert first_line.startswith("RTO ") and first_line.endswith("(target 30) ✓"), first_line


@pytest.mark.parametrize("bad", [0, 10081, -5, "thirty", 1.5])
def test_a_target_rto_out_of_range_is_a_400(aws, bad):
    groups = [call_api("POST", "/protection-groups", group_body("Tier 0"))[1]["groupId"]]
    status, error = call_api("POST", "/recovery-plans", plan_body(groups, targetRtoMinutes=bad))
    assert status == 400 and "targetRtoMinutes" in error["message"], error


def test_a_target_rto_is_stored_shown_and_cleared(aws):
    groups = [call_api("POST", "/protection-groups", group_body("Tier 0"))[1]["groupId"]]
    plan = call_api("POST", "/recovery-plans", plan_body(groups, targetRtoMinutes=10080))[1]
    assert call_api("GET", f"/recovery-plans/{plan['planId']}")[1]["targetRtoMinutes"] == 10080
    update = {"version": plan["version"], "targetRtoMinutes": None}
    status, updated = call_api("PUT", f"/recovery-plans/{plan['planId']}", update)
    assert status == 200 and updated["targetRtoMinutes"] is None
    assert (
        plan_body(groups)["planName"]
        and "targetRtoMinutes" in call_api("GET", "/recovery-plans")[1]["items"][0]
    )
