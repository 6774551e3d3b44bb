"""The sandbox's REST API, as API Gateway would deliver it, and its /_sandbox/info contract."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import RunningSandbox, http

pytestmark = pytest.mark.e2e

CONTRACT_KEYS = {
    "apiUrl",
    "slackEventsUrl",
    "slackSigningSecret",
    "slackResponseUrl",
    "slackUsers",
    "slackUserEmails",
    "lambdaEndpoint",
    "awsEndpoint",
    "region",
    "functions",
    "stateMachineArn",
    "topicArn",
    "reportsBucket",
    "tables",
    "accounts",
    "sourceServers",
    "failingSourceServers",
    "sourceServerTags",
    "outboxUrl",
    "slackMessagesUrl",
    "drsStateUrl",
}


def servers(sandbox: RunningSandbox, account_index: int, start: int, count: int) -> list[str]:
    account = sandbox.info["accounts"][account_index]
    return sandbox.info["sourceServers"][account][start : start + count]


def test_info_publishes_every_contract_key(sandbox: RunningSandbox) -> None:
    info = sandbox.info

    assert set(info) >= CONTRACT_KEYS
    assert set(info["slackUsers"]) >= {"operator", "viewer"}
    assert set(info["slackUserEmails"]) == set(info["slackUsers"].values())  # users.info's emails
    assert set(info["functions"]) >= {"api", "orchestrator", "bot", "notifier"}
    assert all(info["functions"][role] for role in ("api", "orchestrator", "bot", "notifier"))
    assert info["stateMachineArn"].startswith("arn:aws:states:")
    assert info["topicArn"].startswith("arn:aws:sns:")
    assert info["reportsBucket"].startswith("drs-chatops-reports-")
    assert info["tables"] and all(info["tables"].values())
    for key in ("apiUrl", "slackEventsUrl", "slackResponseUrl", "outboxUrl", "slackMessagesUrl"):
        assert info[key].startswith(info["lambdaEndpoint"] + "/"), key


def test_info_describes_a_simulated_drs_estate(sandbox: RunningSandbox) -> None:
    info = sandbox.info

    assert len(info["accounts"]) >= 2
    for account in info["accounts"]:
        ids = info["sourceServers"][account]
        assert len(ids) >= 20
        assert all(re.fullmatch(r"s-[0-9a-f]{17}", sid) for sid in ids)
    first = set(info["sourceServers"][info["accounts"][0]])
    assert len(info["failingSourceServers"]) >= 2
    assert set(info["failingSourceServers"]) <= first
    assert info["drs"]["simulated"] is True


def test_seeded_plan_has_three_waves_pausing_before_wave_two(sandbox: RunningSandbox) -> None:
    response = sandbox.api("GET", "/recovery-plans")

    plans = {p["planName"]: p for p in response.json()["items"]}
    waves = plans["Payments failover"]["waves"]
    assert [w["pauseBeforeExecution"] for w in waves] == [False, True, False]
    assert plans["Payments failover"]["notificationEmail"]


def test_group_and_plan_created_over_api_read_back(sandbox: RunningSandbox) -> None:
    group = sandbox.api(
        "POST", "/protection-groups", {"groupName": "e2e db", "sourceServerIds": servers(sandbox, 0, 12, 2)}
    )
    assert group.status == 201, group.body
    group_id = group.json()["groupId"]
    plan = sandbox.api(
        "POST",
        "/recovery-plans",
        {"planName": "e2e plan", "waves": [{"waveNumber": 1, "protectionGroupId": group_id}]},
    )
    assert plan.status == 201, plan.body

    read_group = sandbox.api("GET", f"/protection-groups/{group_id}")
    read_plan = sandbox.api("GET", f"/recovery-plans/{plan.json()['planId']}")

    assert read_group.status == 200
    assert read_group.json()["sourceServerIds"] == servers(sandbox, 0, 12, 2)
    assert read_plan.status == 200
    assert read_plan.json()["waves"][0]["protectionGroupId"] == group_id


def test_another_accounts_group_is_not_found(sandbox: RunningSandbox) -> None:
    second = sandbox.info["accounts"][1]
    body = {"groupName": "e2e isolated", "sourceServerIds": servers(sandbox, 1, 0, 2)}
    created = sandbox.api("POST", "/protection-groups", body, account=second)
    assert created.status == 201, created.body
    group_id = created.json()["groupId"]

    from_first = sandbox.api("GET", f"/protection-groups/{group_id}")
    first_list = sandbox.api("GET", "/protection-groups").json()["items"]
    from_second = sandbox.api("GET", f"/protection-groups/{group_id}", account=second)

    assert from_first.status == 404
    assert from_first.json()["error"] == "NOT_FOUND"
    assert group_id not in {g["groupId"] for g in first_list}
    assert from_second.status == 200


def test_a_group_of_another_accounts_servers_is_refused_naming_them(sandbox: RunningSandbox) -> None:
    second = sandbox.info["accounts"][1]
    firsts = servers(sandbox, 0, 20, 2)
    refused = sandbox.api(
        "POST", "/protection-groups", {"groupName": "e2e stolen", "sourceServerIds": firsts}, account=second
    )

    assert refused.status == 400, refused.body
    assert refused.json()["error"] == "VALIDATION_ERROR"
    assert all(s in refused.json()["message"] for s in firsts)


def test_drs_state_lists_each_accounts_servers_instances_and_jobs(sandbox: RunningSandbox) -> None:
    state = http("GET", sandbox.info["drsStateUrl"]).json()

    assert set(state) >= set(sandbox.info["accounts"])
    for account in sandbox.info["accounts"]:
        listed = {s["sourceServerID"]: s for s in state[account]["sourceServers"]}
        assert set(listed) == set(sandbox.info["sourceServers"][account])
        assert all(s["replicationState"] for s in listed.values())
        assert isinstance(state[account]["recoveryInstances"], list) and isinstance(
            state[account]["jobs"], list
        )


def test_a_request_without_the_account_header_is_forbidden(sandbox: RunningSandbox) -> None:
    # Given a request without X-Sandbox-Account: a signed-in identity with no account claim
    first = sandbox.info["accounts"][0]
    # When it names the first account in the query string
    response = sandbox.api("GET", f"/protection-groups?accountId={first}", claim=False)
    # Then it is forbidden and sees none of that account's groups
    assert response.status == 403 and response.json()["error"] == "FORBIDDEN"
    assert "items" not in response.json()


def test_unknown_sandbox_path_is_a_json_404(sandbox: RunningSandbox) -> None:
    response = http("GET", sandbox.info["lambdaEndpoint"] + "/no-such-page")

    assert response.status == 404
    assert response.json()["error"] == "NOT_FOUND"
