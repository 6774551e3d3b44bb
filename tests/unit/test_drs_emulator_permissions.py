"""The DRS emulator when a permission is denied (the sandbox's deniedActions fault): a denied DRS call
is refused, a launch whose EC2 work needs a denied action fails with a job log naming it; and it
answers DescribeReplicationConfigurationTemplates for every account. Every answer in botocore's shape."""

from __future__ import annotations

import json

from sandbox.data.drs_data import Estate
from sandbox.emulators.drs import DrsEmulator
from tests.support.drs_model import OwnKeysRequest, assert_valid_output


def _call(drs: DrsEmulator, operation: str, body: dict) -> tuple[int, dict]:
    status, _, raw = drs.responder()(operation, OwnKeysRequest(body))
    return status, json.loads(raw)


def _estate_server(drs: DrsEmulator) -> tuple[str, str]:
    account, servers = next(iter(drs.estate.source_server_ids().items()))
    healthy = [s for s in servers if s not in drs.estate.failing_server_ids()]
    return account, healthy[0]


def test_a_launch_lacking_an_ec2_permission_fails_and_its_job_log_names_it(monkeypatch) -> None:
    # Given ec2:RunInstances is denied to every caller
    drs = DrsEmulator(Estate.demo(), complete_after_polls=1, denied_actions={"ec2:RunInstances"})
    account, server = _estate_server(drs)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", account)
    # When a recovery of a healthy server starts and its job is read
    status, started = _call(drs, "StartRecovery", {"sourceServers": [{"sourceServerID": server}]})
    job_id = started["job"]["jobID"]
    _, jobs = _call(drs, "DescribeJobs", {"filters": {"jobIDs": [job_id]}})
    _, log = _call(drs, "DescribeJobLogItems", {"jobID": job_id})
    # Then the server failed to launch and the log says which permission was missing
    assert status == 202
    assert jobs["items"][0]["participatingServers"][0]["launchStatus"] == "FAILED"
    [failed] = [i for i in log["items"] if i["event"] == "LAUNCH_FAILED"]
    assert failed["eventData"]["sourceServerID"] == server
    assert "not authorized to perform: ec2:RunInstances" in failed["eventData"]["rawError"]
    assert_valid_output("DescribeJobLogItems", log)


def test_a_denied_drs_action_is_refused_as_drs_refuses_it(monkeypatch) -> None:
    drs = DrsEmulator(Estate.demo(), denied_actions={"drs:StartRecovery"})
    account, server = _estate_server(drs)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", account)
    status, answer = _call(drs, "StartRecovery", {"sourceServers": [{"sourceServerID": server}]})
    assert status == 403 and "not authorized to perform: drs:StartRecovery" in answer["message"]
    assert drs.started == []


def test_every_account_is_initialized_with_one_replication_configuration_template(monkeypatch) -> None:
    drs = DrsEmulator(Estate.demo())
    account, _ = _estate_server(drs)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", account)
    status, answer = _call(drs, "DescribeReplicationConfigurationTemplates", {})
    assert status == 200 and len(answer["items"]) == 1 and account in answer["items"][0]["arn"]
    assert_valid_output("DescribeReplicationConfigurationTemplates", answer)
