"""Checking the DRS emulator against botocore's ``drs`` model, the way ``botocore.stub.Stubber``
checks a stubbed response: a parsed body against the operation's shape with ``ParamValidator``.
``DrsEmulator.responder()`` reads only a request's headers and body, so a request here is just that,
signed with the deployment's own (non-assumed) keys."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
from botocore.validate import ParamValidator

MODEL = botocore.session.get_session().get_service_model("drs")


class OwnKeysRequest:
    def __init__(self, body: dict[str, Any]) -> None:
        self.headers = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAOWN/20250101/us-east-1/drs/aws4"}
        self.body = json.dumps(body).encode()


def assert_valid_output(operation: str, answer: dict[str, Any]) -> None:
    report = ParamValidator().validate(answer, MODEL.operation_model(operation).output_shape)
    assert not report.has_errors(), report.generate_report()


def valid_input(operation: str, request: dict[str, Any]) -> bool:
    return not ParamValidator().validate(request, MODEL.operation_model(operation).input_shape).has_errors()
