"""The sandbox's hook surfaces routed through moto (sandbox/runtime/hook_surfaces.py): boto3's SSM Automation
and EC2 DescribeInstanceStatus calls reach the emulators in moto's own answers, per the account of
the credentials, while every other SSM and EC2 call stays moto's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sandbox.data.drs_data import ACCOUNTS, Estate
from sandbox.emulators.drs import DrsEmulator
from sandbox.emulators.ssm_automation import FAILED_STEP, FAILING_DOCUMENT, SUCCEEDING_DOCUMENT
from sandbox.runtime import hook_surfaces
from tests.support.aws_model import assert_valid_output
from tests.support.drs_model import OwnKeysRequest

OWN, OTHER = ACCOUNTS
REGION = "us-east-1"
Surfaces = tuple[hook_surfaces.HookSurfaces, DrsEmulator]


@pytest.fixture
def surfaces(monkeypatch: pytest.MonkeyPatch) -> Iterator[Surfaces]:
    from moto import mock_aws

    monkeypatch.setenv("MOTO_ACCOUNT_ID", OWN)  # the deployment's own keys act in the first account
    drs = DrsEmulator(Estate.demo(), complete_after_polls=1)
    with mock_aws():
        installed = hook_surfaces.install(drs.state, ACCOUNTS, complete_after_polls=2, ok_after_polls=2)
        try:
            yield installed, drs
        finally:
            hook_surfaces.uninstall()


def _other_account_session() -> boto3.Session:
    credentials = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{OTHER}:role/drs-chatops-drs-access", RoleSessionName="hooks"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )


def test_an_automation_runs_through_boto3_and_fails_naming_its_step(surfaces: Surfaces) -> None:
    # Given the deployment's own SSM client
    ssm = boto3.client("ssm", region_name=REGION)

    # When the failing check starts with the wave's instance ids and is polled to its end
    started = ssm.start_automation_execution(
        DocumentName=FAILING_DOCUMENT, Parameters={"InstanceIds": ["i-0aaa"]}
    )
    reads = [
        ssm.get_automation_execution(AutomationExecutionId=started["AutomationExecutionId"]) for _ in range(2)
    ]

    # Then botocore parsed valid answers: Pending, then Failed naming the step
    for read in reads:
        assert_valid_output("ssm", "GetAutomationExecution", read)
    execution = reads[-1]["AutomationExecution"]
    assert [r["AutomationExecution"]["AutomationExecutionStatus"] for r in reads] == ["Pending", "Failed"]
    assert [s["StepName"] for s in execution["StepExecutions"] if s["StepStatus"] == "Failed"] == [
        FAILED_STEP
    ]
    assert execution["Parameters"] == {"InstanceIds": ["i-0aaa"]}


def test_a_stopped_automation_reads_cancelled(surfaces: Surfaces) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    execution_id = ssm.start_automation_execution(DocumentName=SUCCEEDING_DOCUMENT)["AutomationExecutionId"]

    ssm.stop_automation_execution(AutomationExecutionId=execution_id)

    read = ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
    assert read["AutomationExecutionStatus"] == "Cancelled"


def test_an_automation_of_one_account_is_unknown_to_another(surfaces: Surfaces) -> None:
    # Given a check started with credentials of a role assumed in the second account
    other = _other_account_session().client("ssm")
    execution_id = other.start_automation_execution(DocumentName=SUCCEEDING_DOCUMENT)["AutomationExecutionId"]
    installed, _ = surfaces

    # When the deployment's own credentials (the first account) ask for it
    own = boto3.client("ssm", region_name=REGION)
    with pytest.raises(ClientError) as unknown:
        own.get_automation_execution(AutomationExecutionId=execution_id)

    # Then it is unknown there, and it ran in the second account
    assert unknown.value.response["Error"]["Code"] == "AutomationExecutionNotFoundException"
    assert [e.account for e in installed.ssm.started] == [OTHER]
    assert other.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]


def test_documents_are_the_emulators_or_moto_s_and_other_ssm_calls_stay_moto_s(surfaces: Surfaces) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    content = {"schemaVersion": "2.2", "mainSteps": [{"action": "aws:runShellScript", "name": "x"}]}
    ssm.create_document(Name="team-own-doc", Content=json.dumps(content), DocumentType="Command")
    ssm.put_parameter(Name="/drs-chatops/x", Value="y", Type="String")

    emulated = ssm.describe_document(Name=SUCCEEDING_DOCUMENT)
    own = ssm.describe_document(Name="team-own-doc")
    with pytest.raises(ClientError) as missing:
        ssm.describe_document(Name="drs-chatops-no-such-check")

    assert_valid_output("ssm", "DescribeDocument", emulated)
    assert emulated["Document"]["DocumentType"] == "Automation"
    assert own["Document"]["DocumentType"] == "Command"
    assert missing.value.response["Error"]["Code"] == "InvalidDocument"
    assert ssm.get_parameter(Name="/drs-chatops/x")["Parameter"]["Value"] == "y"


def _launch(drs: DrsEmulator, count: int) -> list[str]:
    """Launch ``count`` healthy servers of the first account; their recovery instances' EC2 ids."""
    respond = drs.responder()
    failing = set(drs.estate.failing_server_ids())
    servers = sorted(s for s in drs.estate.servers[OWN] if s not in failing)[:count]
    respond("StartRecovery", OwnKeysRequest({"sourceServers": [{"sourceServerID": s} for s in servers]}))
    respond("DescribeJobs", OwnKeysRequest({}))
    items: list[dict[str, Any]] = json.loads(respond("DescribeRecoveryInstances", OwnKeysRequest({}))[2])[
        "items"
    ]
    return [str(i["ec2InstanceID"]) for i in items]


def test_recovery_instances_status_checks_read_initializing_then_ok_beside_moto_s_instances(
    surfaces: Surfaces,
) -> None:
    # Given two recovery instances the DRS emulator launched, and one instance moto runs
    _, drs = surfaces
    recovered = _launch(drs, 2)
    ec2 = boto3.client("ec2", region_name=REGION)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    moto_instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]

    # When their status is read twice, all in one call
    reads = [ec2.describe_instance_status(InstanceIds=[*recovered, moto_instance]) for _ in range(2)]

    # Then botocore parsed one answer for all three; the recovery instances initialize, then pass
    for read in reads:
        assert_valid_output("ec2", "DescribeInstanceStatus", read)
    statuses = [
        {s["InstanceId"]: s["InstanceStatus"]["Status"] for s in r["InstanceStatuses"]} for r in reads
    ]
    assert statuses[0] == {**dict.fromkeys(recovered, "initializing"), moto_instance: "ok"}
    assert statuses[1] == {**dict.fromkeys(recovered, "ok"), moto_instance: "ok"}
    assert {s["SystemStatus"]["Status"] for s in reads[1]["InstanceStatuses"]} == {"ok"}


def test_a_recovery_instance_of_another_account_is_unknown_to_ec2(surfaces: Surfaces) -> None:
    _, drs = surfaces
    [recovered] = _launch(drs, 1)
    other = _other_account_session().client("ec2")

    with pytest.raises(ClientError) as unknown:
        other.describe_instance_status(InstanceIds=[recovered])

    assert unknown.value.response["Error"]["Code"] == "InvalidInstanceID.NotFound"
