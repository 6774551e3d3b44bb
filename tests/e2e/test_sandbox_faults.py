"""Faults on demand in a running sandbox: ``faultsUrl`` in /_sandbox/info, the faults endpoint's
contract, and the fake Slack Web API playing the Slack faults over HTTP."""

from __future__ import annotations

import time
import urllib.error
from collections.abc import Iterator
from http.client import RemoteDisconnected

import pytest

from tests.e2e.conftest import RunningSandbox, http

pytestmark = pytest.mark.e2e
HEAL = {  # what a POST sets to make the sandbox healthy again
    "slack": "ok",
    "sns": "ok",
    "drs": "ok",
    "failingServers": "fail",
    "deniedActions": [],
    "quotas": {"serversPerJob": 100, "concurrentJobs": 20, "serversInAllJobs": 500},
}
HEALTHY = {**HEAL, "liftAt": {}}


@pytest.fixture
def faults_url(sandbox: RunningSandbox) -> Iterator[str]:
    url = str(sandbox.info["faultsUrl"])
    yield url
    assert http("POST", url, HEAL).json() == HEALTHY  # other tests share this sandbox


def post_message(sandbox: RunningSandbox) -> int:
    body = {"channel": sandbox.info["slackChannelId"], "text": "fault probe"}
    return http("POST", sandbox.info["slackApiUrl"] + "chat.postMessage", body).status


def test_faults_are_read_and_changed_key_by_key(sandbox: RunningSandbox, faults_url: str) -> None:
    assert http("GET", faults_url).json() == HEALTHY
    changed = http("POST", faults_url, {"drs": "throttle"}).json()
    assert changed == {**HEALTHY, "drs": "throttle"} == http("GET", faults_url).json()
    refused = http("POST", faults_url, {"drs": "sometimes"})
    assert refused.status == 400 and refused.json()["error"] == "VALIDATION_ERROR"


def test_a_fault_given_seconds_lifts_by_itself(sandbox: RunningSandbox, faults_url: str) -> None:
    # Given Slack down for 2 s
    timed = http("POST", faults_url, {"slack": "down", "faultSeconds": 2}).json()
    assert timed["slack"] == "down" and set(timed["liftAt"]) == {"slack"}
    # When they have passed, Then Slack answers again without anyone lifting the fault
    time.sleep(2.5)
    assert http("GET", faults_url).json() == HEALTHY
    assert post_message(sandbox) == 200


def test_the_fake_slack_plays_the_slack_fault_in_force(sandbox: RunningSandbox, faults_url: str) -> None:
    assert post_message(sandbox) == 200
    http("POST", faults_url, {"slack": "ratelimited"})
    response = http("POST", sandbox.info["slackApiUrl"] + "chat.postMessage", {"channel": "C0SANDBOX"})
    assert response.status == 429 and response.headers["Retry-After"] == "1"
    http("POST", faults_url, {"slack": "down"})
    with pytest.raises((RemoteDisconnected, urllib.error.URLError, ConnectionError)):
        post_message(sandbox)
    http("POST", faults_url, {"slack": "ok"})
    assert post_message(sandbox) == 200
