"""DRS calls: in the group's account only (assumed role, or the deployment's own credentials in its
own account), one StartRecovery a job, and what a refused one says."""

from __future__ import annotations

import boto3
import pytest

from handlers import aws as aws_clients
from handlers.aws import drs
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.support.data import server_id


def _own_account() -> str:
    return aws_clients.own_account_id()


PIT = "pit-" + "0" * 17


def test_start_job_is_one_start_recovery_of_the_servers_given_with_their_snapshots(aws):
    # Given 100 servers of account A, one of them recovering from a chosen snapshot
    servers = [server_id(n) for n in range(100)]
    client = drs.client_for(drs.target(ACCOUNT_A, "us-east-1"), "exec-1")
    # When they are started as one job
    job = drs.start_job(client, servers, is_drill=True, tags={"k": "v"}, snapshots={servers[0]: PIT})
    # Then one call started them, in order, as a drill, the snapshot passed for that server only
    [call] = aws.drs.started
    assert job.startswith("drsjob-") and call["isDrill"] is True
    assert [s["sourceServerID"] for s in call["sourceServers"]] == servers
    assert call["sourceServers"][0]["recoverySnapshotID"] == PIT
    assert "recoverySnapshotID" not in call["sourceServers"][1]


def test_cross_account_calls_assume_the_role_with_external_id_and_a_named_session(aws):
    seen = []
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    events = boto3.DEFAULT_SESSION.events

    def record(params, **_):
        seen.append(params)

    events.register("provide-client-params.sts.AssumeRole", record)
    try:
        target = drs.target(ACCOUNT_B, "eu-west-1", "drs-chatops-target", "ext-42")
        client = drs.client_for(target, "exec-7")
    finally:
        events.unregister("provide-client-params.sts.AssumeRole", record)
    [params] = seen
    assert params["RoleArn"] == f"arn:aws:iam::{ACCOUNT_B}:role/drs-chatops-target"
    assert params["ExternalId"] == "ext-42"
    assert params["RoleSessionName"] == "drs-chatops-exec-7"
    assert client.meta.region_name == "eu-west-1"


def test_another_account_without_a_role_name_gets_the_default_role_never_own_credentials(aws):
    # Given account B is not the deployment's own account, and no role name is given
    assert _own_account() != ACCOUNT_B
    # When DRS is called for it
    target = drs.target(ACCOUNT_B, "us-east-1")
    drs.unknown_source_servers(drs.client_for(target, "exec-9"), [server_id(1)])
    # Then the call ran in B, through the configured default role of B
    assert target.role_arn == f"arn:aws:iam::{ACCOUNT_B}:role/drs-chatops-drs-access"
    [call] = aws.drs.calls
    assert (call.account, call.role_arn) == (ACCOUNT_B, target.role_arn)


def test_the_default_role_name_is_a_setting(aws, monkeypatch):
    monkeypatch.setenv("DRS_DEFAULT_ROLE_NAME", "drs-chatops-custom")
    from tests.conftest import reset_caches

    reset_caches()
    assert drs.target(ACCOUNT_B, "us-east-1").role_arn == f"arn:aws:iam::{ACCOUNT_B}:role/drs-chatops-custom"


def test_the_deployments_own_account_uses_its_own_credentials_there(aws):
    # Given the deployment's own account (as STS reports it) and a server of it
    own = _own_account()
    target = drs.target(own, "us-east-1")
    # When DRS is called for it
    client = drs.client_for(target, "exec-8")
    unknown = drs.unknown_source_servers(client, [server_id(1)])
    # Then no role is assumed and the call acted in that account
    assert target.assume_role_name == "" and client.meta.region_name == "us-east-1"
    assert unknown == []
    [call] = aws.drs.calls
    assert (call.account, call.role_arn) == (own, "")


def test_a_server_of_another_account_is_unknown_like_an_id_nobody_has(aws):
    # Given a server that exists only in account A (a demo server of the estate)
    a_server = next(iter(aws.drs.estate.servers[ACCOUNT_A]))
    nobodys = "s-" + "e" * 17
    # When account B looks both up
    client = drs.client_for(drs.target(ACCOUNT_B, "us-east-1"), "exec-10")
    # Then both are unknown there
    assert drs.unknown_source_servers(client, [a_server, nobodys]) == [a_server, nobodys]


def test_lookups_are_chunked_to_the_filters_limit_of_200(aws):
    servers = [server_id(n) for n in range(450)]
    client = drs.client_for(drs.target(ACCOUNT_A, "us-east-1"), "exec-11")
    assert drs.unknown_source_servers(client, servers) == []
    assert [c.operation for c in aws.drs.calls] == ["DescribeSourceServers"] * 3


def test_a_refused_start_names_drs_the_call_and_the_error_and_says_whether_to_ask_again(aws):
    client = drs.client_for(drs.target(ACCOUNT_A, "us-east-1"), "exec-12")
    # A server DRS does not know: refused for good
    with pytest.raises(drs.DrsCallError) as unknown:
        drs.start_job(client, ["s-" + "e" * 17], is_drill=True, tags={}, snapshots={})
    assert "DRS StartRecovery failed: ResourceNotFoundException" in str(unknown.value)
    assert not unknown.value.transient
    # More servers than a job may hold: DRS's quota, full at this moment - worth asking again
    with pytest.raises(drs.DrsCallError) as over:
        drs.start_job(client, [server_id(n) for n in range(101)], is_drill=True, tags={}, snapshots={})
    assert over.value.code == "ServiceQuotaExceededException" and over.value.transient
