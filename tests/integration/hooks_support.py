"""Deploying a hook function in a test account's moto, as an operator deploys one in a plan's account
(readiness ``hooks_resolvable`` looks it up there before a run may start)."""

from __future__ import annotations

import io
import json
import zipfile

import boto3

from tests.support import iam_roles


def _session(account: str) -> boto3.Session:
    """Credentials acting in ``account`` (moto files what they create under the account they name)."""
    credentials = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{iam_roles.TARGET_ROLE_NAME}", RoleSessionName="deploy"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name="us-east-1",
    )


def deploy_function(account: str, name: str) -> None:
    session = _session(account)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = session.client("iam").create_role(
        RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(trust)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {'status': 'PASSED'}\n")
    session.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
