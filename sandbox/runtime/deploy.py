"""Deploy the per-concern templates in ``cfn/`` into moto's CloudFormation, as production does.

Each stack gets its parameters by name: the outputs of the stacks deployed before it, plus sandbox
values (project, environment, code bundle, placeholder Cognito pool, Slack settings). Never a
root/nested template: moto cannot fetch nested templates and the per-concern files are the unit.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from dataclasses import dataclass, field
from typing import Any

from sandbox.data import cfn_template
from sandbox.runtime import cfn_subscriptions

log = logging.getLogger("sandbox.runtime.deploy")

ORDER = ("data", "notifications", "api", "orchestration", "bot", "monitoring")
CODE_BUCKET = "drs-chatops-sandbox-code"
CODE_KEY = "lambda/bundle.zip"

# What the sandbox serves in place of resource types moto's CloudFormation lacks or does not serve.
PROVIDED_INSTEAD = {
    "AWS::Lambda::Url": "functions are reachable through the sandbox's Lambda Invoke API and /slack/events",
    "AWS::SecretsManager::Secret": "the sandbox stores its Slack secret through the Secrets Manager API",
    "AWS::CloudWatch::Alarm": "no alarms in the sandbox; errors are printed in the sandbox log",
    "AWS::ApiGateway::RestApi": "moto records the REST API; the sandbox serves its routes at /api",
    "AWS::ApiGateway::Authorizer": "X-Sandbox-Account / X-Sandbox-User headers become Cognito claims",
    "AWS::ApiGateway::Stage": "no stage prefix: the sandbox serves the routes at /api",
    "AWS::SNS::Subscription": "the sandbox subscribes through the SNS API after the stack is created",
    "AWS::Logs::QueryDefinition": "no saved Logs Insights queries: the sandbox log is the log",
    "AWS::ApiGateway::Account": "no API Gateway access logs in the sandbox: the sandbox log is the log",
    "AWS::Scheduler::ScheduleGroup": "the sandbox creates the group through the Scheduler API and "
    "runs its schedules itself (sandbox/runtime/scheduler.py)",
    "AWS::WAFv2::WebACL": "no per-client WAF limit in the sandbox (a single local client)",
    "AWS::WAFv2::WebACLAssociation": "no per-client WAF limit in the sandbox (a single local client)",
}


@dataclass
class Deployment:
    stacks: dict[str, str] = field(default_factory=dict)  # concern -> stack name
    outputs: dict[str, str] = field(default_factory=dict)
    resources: list[dict[str, Any]] = field(default_factory=list)  # describe_stack_resources rows

    def physical_ids(self, resource_type: str) -> dict[str, str]:
        return {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in self.resources
            if r.get("ResourceType") == resource_type and r.get("PhysicalResourceId")
        }


def deploy_all(sandbox_values: dict[str, str], stack_prefix: str) -> Deployment:
    import boto3

    cloudformation = boto3.client("cloudformation")
    _upload_code_bundle(boto3.client("s3"))
    deployment = Deployment()
    values = {**sandbox_values, "CodeBucket": CODE_BUCKET, "CodeKey": CODE_KEY}
    for concern in ORDER:
        template = cfn_template.load(cfn_template.CFN_DIR / f"{concern}.yaml")
        for note in cfn_template.adapt(template, CODE_BUCKET, CODE_KEY):
            log.info("cfn/%s.yaml: %s", concern, note)
        _log_substitutes(concern, template)
        stack = f"{stack_prefix}-{concern}"
        # Sandbox values win over outputs: e.g. the api stack outputs an execute-api ApiUrl, but in
        # the sandbox the REST API is served at <web port>/api.
        parameters = _parameters(concern, template, {**deployment.outputs, **values})
        cloudformation.create_stack(
            StackName=stack,
            TemplateBody=json.dumps(template),
            Parameters=parameters,
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
        if described["StackStatus"] != "CREATE_COMPLETE":
            raise RuntimeError(
                f"stack {stack}: {described['StackStatus']} {described.get('StackStatusReason', '')}"
            )
        for output in described.get("Outputs") or []:
            deployment.outputs[output["OutputKey"]] = output["OutputValue"]
        created = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
        deployment.resources += created
        cfn_subscriptions.create_subscriptions(
            concern,
            template,
            {p["ParameterKey"]: p["ParameterValue"] for p in parameters},
            {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in created if r.get("PhysicalResourceId")},
        )
        deployment.stacks[concern] = stack
        log.info("deployed cfn/%s.yaml as stack %s (%d parameters)", concern, stack, len(parameters))
    return deployment


TARGET_ROLE_TEMPLATE = "drs-target-role"
TARGET_EXTERNAL_ID = "drs-chatops-sandbox-external-id"  # the sandbox's, 16+ characters


def deploy_target_roles(deployment: Deployment, accounts: list[str], stack_prefix: str) -> None:
    """Deploy ``cfn/drs-target-role.yaml`` in each of ``accounts`` (not the deployment's own), as an
    operator does in every account a group names: the role drs-chatops assumes there, with the
    policies readiness simulates (:mod:`sandbox.emulators.iam_simulation`). moto acts in the account of the
    credentials, so each stack is created with credentials of a role assumed in that account."""
    import boto3

    template = cfn_template.load(cfn_template.CFN_DIR / f"{TARGET_ROLE_TEMPLATE}.yaml")
    values = {**deployment.outputs, "ExternalId": TARGET_EXTERNAL_ID}
    for account in accounts:
        credentials = boto3.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/drs-chatops-sandbox-deployer", RoleSessionName="deploy"
        )["Credentials"]
        cloudformation = boto3.client(
            "cloudformation",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        stack = f"{stack_prefix}-{TARGET_ROLE_TEMPLATE}"
        cloudformation.create_stack(
            StackName=stack,
            TemplateBody=json.dumps(template),
            Parameters=_parameters(TARGET_ROLE_TEMPLATE, template, values),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        )
        status = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        if status != "CREATE_COMPLETE":
            raise RuntimeError(f"stack {stack} in account {account}: {status}")
        log.info("deployed cfn/%s.yaml in account %s as stack %s", TARGET_ROLE_TEMPLATE, account, stack)


def _parameters(concern: str, template: dict[str, Any], available: dict[str, str]) -> list[dict[str, str]]:
    parameters = []
    for name, spec in (template.get("Parameters") or {}).items():
        if name in available:
            parameters.append({"ParameterKey": name, "ParameterValue": str(available[name])})
        elif "Default" not in spec:
            log.warning(
                "cfn/%s.yaml parameter %s has no sandbox value and no default: passing a placeholder "
                "(add it to sandbox values or an earlier stack's outputs)",
                concern,
                name,
            )
            parameters.append({"ParameterKey": name, "ParameterValue": "sandbox-placeholder"})
    return parameters


def _log_substitutes(concern: str, template: dict[str, Any]) -> None:
    from moto.cloudformation.parsing import NULL_MODELS, get_model_map

    supported = set(get_model_map()) - set(NULL_MODELS)
    for kind in sorted(cfn_template.resource_types(template)):
        if kind in PROVIDED_INSTEAD:
            log.info("cfn/%s.yaml %s: %s", concern, kind, PROVIDED_INSTEAD[kind])
        elif kind not in supported:
            log.warning(
                "cfn/%s.yaml %s: moto lacks it; the sandbox has no substitute (skipped)", concern, kind
            )


def _upload_code_bundle(s3: Any) -> None:
    """moto's Lambda wants real code at CodeBucket/CodeKey; the sandbox runs the handlers in its workers."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("README.txt", "drs-chatops sandbox: handlers run in the sandbox's worker processes\n")
    s3.create_bucket(Bucket=CODE_BUCKET)
    s3.put_object(Bucket=CODE_BUCKET, Key=CODE_KEY, Body=buffer.getvalue())
