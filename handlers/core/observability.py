"""Powertools logger, metrics and tracer, shared by every function (namespace ``DRSOrchestration``).

The tracer follows one execution across functions: X-Ray is active on every function and on the
state machine (``cfn/``), and the patched botocore carries the trace header into the SNS publish,
the Step Functions callbacks and Bolt's lazy self-invocations. Only botocore (every AWS call) and
``httplib`` (the Slack Web API, via ``urllib``) are patched: patching everything would import and
wrap libraries no function uses. Outside Lambda, and wherever ``POWERTOOLS_TRACE_DISABLED=true``
(tests, the sandbox), the tracer is off and patches nothing."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="drs-chatops")
metrics = Metrics(namespace="DRSOrchestration", service="drs-chatops")
tracer = Tracer(service="drs-chatops", patch_modules=("botocore", "httplib"))


def count(metric: str, value: int = 1) -> None:
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=value)
