"""What the sandbox provides for wave hooks, over HTTP as the product's workers reach it: the hook
function through the Lambda Invoke API, its deployment in each account, SSM Automation at the
embedded AWS endpoint, and ``/_sandbox/info``'s ``hookFunctions`` and ``automationDocuments``."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import RunningSandbox

pytestmark = pytest.mark.e2e


def _aws(sandbox: RunningSandbox, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=sandbox.info["awsEndpoint"],
        region_name=sandbox.info["region"],
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
    )


def test_the_hook_function_answers_as_its_payload_asks_through_the_invoke_api(
    sandbox: RunningSandbox,
) -> None:
    # Given the hook function /_sandbox/info names
    [function] = sandbox.info["hookFunctions"]
    client = sandbox.lambda_client()
    event = {"execution": {"executionId": "e-1", "waveNumber": 1, "phase": "before"}, "servers": []}

    # When it is invoked to pass, to fail and to raise
    answers = {
        name: client.invoke(FunctionName=function, Payload=json.dumps({**event, "payload": payload}).encode())
        for name, payload in {"pass": {}, "fail": {"fail": True}, "raise": {"raise": True}}.items()
    }
    payloads = {name: json.loads(answer["Payload"].read()) for name, answer in answers.items()}

    # Then it passed, failed with a message, and raised as a function error
    assert payloads["pass"]["status"] == "PASSED"
    assert payloads["fail"]["status"] == "FAILED" and payloads["fail"]["message"]
    assert answers["raise"]["FunctionError"] == "Unhandled"
    assert "FunctionError" not in answers["pass"]


def test_the_hook_function_is_found_from_every_demo_account(sandbox: RunningSandbox) -> None:
    # Given credentials of the deployment's own account, and of a role assumed in the second
    [function] = sandbox.info["hookFunctions"]
    second = sandbox.info["accounts"][1]
    credentials = _aws(sandbox, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{second}:role/drs-chatops-drs-access", RoleSessionName="e2e"
    )["Credentials"]
    other = boto3.client(
        "lambda",
        endpoint_url=sandbox.info["awsEndpoint"],
        region_name=sandbox.info["region"],
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )

    # When each looks the function up (as readiness checks a hook's function exists)
    found = [c.get_function(FunctionName=function)["Configuration"] for c in (_aws(sandbox, "lambda"), other)]

    # Then both find it, with the sandbox's handler and Lambda's longest timeout
    assert [f["Handler"] for f in found] == ["sandbox.runtime.hook_function.lambda_handler"] * 2
    assert {f["Timeout"] for f in found} == {900}


def test_the_sandbox_documents_run_at_the_aws_endpoint(sandbox: RunningSandbox) -> None:
    # Given the documents /_sandbox/info names
    succeeding, failing = sandbox.info["automationDocuments"]
    ssm = _aws(sandbox, "ssm")

    # When each is described and started
    described = [ssm.describe_document(Name=name)["Document"]["Name"] for name in (succeeding, failing)]
    started = ssm.start_automation_execution(DocumentName=succeeding, Parameters={"InstanceIds": ["i-0aaa"]})
    read = ssm.get_automation_execution(AutomationExecutionId=started["AutomationExecutionId"])

    # Then both exist, and the check runs (it ends a few seconds later)
    assert described == [succeeding, failing]
    assert read["AutomationExecution"]["AutomationExecutionStatus"] in {"Pending", "InProgress"}
    assert read["AutomationExecution"]["Parameters"] == {"InstanceIds": ["i-0aaa"]}
