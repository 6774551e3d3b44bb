"""Protection Groups over the REST routes and direct invocation, on moto."""

from __future__ import annotations

from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.support.data import group_body, plan_body, server_id
from tests.support.events import call_api, invoke_direct


def test_create_returns_201_with_the_stored_group(aws):
    # Given a valid body without accountId
    body = group_body("Database tier")
    # When an API caller creates it
    status, group = call_api("POST", "/protection-groups", body)
    # Then the group is stored in the caller's account, version 1, created by the caller
    assert status == 201
    assert group["accountId"] == ACCOUNT_A
    assert group["version"] == 1
    assert group["createdBy"] == "oncall@example.com"
    assert group["region"] == "us-east-1"
    assert call_api("GET", f"/protection-groups/{group['groupId']}") == (200, group)


def test_another_accounts_group_is_not_found(aws):
    _, group = call_api("POST", "/protection-groups", group_body())
    for method in ("GET", "PUT", "DELETE"):
        status, error = call_api(method, f"/protection-groups/{group['groupId']}", {}, account=ACCOUNT_B)
        assert (status, error["error"]) == (404, "NOT_FOUND"), method
    assert call_api("GET", f"/protection-groups/{group['groupId']}")[0] == 200


def test_list_shows_only_the_callers_account_and_paginates(aws):
    for i in range(3):
        call_api("POST", "/protection-groups", group_body(f"A{i}"))
    call_api("POST", "/protection-groups", group_body("B0"), account=ACCOUNT_B)
    status, first = call_api("GET", "/protection-groups?limit=2")
    assert status == 200 and len(first["items"]) == 2 and "nextToken" in first
    _, second = call_api("GET", f"/protection-groups?limit=2&nextToken={first['nextToken']}")
    names = sorted(g["groupName"] for g in first["items"] + second["items"])
    assert names == ["A0", "A1", "A2"]
    assert "nextToken" not in second


def test_a_server_belongs_to_one_group_per_account(aws):
    shared = server_id()
    call_api("POST", "/protection-groups", {"groupName": "First", "sourceServerIds": [shared]})
    status, error = call_api(
        "POST", "/protection-groups", {"groupName": "Second", "sourceServerIds": [server_id(), shared]}
    )
    assert status == 409
    assert shared in error["message"] and "First" in error["message"]
    # the same server id in another account is another server
    assert (
        call_api(
            "POST", "/protection-groups", {"groupName": "B", "sourceServerIds": [shared]}, account=ACCOUNT_B
        )[0]
        == 201
    )


def test_a_refused_group_claims_nothing(aws):
    shared, free = server_id(), server_id()
    call_api("POST", "/protection-groups", {"groupName": "First", "sourceServerIds": [shared]})
    call_api("POST", "/protection-groups", {"groupName": "Second", "sourceServerIds": [free, shared]})
    status, _ = call_api("POST", "/protection-groups", {"groupName": "Third", "sourceServerIds": [free]})
    assert status == 201


def test_update_changes_allowed_fields_and_bumps_the_version(aws):
    _, group = call_api("POST", "/protection-groups", group_body("Old"))
    status, updated = call_api(
        "PUT", f"/protection-groups/{group['groupId']}", {"groupName": "New", "version": 1}
    )
    assert status == 200
    assert (updated["groupName"], updated["version"]) == ("New", 2)
    assert updated["createdAt"] == group["createdAt"]


def test_a_stale_update_is_a_conflict_not_an_overwrite(aws):
    _, group = call_api("POST", "/protection-groups", group_body("Old"))
    path = f"/protection-groups/{group['groupId']}"
    call_api("PUT", path, {"groupName": "Winner", "version": 1})
    status, error = call_api("PUT", path, {"groupName": "Loser", "version": 1})
    assert status == 409 and error["error"] == "CONFLICT"
    assert call_api("GET", path)[1]["groupName"] == "Winner"


def test_update_cannot_change_account_id_or_created_by(aws):
    _, group = call_api("POST", "/protection-groups", group_body())
    path = f"/protection-groups/{group['groupId']}"
    for hostile in ({"createdBy": "mallory"}, {"groupId": "other"}, {"isAdmin": True}):
        status, error = call_api("PUT", path, hostile)
        assert status == 400, hostile
        assert next(iter(hostile)) in error["message"]
    status, error = call_api("PUT", path, {"accountId": ACCOUNT_B})
    assert status == 400
    assert call_api("GET", path)[1] == group


def test_update_moves_server_claims(aws):
    kept, dropped, added = server_id(), server_id(), server_id()
    _, group = call_api("POST", "/protection-groups", {"groupName": "G", "sourceServerIds": [kept, dropped]})
    call_api("PUT", f"/protection-groups/{group['groupId']}", {"sourceServerIds": [kept, added]})
    assert call_api("POST", "/protection-groups", {"groupName": "H", "sourceServerIds": [dropped]})[0] == 201
    assert call_api("POST", "/protection-groups", {"groupName": "I", "sourceServerIds": [added]})[0] == 409


