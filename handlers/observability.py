"""Powertools logger and metrics, shared by every function (namespace ``DRSOrchestration``)."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="drs-chatops")
metrics = Metrics(namespace="DRSOrchestration", service="drs-chatops")


def count(metric: str, value: int = 1) -> None:
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=value)


def now_iso() -> str:
    """Current UTC time, ISO 8601 with seconds precision and a ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
