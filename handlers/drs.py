"""AWS Elastic Disaster Recovery calls, made in the plan's account and the group's region.

Cross-account: STS ``AssumeRole`` into ``assumeRoleName`` (with ``ExternalId`` when set), the session
named after the execution so CloudTrail says which run did what. Throttling is retried by botocore's
``standard`` retry mode (exponential backoff with jitter)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers import aws

START_RECOVERY_LIMIT = 200  # DRS StartRecovery takes at most 200 source servers per call


@dataclass(frozen=True)
class DrsTarget:
    account_id: str
    region: str
    assume_role_name: str = ""
    external_id: str = ""


def client_for(target: DrsTarget, execution_id: str) -> Any:
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 8})
    if not target.assume_role_name:
        return aws.new_client("drs", region_name=target.region, config=config)
    kwargs: dict[str, Any] = {
        "RoleArn": f"arn:aws:iam::{target.account_id}:role/{target.assume_role_name}",
        "RoleSessionName": f"drs-chatops-{execution_id}"[:64],
    }
    if target.external_id:
        kwargs["ExternalId"] = target.external_id
    credentials = aws.client("sts").assume_role(**kwargs)["Credentials"]
    return aws.new_client(
        "drs",
        region_name=target.region,
        config=config,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def start_recovery(client: Any, server_ids: list[str], *, is_drill: bool, tags: dict[str, str]) -> list[str]:
    """Start recovery of ``server_ids`` in chunks of 200; returns the DRS job ids."""
    job_ids: list[str] = []
    for start in range(0, len(server_ids), START_RECOVERY_LIMIT):
        chunk = server_ids[start : start + START_RECOVERY_LIMIT]
        response = client.start_recovery(
            sourceServers=[{"sourceServerID": s} for s in chunk], isDrill=is_drill, tags=tags
        )
        job_ids.append(str(response["job"]["jobID"]))
    return job_ids


def describe_jobs(client: Any, job_ids: list[str]) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    for page in client.get_paginator("describe_jobs").paginate(filters={"jobIDs": job_ids}):
        jobs.extend(page.get("items", []))
    return jobs
