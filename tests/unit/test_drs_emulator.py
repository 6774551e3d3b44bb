"""The sandbox's DRS emulator answers only what botocore's ``drs`` model accepts, per account.

Each answer is checked the way ``botocore.stub.Stubber`` checks a stubbed response: the parsed body
against the operation's output shape with ``botocore.validate.ParamValidator``. ``respond`` reads
only a request's headers and body, so the requests here are just that (their bodies checked against
the input shapes the same way).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.data.drs_data import ACCOUNTS, Estate
from sandbox.emulators.drs import DrsEmulator
from tests.support.drs_model import MODEL, OwnKeysRequest, assert_valid_output, valid_input

OWN, OTHER = ACCOUNTS
# Every DRS operation the product calls (handlers/aws/drs.py) and an input for it.
PRODUCT_CALLS = {
    "DescribeSourceServers": lambda servers: {"filters": {"sourceServerIDs": servers[:3]}},
    "StartRecovery": lambda servers: {
        "sourceServers": [{"sourceServerID": s} for s in servers[:3]],
        "isDrill": True,
        "tags": {"drs-chatops:execution": "e-1"},
    },
    "DescribeJobs": lambda servers: {"filters": {}},
    "DescribeRecoveryInstances": lambda servers: {"filters": {}},
    "DescribeRecoverySnapshots": lambda servers: {
        "sourceServerID": servers[0],
        "filters": {"toDateTime": "2099-01-01T00:00:00.000000Z"},
        "order": "DESC",
        "maxResults": 10,
    },
}


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[DrsEmulator]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", OWN)  # the deployment's own keys act in the first account
    yield DrsEmulator(Estate.demo(), complete_after_polls=1)


def _ask(emulator: DrsEmulator, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, _, raw = emulator.responder()(operation, OwnKeysRequest(body))
    return status, json.loads(raw)


_assert_valid = assert_valid_output


@pytest.mark.parametrize("operation", list(PRODUCT_CALLS))
def test_every_answer_the_product_can_get_matches_the_drs_model(emulator, operation):
    # Given a recovery that has run to completion (so jobs, instances and launch results exist)
    servers = sorted(emulator.estate.servers[OWN])
    _ask(emulator, "StartRecovery", PRODUCT_CALLS["StartRecovery"](servers))
    _ask(emulator, "DescribeJobs", {})
    # When the product's call is made
    request = PRODUCT_CALLS[operation](servers)
    assert valid_input(operation, request)
    status, answer = _ask(emulator, operation, request)
    # Then it succeeded with a body botocore's model accepts, and holds something to check
    assert status == MODEL.operation_model(operation).http.get("responseCode", 200)
    _assert_valid(operation, answer)
    assert answer.get("items") or answer.get("job")


def test_a_job_is_valid_in_every_state_it_passes_through(emulator):
    servers = sorted(emulator.estate.servers[OWN])
    _, started = _ask(emulator, "StartRecovery", PRODUCT_CALLS["StartRecovery"](servers))
    _assert_valid("StartRecovery", started)
    for _ in range(2):
        _, jobs = _ask(emulator, "DescribeJobs", {"filters": {"jobIDs": [started["job"]["jobID"]]}})
        _assert_valid("DescribeJobs", jobs)
    assert jobs["items"][0]["status"] == "COMPLETED"


def test_the_deployments_own_keys_do_not_see_another_accounts_servers(emulator):
    # Given a server of the other account
    foreign = sorted(emulator.estate.servers[OTHER])[0]
    # When the deployment's own keys look it up and try to recover it
    _, found = _ask(emulator, "DescribeSourceServers", {"filters": {"sourceServerIDs": [foreign]}})
    status, error = _ask(emulator, "StartRecovery", {"sourceServers": [{"sourceServerID": foreign}]})
    # Then it is unknown: not listed, and not recoverable
    assert found == {"items": []}
    assert status == 404 and foreign in error["message"]
    assert emulator.state()[OTHER]["jobs"] == []


def test_the_state_lists_servers_instances_and_jobs_per_account(emulator):
    servers = sorted(emulator.estate.servers[OWN])
    _ask(emulator, "StartRecovery", PRODUCT_CALLS["StartRecovery"](servers))
    _ask(emulator, "DescribeJobs", {})
    state = emulator.state()
    assert set(state) == set(ACCOUNTS)
    assert {"sourceServerID", "replicationState"} <= set(state[OWN]["sourceServers"][0])
    [instance, *_] = state[OWN]["recoveryInstances"]
    assert {"recoveryInstanceID", "sourceServerID", "isDrill", "state"} <= set(instance)
    assert len(state[OWN]["jobs"]) == 1 and state[OTHER]["jobs"] == []


def test_keys_of_a_role_in_a_third_account_act_there_not_in_the_deployments(emulator):
    # Given keys moto's STS issued for a role in an account the estate has no servers in
    import boto3
    from moto import mock_aws

    with mock_aws():
        sts = boto3.client("sts", region_name="us-east-1")
        role = "arn:aws:iam::333333333333:role/drs-chatops-drs-access"
        key = sts.assume_role(RoleArn=role, RoleSessionName="test")["Credentials"]["AccessKeyId"]
        request = OwnKeysRequest({"filters": {}})
        request.headers["Authorization"] = f"AWS4-HMAC-SHA256 Credential={key}/20250101/us-east-1/drs/aws4"
        # When they list source servers
        status, _, raw = emulator.responder()("DescribeSourceServers", request)
    # Then the call acted in that account (no servers), as that role
    assert (status, json.loads(raw)) == (200, {"items": []})
    assert (emulator.calls[-1].account, emulator.calls[-1].role_arn) == ("333333333333", role)


def _pages(emulator: DrsEmulator, request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page of DescribeSourceServers, following nextToken; each checked against the model."""
    pages: list[dict[str, Any]] = []
    token = None
    while True:
        body = {**request, **({"nextToken": token} if token else {})}
        assert valid_input("DescribeSourceServers", body)
        status, page = _ask(emulator, "DescribeSourceServers", body)
        assert status == 200, page
        _assert_valid("DescribeSourceServers", page)
        pages.append(page)
        token = page.get("nextToken")
        if not token:
            return pages


