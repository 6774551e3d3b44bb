"""DRS calls: in the plan's account through an assumed role, chunked to DRS's limit."""

from __future__ import annotations

import boto3

from handlers import drs
from tests.support.inprocess import DrsStub, drs_stub


def test_start_recovery_sends_at_most_200_servers_per_call(aws):
    servers = [f"s-{n:017x}" for n in range(450)]
    with drs_stub(DrsStub()) as stub:
        client = drs.client_for(drs.DrsTarget(account_id="111111111111", region="us-east-1"), "exec-1")
        jobs = drs.start_recovery(client, servers, is_drill=True, tags={"k": "v"})
    assert len(jobs) == 3
    assert [len(call["sourceServers"]) for call in stub.started] == [200, 200, 50]
    assert all(call["isDrill"] is True for call in stub.started)
    assert [s["sourceServerID"] for call in stub.started for s in call["sourceServers"]] == servers


def test_cross_account_calls_assume_the_role_with_external_id_and_a_named_session(aws):
    seen = []
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    events = boto3.DEFAULT_SESSION.events

    def record(params, **_):
        seen.append(params)

    events.register("provide-client-params.sts.AssumeRole", record)
    try:
        target = drs.DrsTarget(
            "222222222222", "eu-west-1", assume_role_name="drs-chatops-target", external_id="ext-42"
        )
        client = drs.client_for(target, "exec-7")
    finally:
        events.unregister("provide-client-params.sts.AssumeRole", record)
    [params] = seen
    assert params["RoleArn"] == "arn:aws:iam::222222222222:role/drs-chatops-target"
    assert params["ExternalId"] == "ext-42"
    assert params["RoleSessionName"] == "drs-chatops-exec-7"
    assert client.meta.region_name == "eu-west-1"


def test_without_a_role_drs_is_called_with_the_functions_own_credentials(aws):
    client = drs.client_for(drs.DrsTarget("111111111111", "us-west-2"), "exec-8")
    assert client.meta.region_name == "us-west-2"
