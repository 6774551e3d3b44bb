"""Shared fixtures: an in-process AWS (moto) with the project's own tables and topics."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

# No test may reach real AWS: fake credentials and a fixed region before anything creates a client.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    POWERTOOLS_METRICS_NAMESPACE="DRSOrchestration",
    POWERTOOLS_DEV="false",
    POWERTOOLS_TRACE_DISABLED="true",  # no X-Ray daemon here: the tracer patches and sends nothing
)

from handlers import aws as aws_clients
from handlers.core.settings import get_settings
from sandbox.emulators.emulator_guarantees import make_dynamodb_writes_atomic, make_sns_subscriptions_like_aws
from tests.support.cfn import create_tables

ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"
REPORTS_BUCKET = "drs-chatops-reports-test"
ACCOUNT_C = "333333333333"  # a third account (tests/property uses it)


@dataclass
class AwsEnv:
    tables: dict[str, str]
    topic_arn: str
    alerts_topic_arn: str
    drs: Any  # sandbox.emulators.drs.DrsEmulator answering every DRS call (tests/support/drs.py)
    quotas: Any = None  # tests.support.quotas.ServiceQuotasFake answering ListServiceQuotas

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name="us-east-1")


def reset_caches() -> None:
    get_settings.cache_clear()
    aws_clients.reset()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsEnv]:
    from moto import mock_aws
    from moto.core.models import DEFAULT_ACCOUNT_ID

    from tests.support import iam_roles
    from tests.support.drs import emulator
    from tests.support.inprocess import drs_calls_answered
    from tests.support.quotas import ServiceQuotasFake, service_quotas_answered

    make_dynamodb_writes_atomic()
    make_sns_subscriptions_like_aws()
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        drs_calls_answered(emulator(ACCOUNT_A, ACCOUNT_B, ACCOUNT_C, DEFAULT_ACCOUNT_ID)) as drs,
        service_quotas_answered(ServiceQuotasFake()) as quotas,
        iam_roles.simulation(drs, DEFAULT_ACCOUNT_ID, (ACCOUNT_A, ACCOUNT_B, ACCOUNT_C)),
    ):
        tables = create_tables(boto3.client("dynamodb", region_name="us-east-1"))
        sns = boto3.client("sns", region_name="us-east-1")
        topic = sns.create_topic(Name="execution-notifications")["TopicArn"]
        alerts = sns.create_topic(Name="operational-alerts")["TopicArn"]
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=REPORTS_BUCKET)
        monkeypatch.setenv("REPORTS_BUCKET", REPORTS_BUCKET)
        for name, value in tables.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("EXECUTION_NOTIFICATIONS_TOPIC_ARN", topic)
        monkeypatch.setenv("OPERATIONAL_ALERTS_TOPIC_ARN", alerts)
        monkeypatch.setenv("ORCHESTRATOR_ROLE_ARN", iam_roles.orchestrator_role_arn(DEFAULT_ACCOUNT_ID))
        reset_caches()
        yield AwsEnv(tables=tables, topic_arn=topic, alerts_topic_arn=alerts, drs=drs, quotas=quotas)
    reset_caches()


@pytest.fixture(autouse=True)
def no_sandbox_hook_left_behind() -> Iterator[None]:
    """A test that installs a sandbox botocore hook (sandbox/emulators/hooks.py) removes it: one left
    behind answers every later AWS call of that service in the process (a Service Quotas answer
    left by one test once made another read 100 servers a job)."""
    from sandbox.emulators import hooks

    before = hooks.installed()
    yield
    assert hooks.installed() == before, f"the test left sandbox hooks installed: {hooks.installed()}"


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore still retries (8 attempts for DRS), without waiting between them: a test of what a
    refusal does, not of botocore's backoff, spends no time asleep."""
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, ctx: 0)


@pytest.fixture
def orchestration(aws: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Executions end to end in process (see tests/support/orchestration.py)."""
    from handlers.orchestrator import lambda_handler as orchestrator
    from tests.support.inprocess import lambda_functions
    from tests.support.orchestration import API_URL, Orchestration, create_state_machine, tap_topic

    monkeypatch.setenv(
        "STATE_MACHINE_ARN", create_state_machine(aws.client("stepfunctions"), aws.alerts_topic_arn)
    )
    monkeypatch.setenv("DRS_POLL_SECONDS", "1")
    monkeypatch.setenv("DRS_POLL_MAX_SECONDS", "1")  # no back-off in tests (handlers/core/run_limits.py)
    monkeypatch.setenv("DRS_OUTAGE_SECONDS", "3")  # a DRS outage fails a running wave after 3 s
    monkeypatch.setenv("API_GATEWAY_URL", API_URL)
    reset_caches()
    queue_url = tap_topic(aws)
    with lambda_functions({"orchestrator": orchestrator}):
        harness = Orchestration(aws=aws, drs=aws.drs, queue_url=queue_url)
        yield harness
        harness.drain()  # no execution may outlive the emulator it runs on
