"""Tag-based Protection Groups (``serverSelectionTags``): the field rules, create/update, claims,
export/import and backfill, over the REST routes and direct invocation, on moto and the DRS emulator."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.repositories.server_claims import ServerClaimRepository
from tests.conftest import ACCOUNT_A
from tests.support.data import group_body, server_id, tag_group_body
from tests.support.drs import add_tagged_servers
from tests.support.events import call_api, invoke_direct

BAD_TAGS = {
    "a key longer than 128": ({"k" * 129: "v"}, "serverSelectionTags"),
    "a value longer than 256": ({"Tier": "v" * 257}, "serverSelectionTags.Tier"),
    "an empty map": ({}, "serverSelectionTags"),
    "an aws: prefix": ({"aws:cloudformation:stack-name": "x"}, "reserved for AWS"),
    "an AWS: prefix in capitals": ({"AWS:Tier": "x"}, "reserved for AWS"),
    "an empty key": ({"": "x"}, "serverSelectionTags"),
    "51 tags": ({f"k{i}": "v" for i in range(51)}, "at most 50"),
    "a list instead of a map": (["Tier=web"], "serverSelectionTags"),
    "a number as a value": ({"Tier": 3}, "serverSelectionTags.Tier"),
}


@pytest.mark.parametrize("case", list(BAD_TAGS))
def test_tags_beyond_drs_limits_are_a_400_naming_the_field(aws, case):
    # Given a tag map DRS would not accept
    tags, expected = BAD_TAGS[case]
    # When a group is created with it
    status, error = call_api("POST", "/protection-groups", {"groupName": "Web", "serverSelectionTags": tags})
    # Then it is a 400 that says what is wrong, and nothing is stored
    assert (status, error["error"]) == (400, "VALIDATION_ERROR"), case
    assert expected in error["message"], error["message"]
    assert call_api("GET", "/protection-groups")[1]["items"] == []


def test_both_ids_and_tags_is_a_400_naming_both_fields(aws):
    body = {**group_body(), "serverSelectionTags": {"Tier": "web"}}
    status, error = call_api("POST", "/protection-groups", body)
    assert (status, error["error"]) == (400, "VALIDATION_ERROR")
    assert "sourceServerIds" in error["message"] and "serverSelectionTags" in error["message"]
    # the same through an update
    _, group = call_api("POST", "/protection-groups", group_body())
    status, error = call_api("PUT", f"/protection-groups/{group['groupId']}", body)
    assert status == 400 and "serverSelectionTags" in error["message"]


def test_neither_ids_nor_tags_is_a_400_naming_both_fields(aws):
    status, error = call_api("POST", "/protection-groups", {"groupName": "Nothing"})
    assert status == 400
    assert "sourceServerIds" in error["message"] and "serverSelectionTags" in error["message"]


def test_a_tag_group_is_stored_even_when_its_tags_select_nothing_yet(aws):
    # Given tags no server carries (yet)
    body = tag_group_body("Web tier", {"App": "not-deployed-yet"})
    # When the group is created
    status, group = call_api("POST", "/protection-groups", body)
    # Then it is stored as a tag group: no ids, its tags, nothing claimed, no DRS call made
    assert status == 201
    assert group["serverSelectionTags"] == {"App": "not-deployed-yet"}
    assert group["sourceServerIds"] == []
    assert aws.drs.calls == []
    assert call_api("GET", f"/protection-groups/{group['groupId']}") == (200, group)


def test_tag_groups_claim_no_servers_so_two_may_select_the_same_server(aws):
    # Given a server carrying two tags, held by no group of ids
    [shared] = add_tagged_servers(aws.drs, ACCOUNT_A, 1, {"Tier": "web-x", "App": "shop-x"})
    # When two tag groups select it
    first = call_api("POST", "/protection-groups", tag_group_body("A", {"Tier": "web-x"}))
    second = call_api("POST", "/protection-groups", tag_group_body("B", {"App": "shop-x"}))
    # Then both are stored (overlaps are a readiness FAIL at run time, not a claim) and nothing is claimed
    assert (first[0], second[0]) == (201, 201)
    assert ServerClaimRepository().owner(ACCOUNT_A, shared) is None
    # and a group of ids may still claim it
    assert call_api("POST", "/protection-groups", {"groupName": "Ids", "sourceServerIds": [shared]})[0] == 201


def test_switching_a_group_from_ids_to_tags_releases_its_claims_and_back_claims_them(aws):
    servers = [server_id(), server_id()]
    _, group = call_api("POST", "/protection-groups", {"groupName": "Switch", "sourceServerIds": servers})
    path = f"/protection-groups/{group['groupId']}"
    # When its tags are set
    status, tagged = call_api("PUT", path, {"serverSelectionTags": {"Tier": "web"}})
    # Then it is a tag group and its servers are free again
    assert status == 200
    assert (tagged["sourceServerIds"], tagged["serverSelectionTags"]) == ([], {"Tier": "web"})
    assert [ServerClaimRepository().owner(ACCOUNT_A, s) for s in servers] == [None, None]
    # When ids are set again, it is a group of ids that claims them
    status, back = call_api("PUT", path, {"sourceServerIds": servers})
    assert status == 200 and back["serverSelectionTags"] is None
    assert {ServerClaimRepository().owner(ACCOUNT_A, s) for s in servers} == {group["groupId"]}


def test_a_tag_group_survives_export_and_import_unchanged(aws):
    # Given a tag group and a group of ids
    tag_group = invoke_direct("create_protection_group", {"accountId": ACCOUNT_A, **tag_group_body("Web")})
    invoke_direct("create_protection_group", {"accountId": ACCOUNT_A, **group_body("Db")})
    # When the account is exported and the document imported again
    document = invoke_direct("export_configuration", {"accountId": ACCOUNT_A})
    result = invoke_direct("import_configuration", {"accountId": ACCOUNT_A, "document": document})
    # Then both are identical (skipped), and the tags are in the document
    assert len(result["skipped"]["protectionGroups"]) == 2, result
    exported = {g["groupName"]: g for g in document["protectionGroups"]}
    assert exported["Web"]["serverSelectionTags"] == tag_group["serverSelectionTags"]


def test_importing_a_new_tag_group_creates_it_and_changed_tags_update_it(aws):
    document: dict[str, Any] = {
        "formatVersion": 1,
        "accountId": ACCOUNT_A,
        "protectionGroups": [
            {
                "groupId": "g-tags-1",
                "groupName": "Web",
                "accountId": ACCOUNT_A,
                "region": "us-east-1",
                "sourceServerIds": [],
                "serverSelectionTags": {"Tier": "web"},
            }
        ],
    }
    created = invoke_direct("import_configuration", {"accountId": ACCOUNT_A, "document": document})
    assert created["created"]["protectionGroups"] == ["g-tags-1"]
    document["protectionGroups"][0]["serverSelectionTags"] = {"Tier": "web", "Env": "prod"}
    updated = invoke_direct("import_configuration", {"accountId": ACCOUNT_A, "document": document})
    assert updated["updated"]["protectionGroups"] == ["g-tags-1"]
    stored = invoke_direct("get_protection_group", {"accountId": ACCOUNT_A, "groupId": "g-tags-1"})
    assert stored["serverSelectionTags"] == {"Tier": "web", "Env": "prod"}


def test_an_import_with_bad_tags_or_both_selections_writes_nothing(aws):
    group = {"groupId": "g-bad", "groupName": "Bad", "accountId": ACCOUNT_A, "region": "us-east-1"}
    for selection in (
        {"serverSelectionTags": {"aws:x": "1"}},
        {"serverSelectionTags": {"Tier": "web"}, "sourceServerIds": [server_id()]},
    ):
        document = {"formatVersion": 1, "accountId": ACCOUNT_A, "protectionGroups": [{**group, **selection}]}
        error = invoke_direct("import_configuration", {"accountId": ACCOUNT_A, "document": document})
        assert error["error"] == "VALIDATION_ERROR", selection
    assert invoke_direct("list_protection_groups", {"accountId": ACCOUNT_A})["items"] == []


def test_backfill_keeps_a_legacy_tag_group_and_refuses_one_the_api_would_refuse(aws, capsys):
    import boto3

    from scripts.backfill import backfill_protection_groups

    table = boto3.resource("dynamodb", region_name="us-east-1").Table(aws.tables["PROTECTION_GROUPS_TABLE"])
    # Given legacy items: a tag group, one with both ids and tags, one with a reserved tag key
    table.put_item(Item={"groupId": "legacy-tags", "groupName": "L1", "serverSelectionTags": {"Tier": "web"}})
    table.put_item(
        Item={
            "groupId": "legacy-both",
            "groupName": "L2",
            "serverSelectionTags": {"Tier": "db"},
            "sourceServerIds": [server_id()],
        }
    )
    table.put_item(Item={"groupId": "legacy-aws", "groupName": "L3", "serverSelectionTags": {"aws:x": "1"}})
    # When the backfill is applied
    code = backfill_protection_groups(
        [
            "--groups-table",
            table.name,
            "--claims-table",
            aws.tables["SERVER_CLAIMS_TABLE"],
            "--apply",
            "--default-account-id",
            ACCOUNT_A,
        ]
    )
    out = capsys.readouterr().out
    # Then the tag group gets the account and keeps its tags, and is usable through the API
    assert code == 1  # two were unresolved
    group = invoke_direct("get_protection_group", {"accountId": ACCOUNT_A, "groupId": "legacy-tags"})
    assert (group["serverSelectionTags"], group["sourceServerIds"]) == ({"Tier": "web"}, [])
    # and the others are unresolved, saying why
    assert "L2 (legacy-both): not given account" in out and "not both" in out
    assert "L3 (legacy-aws)" in out and "reserved for AWS" in out
    assert "accountId" not in table.get_item(Key={"groupId": "legacy-both"})["Item"]


def test_a_tag_groups_servers_are_listed_with_hostname_replication_lag_and_tags(aws):
    # Given three servers tagged App=crm and a tag group selecting them
    servers = add_tagged_servers(aws.drs, ACCOUNT_A, 3, {"App": "crm"})
    _, group = call_api("POST", "/protection-groups", tag_group_body("CRM", {"App": "crm"}))
    # When its servers are listed over REST and by direct invocation
    status, listed = call_api("GET", f"/protection-groups/{group['groupId']}/servers")
    direct = invoke_direct("list_group_servers", {"accountId": ACCOUNT_A, "groupId": group["groupId"]})
    # Then both show each server as DRS describes it now
    assert status == 200
    assert (listed["selection"], listed["serverSelectionTags"]) == ("tags", {"App": "crm"})
    assert [s["sourceServerId"] for s in listed["items"]] == servers
    first = listed["items"][0]
    assert first["hostname"].startswith("tagged-") and first["replicationState"] == "CONTINUOUS"
    assert first["lagDuration"] == "PT2S" and first["tags"]["App"] == "crm"
    assert {k: v for k, v in direct.items() if k != "resolvedAt"} == {
        k: v for k, v in listed.items() if k != "resolvedAt"
    }


def test_a_group_of_ids_lists_its_servers_and_marks_one_drs_no_longer_knows(aws):
    servers = add_tagged_servers(aws.drs, ACCOUNT_A, 2, {"App": "ids"})
    _, group = call_api("POST", "/protection-groups", {"groupName": "Ids", "sourceServerIds": servers})
    del aws.drs.estate.servers[ACCOUNT_A][servers[1]]  # removed from DRS since the group was made
    status, listed = call_api("GET", f"/protection-groups/{group['groupId']}/servers")
    assert status == 200 and listed["selection"] == "ids" and "serverSelectionTags" not in listed
    assert [(s["sourceServerId"], s["inDrs"]) for s in listed["items"]] == [
        (servers[0], True),
        (servers[1], False),
    ]
    assert "tags" not in listed["items"][0]


def test_listing_servers_when_drs_fails_is_a_clear_error_not_a_stack_trace(aws):
    from sandbox.data.drs_calls import DrsError

    _, group = call_api("POST", "/protection-groups", tag_group_body())

    def throttle(call: Any, body: dict[str, Any]) -> None:
        raise DrsError(400, "AccessDeniedException", "not allowed")

    aws.drs.before = throttle
    status, error = call_api("GET", f"/protection-groups/{group['groupId']}/servers")
    assert (status, error["error"]) == (500, "INTERNAL_ERROR")
    assert (
        "could not be looked up in DRS in account" in error["message"] and "AccessDenied" in error["message"]
    )
    assert "Traceback" not in error["message"]
