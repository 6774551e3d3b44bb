"""Every per-concern template deploys into moto's CloudFormation, in the order the root and the
sandbox chain them (parameters matched by name to earlier stacks' outputs).

Resource types moto's CloudFormation lacks are skipped by moto; this test names them, with what
covers them instead, and fails when a template starts using another one, so nothing is dropped
silently. (The root's nested stacks are checked statically in tests/unit/test_templates_root.py.)
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.cloudformation.parsing import NULL_MODELS, get_model_map

from sandbox.data import cfn_template
from tests.support.templates import CONCERNS

REGION = "us-east-1"
BUCKET, KEY = "code-bucket", "lambda/bundle.zip"
VALUES = {
    "ProjectName": "drs-chatops",
    "Environment": "citest",
    "CodeBucket": BUCKET,
    "CodeKey": KEY,
    "CognitoUserPoolArn": f"arn:aws:cognito-idp:{REGION}:123456789012:userpool/{REGION}_Example",
    "AlarmEmail": "oncall@example.com",
}
# What moto's CloudFormation skips, and what checks it instead.
MOTO_LACKS = {
    "AWS::ApiGateway::Authorizer": "tests/unit/test_templates_resources.py (Cognito on every route)",
    "AWS::ApiGateway::Stage": "tests/unit/test_templates_resources.py (throttling, tracing)",
    "AWS::CloudWatch::Alarm": "tests/unit/test_templates_resources.py (alarm actions) and cfn-lint",
    "AWS::Logs::QueryDefinition": "tests/unit/test_templates_resources.py (queries) and cfn-lint",
    "AWS::Scheduler::ScheduleGroup": "the sandbox creates it through the Scheduler API (sandbox/runtime/scheduler.py); "
    "cfn-lint",
    "AWS::S3::BucketPolicy": "tests/unit/test_templates_resources.py (the reports bucket denies non-TLS access)",
    "AWS::SNS::Subscription": "the sandbox subscribes itself (sandbox/runtime/cfn_subscriptions.py); cfn-lint",
    "AWS::WAFv2::WebACL": "tests/unit/test_templates_resources.py (per-client callback rate rule)",
    "AWS::WAFv2::WebACLAssociation": "tests/unit/test_templates_resources.py (every stage has the web ACL)",
}
SUPPORTED = set(get_model_map()) - set(NULL_MODELS)


@pytest.fixture
def aws() -> Any:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as bundle:
            bundle.writestr("handlers/__init__.py", "")
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=buffer.getvalue())
        yield boto3.client("cloudformation", region_name=REGION)


def _deploy(cloudformation: Any, name: str, template: dict[str, Any], available: dict[str, str]) -> Any:
    parameters = []
    for key, spec in (template.get("Parameters") or {}).items():
        if key in available:
            parameters.append({"ParameterKey": key, "ParameterValue": str(available[key])})
        else:
            assert "Default" in spec, f"{name}: nothing provides parameter {key}"
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=parameters,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    )
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    return stack


def _created(cloudformation: Any, name: str) -> dict[str, str]:
    """Logical id -> type of what moto created (its rows for skipped types carry neither)."""
    rows = cloudformation.describe_stack_resources(StackName=name)["StackResources"]
    return {r["LogicalResourceId"]: r["ResourceType"] for r in rows if r.get("LogicalResourceId")}


def test_every_concern_deploys_in_order_and_only_known_gaps_are_skipped(aws: Any) -> None:
    outputs: dict[str, str] = {}
    skipped: dict[str, set[str]] = {}
    for concern in CONCERNS:
        template = cfn_template.load(cfn_template.CFN_DIR / f"{concern}.yaml")
        cfn_template.adapt(template, BUCKET, KEY)
        name = f"citest-{concern}"
        stack = _deploy(aws, name, template, {**outputs, **VALUES})
        declared = {o for o in template.get("Outputs") or {}}
        got = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}
        assert declared <= set(got), f"{concern}: outputs missing {declared - set(got)}"
        outputs.update(got)

        created = _created(aws, name)
        for logical_id, resource in template["Resources"].items():
            if "Condition" in resource:
                continue
            kind = resource["Type"]
            if kind in SUPPORTED:
                assert logical_id in created, f"{concern}: moto did not create {logical_id} ({kind})"
            else:
                skipped.setdefault(kind, set()).add(f"{concern}.{logical_id}")

    unknown = set(skipped) - set(MOTO_LACKS)
    assert not unknown, f"moto's CloudFormation skips {unknown}: say in MOTO_LACKS what checks them instead"
    report = "; ".join(f"{k} ({len(v)}: {MOTO_LACKS[k]})" for k, v in sorted(skipped.items()))
    warnings.warn(f"moto's CloudFormation skipped {report}", stacklevel=1)
    assert outputs["ApiUrl"].startswith("https://")
    assert outputs["StateMachineArn"].startswith("arn:aws:states:")


def test_tables_come_out_with_the_template_key_schemas(aws: Any) -> None:
    """(moto's CloudFormation ignores PointInTimeRecoverySpecification; the unit tests check it.)"""
    template = cfn_template.load(cfn_template.CFN_DIR / "data.yaml")
    _deploy(aws, "citest-data", template, VALUES)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    tables = [r for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    for table in tables:
        name = table["Properties"]["TableName"]["Fn::Sub"].replace("${ProjectName}", "drs-chatops")
        described = dynamodb.describe_table(TableName=name.replace("${Environment}", "citest"))["Table"]
        assert described["KeySchema"] == table["Properties"]["KeySchema"]


def test_the_target_account_role_deploys(aws: Any) -> None:
    template = cfn_template.load(cfn_template.CFN_DIR / "drs-target-role.yaml")
    stack = _deploy(
        aws,
        "citest-drs-target",
        template,
        {
            "OrchestratorRoleArn": "arn:aws:iam::123456789012:role/orchestrator",
            "ApiRoleArn": "arn:aws:iam::123456789012:role/api",
            "BotRoleArn": "arn:aws:iam::123456789012:role/bot",
            "ExternalId": "x" * 24,
        },
    )
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["RoleName"] == "drs-chatops-drs-access"
    trust = boto3.client("iam", region_name=REGION).get_role(RoleName="drs-chatops-drs-access")["Role"]
    statement = trust["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == "x" * 24
