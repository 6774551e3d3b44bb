"""Faults on demand (``/_sandbox/faults``): the contract, state shared across processes, and each
fault where it acts - the fake Slack, the DRS emulator's responder, ``sns.Publish``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from sandbox.data.drs_data import ACCOUNTS, Estate
from sandbox.emulators import faults, hooks
from sandbox.emulators.drs_faults import FaultyDrsEmulator
from sandbox.emulators.slack_fake import DEFAULT_CHANNEL, SlackDown, SlackRecorder
from sandbox.web.routes import Routes

DEFAULT_QUOTAS = {"serversPerJob": 100, "concurrentJobs": 20, "serversInAllJobs": 500}


@pytest.fixture(autouse=True)
def faults_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv(faults.ENV_VAR, raising=False)
    path = faults.prepare(str(tmp_path))
    yield path
    faults.discard()


@pytest.fixture
def routes() -> Routes:
    sandbox = SimpleNamespace(slack=SlackRecorder(), base_url="http://sandbox", signing_secret="s")
    return Routes(sandbox)  # type: ignore[arg-type]


def call(routes: Routes, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
    raw = json.dumps(body).encode() if body is not None else b""
    status, headers, payload = routes.dispatch(method, path, {"Content-Type": "application/json"}, raw)
    return status, headers, json.loads(payload)


def test_faults_start_healthy_and_a_change_keeps_the_keys_it_does_not_name(routes: Routes) -> None:
    assert call(routes, "GET", "/_sandbox/faults")[2] == {
        "slack": "ok",
        "sns": "ok",
        "drs": "ok",
        "failingServers": "fail",
        "deniedActions": [],
        "quotas": DEFAULT_QUOTAS,
        "liftAt": {},
    }
    call(routes, "POST", "/_sandbox/faults", {"slack": "down", "drs": "throttle"})
    status, _, now = call(routes, "POST", "/_sandbox/faults", {"failingServers": "recover"})
    assert status == 200
    assert now == {
        "slack": "down",
        "sns": "ok",
        "drs": "throttle",
        "failingServers": "recover",
        "deniedActions": [],
        "quotas": DEFAULT_QUOTAS,
        "liftAt": {},
    }


@pytest.mark.parametrize("body", [{"slack": "flaky"}, {"sqs": "error"}, {"drs": None, "x": 1}, []])
def test_a_bad_faults_change_is_a_400_and_changes_nothing(routes: Routes, body: Any) -> None:
    status, _, answer = call(routes, "POST", "/_sandbox/faults", body)
    assert status == 400 and answer["error"] == "VALIDATION_ERROR"
    assert faults.current() == faults.Faults()


def test_another_process_reads_the_faults_in_force() -> None:
    # Given faults changed in this process, when a worker process (same environment) reads them
    faults.change(faults.FaultsChange(sns="error"))
    script = "from sandbox.emulators import faults; print(faults.current().model_dump_json())"
    out = subprocess.run(
        [sys.executable, "-c", script], env=dict(os.environ), capture_output=True, text=True, check=True
    )
    # Then it sees them, and a later change too (the cache follows the file)
    assert json.loads(out.stdout)["sns"] == "error"
    faults.change(faults.FaultsChange(sns="ok"))
    assert faults.current().sns == "ok"


def slack_post(routes: Routes, channel: str = DEFAULT_CHANNEL) -> tuple[int, dict[str, str], Any]:
    body = json.dumps({"channel": channel, "text": "hello"}).encode()
    status, headers, payload = routes.dispatch(
        "POST", "/slack-api/chat.postMessage", {"Content-Type": "application/json"}, body
    )
    return status, headers, json.loads(payload)


def test_the_fake_slack_plays_each_slack_fault(routes: Routes) -> None:
    assert slack_post(routes)[2]["ok"] is True
    faults.change(faults.FaultsChange(slack="ratelimited"))
    status, headers, body = slack_post(routes)
    assert (status, headers["Retry-After"], body["error"]) == (429, "1", "ratelimited")
    faults.change(faults.FaultsChange(slack="error"))
    assert slack_post(routes)[0] == 500
    faults.change(faults.FaultsChange(slack="down"))
    with pytest.raises(SlackDown):  # the web server drops the connection unanswered
        slack_post(routes)


def test_the_fake_slack_knows_which_channels_exist(routes: Routes) -> None:
    assert slack_post(routes, "C0NOSUCHCHANNEL")[2] == {"ok": False, "error": "channel_not_found"}
    assert slack_post(routes, "D0ADIRECTMSG")[2]["ok"] is True


def drs_request(operation: str, body: dict[str, Any]) -> AWSPreparedRequest:
    url = "https://drs.us-east-1.amazonaws.com/"
    return AWSPreparedRequest("POST", url, {}, json.dumps(body).encode(), False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [("throttle", 429, "ThrottlingException"), ("error", 500, "InternalServerException")],
)
def test_drs_faults_answer_as_drs_does(fault: str, status: int, code: str) -> None:
    respond = FaultyDrsEmulator(Estate.demo()).responder()
    assert respond("DescribeJobs", drs_request("DescribeJobs", {}))[0] == 200
    faults.change(faults.FaultsChange(drs=fault))  # type: ignore[arg-type]
    answer = respond("DescribeJobs", drs_request("DescribeJobs", {}))
    assert (answer[0], answer[1]["x-amzn-ErrorType"]) == (status, code)


def launch_of_failing_server(monkeypatch: pytest.MonkeyPatch) -> str:
    estate = Estate.demo()
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNTS[0])  # unsigned calls act in the deployment's account
    respond = FaultyDrsEmulator(estate, complete_after_polls=1).responder()
    failing = estate.failing_server_ids()[0]
    started = respond(
        "StartRecovery", drs_request("StartRecovery", {"sourceServers": [{"sourceServerID": failing}]})
    )
    job_id = json.loads(started[2])["job"]["jobID"]
    described = json.loads(
        respond("DescribeJobs", drs_request("DescribeJobs", {"filters": {"jobIDs": [job_id]}}))[2]
    )
    return str(described["items"][0]["participatingServers"][0]["launchStatus"])


def test_failing_servers_fail_until_told_to_recover(monkeypatch: pytest.MonkeyPatch) -> None:
    assert launch_of_failing_server(monkeypatch) == "FAILED"
    faults.change(faults.FaultsChange(failingServers="recover"))
    assert launch_of_failing_server(monkeypatch) == "LAUNCHED"


def test_the_sns_fault_fails_publish_where_lambda_code_runs() -> None:
    with mock_aws():
        faults.install_worker_hooks()
        try:
            sns = boto3.client("sns", region_name="us-east-1", config=Config(retries={"max_attempts": 1}))
            topic = sns.create_topic(Name="t")["TopicArn"]
            sns.publish(TopicArn=topic, Message="fine")
            faults.change(faults.FaultsChange(sns="error"))
            with pytest.raises(ClientError) as raised:
                sns.publish(TopicArn=topic, Message="fails")
            assert raised.value.response["Error"]["Code"] == "InternalError"
            sns.list_topics()  # other calls are untouched
        finally:  # both hooks install_worker_hooks installed: a Service Quotas answer left behind
            # would answer later tests in this process with the sandbox's quotas
            hooks.uninstall("sns")
            hooks.uninstall("service-quotas")


def start_in_deployment_account(respond: Any, servers: list[str]) -> tuple[int, dict[str, str], Any]:
    body = {"sourceServers": [{"sourceServerID": s} for s in servers], "isDrill": True}
    status, headers, raw = respond("StartRecovery", drs_request("StartRecovery", body))
    return status, headers, json.loads(raw)


def test_the_quotas_fault_sets_what_drs_enforces_and_an_empty_one_restores_the_defaults(
    routes: Routes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNTS[0])
    estate = Estate.demo()
    servers = estate.healthy_server_ids(ACCOUNTS[0])
    respond = FaultyDrsEmulator(estate, complete_after_polls=100).responder()
    # Given quotas of 2 servers a job, 2 jobs at once, 3 servers in all jobs
    quotas = {"serversPerJob": 2, "concurrentJobs": 2, "serversInAllJobs": 3}
    assert call(routes, "POST", "/_sandbox/faults", {"quotas": quotas})[2]["quotas"] == quotas
    # Then a job of 3 is refused as DRS refuses it (botocore's shape: 402, the quota named)
    status, headers, body = start_in_deployment_account(respond, servers[:3])
    assert (status, headers["x-amzn-ErrorType"]) == (402, "ServiceQuotaExceededException")
    assert body["serviceCode"] == "drs" and "single Drill or Recovery job" in body["message"]
    # and jobs of 2 then 1 fit, but no third job and no fourth server in running jobs
    assert start_in_deployment_account(respond, servers[:2])[0] == 202
    assert "in all Jobs" in start_in_deployment_account(respond, servers[2:4])[2]["message"]
    assert start_in_deployment_account(respond, servers[2:3])[0] == 202
    assert "concurrent Jobs" in start_in_deployment_account(respond, servers[3:4])[2]["message"]
    # When {} is posted, DRS's defaults are back
    assert call(routes, "POST", "/_sandbox/faults", {"quotas": {}})[2]["quotas"] == DEFAULT_QUOTAS


def test_service_quotas_lists_the_quotas_in_force_as_the_product_reads_them() -> None:
    from handlers.aws import quotas as product_quotas

    # Given quotas set through the fault knob
    faults.change(faults.FaultsChange(quotas=faults.QuotasFault(serversPerJob=4, concurrentJobs=2)))
    request = AWSPreparedRequest(
        "POST", "https://servicequotas.us-east-1.amazonaws.com/", {}, b'{"ServiceCode": "drs"}', False
    )  # type: ignore[arg-type]
    # When Service Quotas is asked for DRS's quotas where Lambda code runs (the hook's responder)
    answer = faults.service_quotas_responder("ListServiceQuotas", request)
    # Then it lists them under the names handlers/aws/quotas.py matches, and leaves other calls to moto
    assert answer is not None and answer[0] == 200
    listed = json.loads(answer[2])["Quotas"]
    found = [product_quotas._find(listed, product_quotas._NAMES[k]) for k in product_quotas._NAMES]
    assert found == [4, 2, 500]
    assert faults.service_quotas_responder("ListServices", request) is None


def test_servers_are_added_to_an_account_healthy_with_snapshots_and_tags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sandbox.emulators.drs import DrsEmulator

    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNTS[1])
    drs = DrsEmulator(Estate.demo())
    sandbox = SimpleNamespace(slack=SlackRecorder(), base_url="http://sandbox", signing_secret="s", drs=drs)
    routes = Routes(sandbox)  # type: ignore[arg-type]
    # When 1,500 servers tagged App=big are added to the second account
    request = {"accountId": ACCOUNTS[1], "count": 1500, "tags": {"App": "big"}}
    status, _, answer = call(routes, "POST", "/_sandbox/drs-state/servers", request)
    # Then they exist there, healthy, tagged, each with hourly snapshots of the last 7 days
    assert status == 201 and len(set(answer["sourceServerIds"])) == 1500
    added = [drs.estate.find(ACCOUNTS[1], s) for s in answer["sourceServerIds"]]
    assert all(
        s is not None and s.replication_state == "CONTINUOUS" and s.tags["App"] == "big" for s in added
    )
    assert all(drs.estate.find(ACCOUNTS[0], s) is None for s in answer["sourceServerIds"])
    snapshots = drs.describe_recovery_snapshots(
        ACCOUNTS[1], {"sourceServerID": answer["sourceServerIds"][-1]}
    )
    assert len(snapshots["items"]) >= 7 * 24
    # and a count over 2,000, or no account, is a 400 naming the field
    for bad in ({"accountId": ACCOUNTS[1], "count": 2001}, {"count": 1}):
        status, _, error = call(routes, "POST", "/_sandbox/drs-state/servers", bad)
        assert status == 400 and error["error"] == "VALIDATION_ERROR", error
    assert (
        "count"
        in call(routes, "POST", "/_sandbox/drs-state/servers", {"accountId": ACCOUNTS[1], "count": 2001})[2][
            "message"
        ]
    )


def test_a_fault_given_seconds_lifts_by_itself_in_every_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given DRS failing for 30 s and Slack rate-limited with no end
    clock = [1000.0]
    monkeypatch.setattr(faults.time, "time", lambda: clock[0])
    faults.change(faults.FaultsChange(drs="error", faultSeconds=30))
    faults.change(faults.FaultsChange(slack="ratelimited"))
    assert (faults.current().drs, faults.current().liftAt) == ("error", {"drs": 1030.0})
    # When the 30 s have passed, Then DRS answers again and Slack is still rate-limited
    clock[0] = 1030.5
    assert (faults.current().drs, faults.current().slack, faults.current().liftAt) == (
        "ok",
        "ratelimited",
        {},
    )


def test_a_new_change_of_a_timed_fault_replaces_its_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]
    monkeypatch.setattr(faults.time, "time", lambda: clock[0])
    faults.change(faults.FaultsChange(sns="error", faultSeconds=5))
    faults.change(faults.FaultsChange(sns="error"))  # no end any more
    clock[0] = 60
    assert faults.current().sns == "error" and faults.current().liftAt == {}


def test_fault_seconds_without_a_fault_to_lift_is_refused() -> None:
    with pytest.raises(ValueError, match="faultSeconds goes with a slack, sns or drs fault"):
        faults.FaultsChange.model_validate({"faultSeconds": 10, "failingServers": "recover"})
    with pytest.raises(ValueError):
        faults.FaultsChange.model_validate({"drs": "error", "faultSeconds": 0})
