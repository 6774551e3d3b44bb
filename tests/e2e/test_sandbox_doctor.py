"""The self-check over HTTP: `drs-chatops doctor --sandbox <url>` against the running sandbox, and the
`deniedActions` fault as readiness, a forced drill and doctor see it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from sandbox.runtime.drs_http import PREFIX
from tests.e2e.conftest import RunningSandbox, http
from tests.e2e.waiting import wait_until_finished

pytestmark = pytest.mark.e2e


def doctor(*args: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "doctor", *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def results(stdout: str) -> dict[str, dict[str, Any]]:
    return {r["check"]: r for r in json.loads(stdout)["results"]}


@pytest.fixture
def denied_run_instances(sandbox: RunningSandbox) -> Iterator[None]:
    answer = http("POST", sandbox.info["faultsUrl"], {"deniedActions": ["ec2:RunInstances"]})
    assert answer.status == 200 and answer.json()["deniedActions"] == ["ec2:RunInstances"]
    yield
    lifted = http("POST", sandbox.info["faultsUrl"], {"deniedActions": []})
    assert lifted.json()["deniedActions"] == []  # other tests share this sandbox


def test_doctor_passes_a_healthy_sandbox(sandbox: RunningSandbox, runs: Any) -> None:
    # Given the sandbox with a group in its first account
    runs.plan([runs.free_servers(1)])
    # When doctor checks it
    code, stdout, stderr = doctor("--sandbox", sandbox.info["lambdaEndpoint"], "--json")
    # Then nothing FAILs, every check of the contract is there, and a WARN says why
    assert code == 0, stdout + stderr
    found = results(stdout)
    account = sandbox.info["accounts"][0]
    for check in ("stack", "slack", "subscriptions", "schedules", "reports", f"permissions:{account}"):
        assert found[check]["status"] == "PASS", found[check]
    assert {f"function:{f}" for f in ("api", "orchestrator", "bot", "notifier")} <= set(found)
    assert found[f"drs_initialized:{account}"]["status"] == "PASS"
    assert all(r["status"] == "PASS" or r["message"] for r in found.values())


def test_a_denied_action_fails_readiness_a_forced_drill_and_doctor(
    sandbox: RunningSandbox, runs: Any, denied_run_instances: None
) -> None:
    # Given a plan, and IAM denying ec2:RunInstances to every role
    plan = runs.plan([runs.free_servers(1)], onWaveFailure="fail")
    account = sandbox.info["accounts"][0]
    # When readiness is read, then permissions FAILs naming the action
    readiness = sandbox.api("GET", f"/recovery-plans/{plan.plan_id}/readiness").json()
    [permissions] = [c for c in readiness["checks"] if c["check"] == "permissions"]
    assert permissions["status"] == "FAIL" and "ec2:RunInstances" in permissions["message"]
    assert readiness["ready"] is False
    # When a drill is forced past it, then the launch fails and DRS's job log names the permission
    execution_id = runs.start(plan, force=True)
    ended = wait_until_finished(sandbox, execution_id)
    assert ended["status"] == "FAILED"
    assert "not authorized to perform: ec2:RunInstances" in ended["waves"][0]["message"]
    [job_id] = ended["waves"][0]["jobIds"]
    drs = boto3.client(
        "drs",
        endpoint_url=sandbox.info["lambdaEndpoint"] + PREFIX,
        region_name=sandbox.info["region"],
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
    )
    log = drs.describe_job_log_items(jobID=job_id)["items"]
    [failed] = [item for item in log if item["event"] == "LAUNCH_FAILED"]
    assert "ec2:RunInstances" in failed["eventData"]["rawError"]
    # When doctor checks the sandbox, then it exits 1 naming the check and the action
    code, stdout, _ = doctor("--sandbox", sandbox.info["lambdaEndpoint"])
    assert code == 1
    [line] = [line for line in stdout.splitlines() if line.startswith(f"permissions:{account}")]
    assert "FAIL" in line and "ec2:RunInstances" in line


@pytest.mark.parametrize(
    "args",
    [
        ("--stack", "drs-chatops", "--sandbox", "http://127.0.0.1:1"),
        ("--sandbox", "file:///etc/passwd"),
        ("--sandbox",),
        (),
        ("--stack", "drs-chatops", "--region", "not a region"),
    ],
)
def test_doctor_refuses_bad_arguments_with_exit_2(args: tuple[str, ...]) -> None:
    code, stdout, stderr = doctor(*args)
    assert code == 2 and stdout == "" and stderr