def test_deleting_a_group_a_plan_uses_is_a_conflict_naming_the_plan(aws):
    _, group = call_api("POST", "/protection-groups", group_body())
    call_api("POST", "/recovery-plans", plan_body([group["groupId"]], name="Payments failover"))
    status, error = call_api("DELETE", f"/protection-groups/{group['groupId']}")
    assert status == 409 and "Payments failover" in error["message"]


def test_delete_removes_the_group_and_frees_its_servers(aws):
    body = group_body()
    _, group = call_api("POST", "/protection-groups", body)
    assert call_api("DELETE", f"/protection-groups/{group['groupId']}")[0] == 200
    assert call_api("GET", f"/protection-groups/{group['groupId']}")[0] == 404
    assert call_api("POST", "/protection-groups", {**body, "groupName": "Again"})[0] == 201


def test_direct_invocation_creates_and_reads_back(aws):
    body = {"accountId": ACCOUNT_A, "requestedBy": "runbook-7", **group_body()}
    created = invoke_direct("create_protection_group", body)
    assert created["accountId"] == ACCOUNT_A and created["createdBy"] == "runbook-7"
    fetched = invoke_direct("get_protection_group", {"accountId": ACCOUNT_A, "groupId": created["groupId"]})
    assert fetched == created
    other = invoke_direct("get_protection_group", {"accountId": ACCOUNT_B, "groupId": created["groupId"]})
    assert other["error"] == "NOT_FOUND"


def test_direct_invocation_without_account_id_says_it_is_required(aws):
    result = invoke_direct("create_protection_group", group_body())
    assert result["error"] == "VALIDATION_ERROR"
    assert "accountId is required for direct Lambda invocation" in result["message"]


def _servers_only_in(aws, account: str, count: int = 2) -> list[str]:
    """Servers of the estate that exist in ``account`` and nowhere else."""
    return sorted(aws.drs.estate.servers[account])[:count]


def test_a_group_naming_another_accounts_servers_is_refused_naming_them(aws):
    # Given two servers that exist only in account A
    a_servers = _servers_only_in(aws, ACCOUNT_A)
    # When account B creates a group with them over REST
    status, error = call_api(
        "POST", "/protection-groups", group_body("Stolen", sourceServerIds=a_servers), account=ACCOUNT_B
    )
    # Then it is a 400 naming both, and nothing was stored or claimed
    assert (status, error["error"]) == (400, "VALIDATION_ERROR")
    assert all(s in error["message"] for s in a_servers)
    assert call_api("GET", "/protection-groups", account=ACCOUNT_B)[1]["items"] == []
    # and account A can still group them (the claims are untouched)
    assert call_api("POST", "/protection-groups", group_body("Mine", sourceServerIds=a_servers))[0] == 201


def test_direct_invocation_refuses_another_accounts_servers_too(aws):
    a_servers = _servers_only_in(aws, ACCOUNT_A)
    body = {"accountId": ACCOUNT_B, **group_body("Stolen", sourceServerIds=a_servers)}
    result = invoke_direct("create_protection_group", body)
    assert result["error"] == "VALIDATION_ERROR" and all(s in result["message"] for s in a_servers)


def test_another_accounts_server_reads_exactly_like_an_unknown_one(aws):
    # Given a server of account A and an id no account has
    [a_server] = _servers_only_in(aws, ACCOUNT_A, 1)
    nobodys = "s-" + "e" * 17
    # When account B names each
    _, foreign = call_api(
        "POST", "/protection-groups", group_body(sourceServerIds=[a_server]), account=ACCOUNT_B
    )
    _, unknown = call_api(
        "POST", "/protection-groups", group_body(sourceServerIds=[nobodys]), account=ACCOUNT_B
    )
    # Then the answers differ only in the id
    assert foreign["message"] == unknown["message"].replace(nobodys, a_server)


def test_an_update_adding_an_unknown_server_is_refused(aws):
    _, group = call_api("POST", "/protection-groups", group_body())
    body = {"sourceServerIds": [*group["sourceServerIds"], "s-" + "e" * 17], "version": 1}
    status, error = call_api("PUT", f"/protection-groups/{group['groupId']}", body)
    assert status == 400 and "s-" + "e" * 17 in error["message"]
    assert call_api("GET", f"/protection-groups/{group['groupId']}")[1]["version"] == 1


def test_servers_are_looked_up_in_the_groups_account_through_its_role(aws):
    # When account B creates a group with a role name and an external id
    body = group_body(assumeRoleName="drs-chatops-b", externalId="b-external-id-123")
    assert call_api("POST", "/protection-groups", body, account=ACCOUNT_B)[0] == 201
    # Then the lookup ran in B, as that role, read-only
    [call] = aws.drs.calls
    assert (call.operation, call.account) == ("DescribeSourceServers", ACCOUNT_B)
    assert call.role_arn == f"arn:aws:iam::{ACCOUNT_B}:role/drs-chatops-b"
    assert "drs:StartRecovery" not in call.session_policy
