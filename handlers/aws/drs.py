"""AWS Elastic Disaster Recovery calls, made in a Protection Group's account and region, nowhere else.

Which credentials a group's DRS calls use is decided here, in :func:`target`, and only here:

- the deployment's own account (what STS says its own credentials are, ``aws.own_account_id``):
  those credentials, directly, unless the group (or its plan) names a role to assume;
- any other account: always a role assumed *in that account* - ARN
  ``arn:aws:iam::<group account>:role/<name>``, with ``ExternalId`` when set - where the name is the
  group's ``assumeRoleName``, else its plan's, else the setting ``DRS_DEFAULT_ROLE_NAME`` (default
  ``drs-chatops-drs-access``, the name ``cfn/drs-target-role.yaml`` creates). The deployment's own
  credentials are never used for another account: there they would act on the wrong account's
  servers.

The session is named after the execution so CloudTrail says which run did what. Throttling is
retried by botocore's ``standard`` retry mode (exponential backoff with jitter); a running wave
rides out longer DRS outages itself (handlers/runs/wave_launch.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from handlers import aws
from handlers.core.settings import get_settings

if TYPE_CHECKING:
    from handlers.models.protection_group import ProtectionGroup
    from handlers.models.recovery_plan import RecoveryPlan

START_RECOVERY_LIMIT = 200  # DRS StartRecovery takes at most 200 source servers per call
DESCRIBE_FILTER_LIMIT = 200  # DescribeSourceServers filters.sourceServerIDs holds at most 200 ids
DESCRIBE_PAGE_SIZE = 200  # maxResults asked for: a filter of 200 ids is one page
# A session that may only look source servers up (group validation needs nothing more): intersected
# with the target role's permissions, whatever those are.
READ_ONLY_SESSION_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "drs:DescribeSourceServers", "Resource": "*"}],
    }
)
# What a readiness check reads (handlers/readiness/readiness.py), and nothing it could change.
READINESS_SESSION_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "drs:DescribeSourceServers",
                    "drs:DescribeJobs",
                    "drs:DescribeRecoveryInstances",
                    "drs:DescribeRecoverySnapshots",
                    "servicequotas:ListServiceQuotas",
                ],
                "Resource": "*",
            }
        ],
    }
)
ACTIVE_JOB_STATES = frozenset({"PENDING", "STARTED"})
# DescribeJobs has no status filter: running jobs are looked for among those created this recently.
ACTIVE_JOB_LOOKBACK = timedelta(days=2)
NETWORK_ERRORS = (BotoConnectionError, HTTPClientError)  # no answer from DRS at all: timeouts, resets
# DRS errors that say "not now" rather than "never": throttling, DRS's own failures, a quota that is
# full at this moment. A running wave retries them for a while (handlers/runs/wave_launch.py).
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "InternalServerException",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ServiceQuotaExceededException",
    }
)


# A session that may only find and terminate a drill's recovery instances (handlers/cleanup/cleanup.py).
# DRS terminates them with this session's credentials: the second statement lets through the EC2 calls
# and PassRole of the target role's drs-launches policy (cfn/drs-target-role.yaml), EC2 only when an
# AWS service makes the call. A session policy only narrows: the role's own statements still decide.
CLEANUP_SESSION_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "drs:DescribeJobs",
                    "drs:DescribeRecoveryInstances",
                    "drs:TerminateRecoveryInstances",
                ],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Action": "ec2:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:ViaAWSService": "true"}},
            },
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "arn:aws:iam::*:role/service-role/AWSElasticDisasterRecovery*",
                "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
            },
        ],
    }
)


@dataclass(frozen=True)
class DrsTarget:
    account_id: str
    region: str
    assume_role_name: str = ""  # "" only for the deployment's own account (see target())
    external_id: str = ""

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.assume_role_name}"


def target(account_id: str, region: str, role_name: str = "", external_id: str = "") -> DrsTarget:
    """Where and as whom DRS is called for a group of ``account_id`` (``role_name``/``external_id``:
    the group's, else its plan's)."""
    if not role_name and account_id != aws.own_account_id():
        role_name = get_settings().drs_default_role_name
    return DrsTarget(account_id, region, role_name, external_id if role_name else "")


def target_for(group: ProtectionGroup, plan: RecoveryPlan | None = None, region: str = "") -> DrsTarget:
    """:func:`target` for a stored group (``region``: instead of the group's, e.g. a wave's)."""
    role_name = group.assumeRoleName or (plan.assumeRoleName if plan else "")
    external_id = group.externalId or (plan.externalId if plan else "")
    return target(group.accountId, region or group.region, role_name, external_id)


def client_for(
    target: DrsTarget,
    session_name: str,
    *,
    read_only: bool = False,
    session_policy: str = "",
    attempts: int = 8,
) -> Any:
    """A DRS client acting in ``target.account_id`` only (``read_only``, or a ``session_policy``,
    narrows an assumed role's session further; ``attempts``: botocore's, retries included)."""
    policy = READ_ONLY_SESSION_POLICY if read_only else session_policy
    return service_client("drs", target, session_name, policy, attempts=attempts)


def service_client(
    service: str, target: DrsTarget, session_name: str, session_policy: str = "", *, attempts: int = 8
) -> Any:
    """A ``service`` client (``drs``, ``service-quotas``) with the credentials :func:`target` chose
    for ``target.account_id``; ``session_policy`` narrows an assumed role's session."""
    from botocore.config import Config

    # Timeouts well inside a Step Functions task's 120 s, so a hung connection is retried, not fatal.
    config = Config(
        retries={"mode": "standard", "max_attempts": attempts}, connect_timeout=10, read_timeout=30
    )
    if not target.assume_role_name:
        return aws.new_client(service, region_name=target.region, config=config)
    kwargs: dict[str, Any] = {
        "RoleArn": target.role_arn,
        "RoleSessionName": re.sub(r"[^\w+=,.@-]", "-", f"drs-chatops-{session_name}")[:64],
    }
    if target.external_id:
        kwargs["ExternalId"] = target.external_id
    if session_policy:
        kwargs["Policy"] = session_policy
    credentials = aws.client("sts").assume_role(**kwargs)["Credentials"]
    return aws.new_client(
        service,
        region_name=target.region,
        config=config,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


class DrsCallError(Exception):
    """A DRS call that still failed after botocore's retries. Its message names DRS, the operation
    and DRS's error, so an execution record that carries it says where the run failed."""

    def __init__(self, operation: str, cause: ClientError | BotoCoreError) -> None:
        super().__init__(f"DRS {operation} failed: {_describe(cause)}")
        self.operation = operation
        self.code = (
            str(cause.response.get("Error", {}).get("Code", ""))
            if isinstance(cause, ClientError)
            else type(cause).__name__
        )
        status = (
            cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if isinstance(cause, ClientError)
            else 0
        )
        # network errors (no answer at all), throttling and DRS's own 5xx: worth asking again later
        self.transient = (
            isinstance(cause, NETWORK_ERRORS) or self.code in TRANSIENT_CODES or int(status or 0) >= 500
        )


def _describe(cause: ClientError | BotoCoreError) -> str:
    if not isinstance(cause, ClientError):
        return f"{type(cause).__name__}: {cause}"
    error = cause.response.get("Error", {})
    attempts = int(cause.response.get("ResponseMetadata", {}).get("RetryAttempts") or 0) + 1
    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
    return f"{error.get('Code', 'Unknown')}: {error.get('Message', '')}{tries}"


def _recovery_source(server_id: str, snapshots: Mapping[str, str]) -> dict[str, str]:
    source = {"sourceServerID": server_id}
    if snapshots.get(server_id):
        source["recoverySnapshotID"] = snapshots[server_id]
    return source


def start_job(
    client: Any, server_ids: list[str], *, is_drill: bool, tags: dict[str, str], snapshots: Mapping[str, str]
) -> str:
    """One ``StartRecovery`` call (at most 200 servers): the DRS job id, or :class:`DrsCallError`."""
    try:
        response = client.start_recovery(
            sourceServers=[_recovery_source(s, snapshots) for s in server_ids], isDrill=is_drill, tags=tags
        )
    except (ClientError, BotoCoreError) as exc:
        raise DrsCallError("StartRecovery", exc) from exc
    return str(response["job"]["jobID"])


def describe_jobs(client: Any, job_ids: list[str]) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    for start in range(0, len(job_ids), DESCRIBE_FILTER_LIMIT):
        chunk = job_ids[start : start + DESCRIBE_FILTER_LIMIT]
        try:
            for page in client.get_paginator("describe_jobs").paginate(filters={"jobIDs": chunk}):
                jobs.extend(page.get("items", []))
        except (ClientError, BotoCoreError) as exc:
            raise DrsCallError("DescribeJobs", exc) from exc
    return jobs


def source_servers(client: Any, server_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """The one reader of ``DescribeSourceServers``: every page (botocore's paginator), all of the
    account's source servers or, with ``server_ids``, those of them DRS knows (200 ids a filter).
    A failure after botocore's retries raises :class:`DrsCallError`."""
    if server_ids is not None and not server_ids:
        return []
    filters = (
        [
            {"sourceServerIDs": server_ids[i : i + DESCRIBE_FILTER_LIMIT]}
            for i in range(0, len(server_ids), DESCRIBE_FILTER_LIMIT)
        ]
        if server_ids
        else [None]
    )
    servers: list[dict[str, Any]] = []
    paginator = client.get_paginator("describe_source_servers")
    try:
        for chunk in filters:
            kwargs: dict[str, Any] = {"PaginationConfig": {"PageSize": DESCRIBE_PAGE_SIZE}}
            if chunk:
                kwargs["filters"] = chunk
            for page in paginator.paginate(**kwargs):
                servers.extend(page.get("items", []))
    except (ClientError, BotoCoreError) as exc:
        raise DrsCallError("DescribeSourceServers", exc) from exc
    return servers


def matches_tags(server: dict[str, Any], tags: dict[str, str]) -> bool:
    """True iff ``server`` carries every ``Key: Value`` of ``tags`` (exact, case-sensitive, as DRS
    compares tags) and is not archived (an archived server cannot be recovered)."""
    own = server.get("tags") or {}
    return not server.get("isArchived") and all(own.get(key) == value for key, value in tags.items())


def servers_with_tags(client: Any, tags: dict[str, str]) -> list[dict[str, Any]]:
    """The account's source servers that carry all of ``tags``. DescribeSourceServers has no tag
    filter, so every page is read and the tags compared here."""
    return [server for server in source_servers(client) if matches_tags(server, tags)]


def resolve_tags(client: Any, tags: dict[str, str]) -> list[str]:
    """The ids of the account's source servers that carry all of ``tags``, sorted."""
    return sorted(str(server["sourceServerID"]) for server in servers_with_tags(client, tags))


def describe_source_servers(client: Any, server_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Server id -> DRS's record of it, for the ids DRS knows in the client's account and region
    (through :func:`source_servers`; raises :class:`DrsCallError`)."""
    return {str(item.get("sourceServerID")): item for item in source_servers(client, server_ids)}


def unknown_source_servers(client: Any, server_ids: list[str]) -> list[str]:
    """The ids DRS does not know in the client's account and region (in the order given)."""
    found = {str(item.get("sourceServerID")) for item in source_servers(client, server_ids)}
    return [server for server in server_ids if server not in found]


def recent_jobs(client: Any) -> list[dict[str, Any]]:
    """The account's DRS jobs created in the last :data:`ACTIVE_JOB_LOOKBACK`, whatever their status
    (DescribeJobs filters by date, not status). Raises botocore's errors."""
    since = (datetime.now(UTC) - ACTIVE_JOB_LOOKBACK).strftime("%Y-%m-%dT%H:%M:%SZ")
    jobs: list[dict[str, Any]] = []
    for page in client.get_paginator("describe_jobs").paginate(filters={"fromDate": since}):
        jobs.extend(page.get("items", []))
    return jobs


def active_jobs(client: Any) -> list[dict[str, Any]]:
    """The account's DRS jobs still running (PENDING or STARTED), among :func:`recent_jobs`."""
    return [j for j in recent_jobs(client) if j.get("status") in ACTIVE_JOB_STATES]


def recovery_instances(client: Any) -> list[dict[str, Any]]:
    """The account's recovery instances (drills' and recoveries'). Raises botocore's errors."""
    instances: list[dict[str, Any]] = []
    for page in client.get_paginator("describe_recovery_instances").paginate(filters={}):
        instances.extend(page.get("items", []))
    return instances
