"""What the benchmarks share: an in-process moto with the project's tables, and quiet handlers."""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import warnings
from collections.abc import Iterator
from typing import Any

REGION = "us-east-1"
ACCOUNT = "111111111111"


def fake_aws_environment() -> None:
    """No benchmark may reach real AWS: fake credentials and a fixed region."""
    os.environ.update(
        dict.fromkeys(("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"), "testing")
    )
    os.environ.update(AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION)


@contextlib.contextmanager
def moto_with_tables() -> Iterator[dict[str, str]]:
    """moto in process, tables created from cfn/data.yaml, settings pointed at them; DRS answered by
    the sandbox's emulator (tests/support/drs.py), where numbered server ids exist in ``ACCOUNT``."""
    fake_aws_environment()
    import boto3
    from moto import mock_aws

    from handlers import aws
    from handlers.core.settings import get_settings
    from tests.support.cfn import create_tables
    from tests.support.drs import emulator
    from tests.support.inprocess import drs_calls_answered

    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        drs_calls_answered(emulator(ACCOUNT)),
    ):
        tables = create_tables(boto3.client("dynamodb", region_name=REGION), prefix="bench")
        topic = boto3.client("sns", region_name=REGION).create_topic(Name="bench")["TopicArn"]
        os.environ.update(tables, EXECUTION_NOTIFICATIONS_TOPIC_ARN=topic)
        get_settings.cache_clear()
        aws.reset()
        yield tables
    get_settings.cache_clear()
    aws.reset()


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Swallow the handlers' log lines and metric blobs (they would otherwise flood the report)."""
    from handlers.core.observability import logger

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    handler: Any = logger.registered_handler
    previous = handler.setStream(io.StringIO())
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        handler.setStream(previous)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"
