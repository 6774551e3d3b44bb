"""A DRS call that failed for good says so in words an operator reads in the execution record."""

from __future__ import annotations

from botocore.exceptions import ClientError, EndpointConnectionError

from handlers.aws.drs import DrsCallError


def test_a_client_error_names_drs_the_call_the_code_and_the_attempts() -> None:
    # Given DRS's answer after botocore retried it 7 times
    response = {
        "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
        "ResponseMetadata": {"RetryAttempts": 7},
    }
    # When it is wrapped
    error = DrsCallError("StartRecovery", ClientError(response, "StartRecovery"))
    # Then the message says which service, which call, what DRS said and how often it was tried
    assert str(error) == "DRS StartRecovery failed: ThrottlingException: Rate exceeded (after 8 attempts)"
    assert error.operation == "StartRecovery"


def test_a_network_error_names_drs_and_what_went_wrong() -> None:
    cause = EndpointConnectionError(endpoint_url="https://drs.us-east-1.amazonaws.com/DescribeJobs")

    error = DrsCallError("DescribeJobs", cause)

    assert str(error).startswith("DRS DescribeJobs failed: EndpointConnectionError: Could not connect")
