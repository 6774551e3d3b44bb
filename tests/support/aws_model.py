"""Checking an emulator's answer against botocore's model of any service, the way
``botocore.stub.Stubber`` checks a stubbed response: the parsed body against the operation's output
shape with ``ParamValidator`` (``tests/support/drs_model.py`` does the same for DRS alone)."""

from __future__ import annotations

import functools
from typing import Any

import botocore.session
from botocore.model import ServiceModel
from botocore.validate import ParamValidator


@functools.cache
def model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def assert_valid_output(service: str, operation: str, answer: dict[str, Any]) -> None:
    answer = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
    report = ParamValidator().validate(answer, model(service).operation_model(operation).output_shape)
    assert not report.has_errors(), report.generate_report()


def valid_input(service: str, operation: str, request: dict[str, Any]) -> bool:
    shape = model(service).operation_model(operation).input_shape
    return not ParamValidator().validate(request, shape).has_errors()
