"""The simulated DRS over HTTP: the operation comes from the REST-JSON method and path of botocore's
``drs`` model, and the emulator's responder sees the caller's headers and body."""

from __future__ import annotations

import json

from botocore.awsrequest import AWSPreparedRequest

from sandbox.runtime.drs_http import PREFIX, operation, serve


def test_the_operation_is_named_by_method_and_path() -> None:
    assert operation("POST", f"{PREFIX}/StartRecovery") == "StartRecovery"
    assert operation("POST", f"{PREFIX}/DescribeJobs") == "DescribeJobs"
    assert (
        operation("GET", f"{PREFIX}/tags/arn%3Aaws%3Adrs%3Aus-east-1%3A1%3Ajob%2Fx") == "ListTagsForResource"
    )
    assert operation("DELETE", f"{PREFIX}/tags/arn%3Aaws%3Adrs%3Aus-east-1%3A1%3Ajob%2Fx") == "UntagResource"


def test_a_path_no_drs_operation_has_is_none() -> None:
    assert operation("POST", f"{PREFIX}/FormatDisks") is None
    assert operation("GET", f"{PREFIX}/StartRecovery") is None
    assert operation("POST", "/StartRecovery") is None


def test_the_responder_gets_the_signature_header_and_body() -> None:
    seen: dict[str, object] = {}

    def respond(name: str, request: AWSPreparedRequest) -> tuple[int, dict[str, str], bytes]:
        seen.update(name=name, authorization=request.headers.get("Authorization"), body=request.body)
        return 202, {"Content-Type": "application/json"}, b'{"job": {}}'

    headers = {"authorization": "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/drs/aws4_request"}
    answer = serve(respond, "POST", f"{PREFIX}/StartRecovery", headers, b'{"sourceServers": []}')

    assert answer == (202, {"Content-Type": "application/json"}, b'{"job": {}}')
    assert seen == {
        "name": "StartRecovery",
        "authorization": headers["authorization"],
        "body": b'{"sourceServers": []}',
    }


def test_an_unknown_operation_is_a_404_in_the_service_error_shape() -> None:
    status, headers, body = serve(lambda *_: None, "POST", f"{PREFIX}/FormatDisks", {}, b"{}")

    assert status == 404
    assert headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert "FormatDisks" in json.loads(body)["message"]