def test_source_servers_come_in_pages_of_max_results_with_a_next_token(emulator):
    # Given an account with 27 servers (24, 2 whose replication stalled, 4 on premises, less 3)
    for server in sorted(emulator.estate.servers[OWN])[:3]:
        del emulator.estate.servers[OWN][server]
    assert len(emulator.estate.servers[OWN]) == 27
    # When they are read 10 at a time
    pages = _pages(emulator, {"maxResults": 10})
    # Then there are 3 pages (10, 10, 7), the last without a token, every server once
    assert [len(p["items"]) for p in pages] == [10, 10, 7]
    assert "nextToken" not in pages[-1]
    ids = [s["sourceServerID"] for p in pages for s in p["items"]]
    assert sorted(ids) == sorted(emulator.estate.servers[OWN])


def test_an_id_filter_pages_too_and_a_bad_token_or_size_is_a_400(emulator):
    servers = sorted(emulator.estate.servers[OWN])
    pages = _pages(emulator, {"filters": {"sourceServerIDs": servers[:5]}, "maxResults": 2})
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert _ask(emulator, "DescribeSourceServers", {"nextToken": "not-a-token"})[0] == 400
    assert _ask(emulator, "DescribeSourceServers", {"maxResults": 0})[0] == 400


def test_the_other_filters_drs_has_are_answered(emulator):
    # DRS filters by ids, hardware id and staging account (it has no tag filter)
    assert set(MODEL.operation_model("DescribeSourceServers").input_shape.members["filters"].members) == {
        "sourceServerIDs",
        "hardwareId",
        "stagingAccountIDs",
    }
    assert _ask(emulator, "DescribeSourceServers", {"filters": {"hardwareId": "i-0abc"}})[1] == {"items": []}
    staged = {"filters": {"stagingAccountIDs": [OWN]}, "maxResults": 100}
    assert len(_ask(emulator, "DescribeSourceServers", staged)[1]["items"]) == len(
        emulator.estate.servers[OWN]
    )


def test_every_server_carries_a_tier_tag_matching_its_hostname_in_every_account(emulator):
    for account in ACCOUNTS:
        servers = emulator.estate.in_account(account)
        assert {s.tags["Tier"] for s in servers} == {"db", "app", "web"}, account
        assert all(s.hostname.startswith(s.tags["Tier"] + "-") for s in servers)
    # DescribeSourceServers answers with them
    [page] = _pages(emulator, {"maxResults": 100})
    assert all(item["tags"]["Tier"] in {"db", "app", "web"} for item in page["items"])
    # the servers that always fail are never Tier=web (the sandbox's tag-group drill succeeds)
    failing = emulator.estate.failing_server_ids()
    assert failing and all(emulator.estate.find(OWN, sid).tags["Tier"] != "web" for sid in failing)


def test_a_retagged_server_answers_with_its_new_tags(emulator):
    server = sorted(emulator.estate.servers[OWN])[0]
    emulator.estate.retag(OWN, server, {"Tier": "web", "App": "shop"})
    _, answer = _ask(emulator, "DescribeSourceServers", {"filters": {"sourceServerIDs": [server]}})
    _assert_valid("DescribeSourceServers", answer)
    assert {"Tier": "web", "App": "shop"}.items() <= answer["items"][0]["tags"].items()


def test_stalled_servers_answer_with_replication_info_the_drs_model_accepts(emulator):
    # Given the first account's servers whose replication has stalled
    stalled = emulator.estate.unhealthy_server_ids()
    assert len(stalled) >= 2 and all(emulator.estate.find(OWN, s) for s in stalled)
    # When they are described
    status, answer = _ask(emulator, "DescribeSourceServers", {"filters": {"sourceServerIDs": stalled}})
    # Then botocore's model accepts the answer, and it says STALLED, with a lag and DRS's error
    assert status == 200
    _assert_valid("DescribeSourceServers", answer)
    for item in answer["items"]:
        info = item["dataReplicationInfo"]
        assert info["dataReplicationState"] == "STALLED"
        assert info["lagDuration"].startswith("PT") and info["lagDuration"] != "PT2S"
        assert info["dataReplicationError"]["error"] in MODEL.shape_for("DataReplicationErrorString").enum


def test_healthy_servers_lag_seconds_and_stay_out_of_the_unhealthy_list(emulator):
    healthy = emulator.estate.healthy_server_ids(OWN)
    assert not set(healthy) & set(emulator.estate.unhealthy_server_ids())
    _, answer = _ask(emulator, "DescribeSourceServers", {"filters": {"sourceServerIDs": healthy[:5]}})
    assert {i["dataReplicationInfo"]["lagDuration"] for i in answer["items"]} == {"PT2S"}
