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

from sandbox import faults, hooks
from sandbox.drs_data import ACCOUNTS, Estate
from sandbox.drs_faults import FaultyDrsEmulator
from sandbox.slack_fake import DEFAULT_CHANNEL, SlackDown, SlackRecorder
from sandbox.web import Routes

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
        "quotas": DEFAULT_QUOTAS,
    }
    call(routes, "POST", "/_sandbox/faults", {"slack": "down", "drs": "throttle"})
    status, _, now = call(routes, "POST", "/_sandbox/faults", {"failingServers": "recover"})
    assert status == 200
    assert now == {
        "slack": "down",
        "sns": "ok",
        "drs": "throttle",
        "failingServers": "recover",
        "quotas": DEFAULT_QUOTAS,
    }


@pytest.mark.parametrize("body", [{"slack": "flaky"}, {"sqs": "error"}, {"drs": None, "x": 1}, []])
def test_a_bad_faults_change_is_a_400_and_changes_nothing(routes: Routes, body: Any) -> None:
    status, _, answer = call(routes, "POST", "/_sandbox/faults", body)
    assert status == 400 and answer["error"] == "VALIDATION_ERROR"
    assert faults.current() == faults.Faults()


def test_another_process_reads_the_faults_in_force() -> None:
    # Given faults changed in this process, when a worker process (same environment) reads them
    faults.change(faults.FaultsChange(sns="error"))
    script = "from sandbox import faults; print(faults.current().model_dump_json())"
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
        finally:
            hooks.uninstall("sns")
