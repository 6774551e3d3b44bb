"""Configuration export/import through direct invocation of the api Lambda, on moto."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest

from handlers.aws.subscriptions import filter_policy, recipient_id
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.support.data import group_body, plan_body, server_id
from tests.support.events import invoke_direct


def _create_group(name: str, account: str = ACCOUNT_A) -> dict[str, Any]:
    return invoke_direct("create_protection_group", {"accountId": account, **group_body(name)})


def _export(account: str = ACCOUNT_A) -> dict[str, Any]:
    return invoke_direct("export_configuration", {"accountId": account})


def _import(document: dict[str, Any], *, dry_run: bool = False, account: str = ACCOUNT_A) -> Any:
    return invoke_direct(
        "import_configuration", {"accountId": account, "document": document, "dryRun": dry_run}
    )


def _group_item(name: str = "Imported tier", account: str = ACCOUNT_A) -> dict[str, Any]:
    return {
        "groupId": str(uuid.uuid4()),
        "groupName": name,
        "accountId": account,
        "region": "us-east-1",
        "sourceServerIds": [server_id(), server_id()],
    }


def _plan_item(group_ids: list[str], account: str = ACCOUNT_A, **extra: Any) -> dict[str, Any]:
    return {"planId": str(uuid.uuid4()), "accountId": account, **plan_body(group_ids, **extra)}


def _document(groups: list[dict[str, Any]], plans: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "formatVersion": 1,
        "accountId": ACCOUNT_A,
        "protectionGroups": groups,
        "recoveryPlans": plans or [],
    }


@pytest.fixture
def populated(aws):
    """Account A: two groups and a plan over them; account B: one group."""
    groups = [_create_group("App"), _create_group("Db")]
    plan = invoke_direct(
        "create_recovery_plan", {"accountId": ACCOUNT_A, **plan_body([g["groupId"] for g in groups])}
    )
    _create_group("Elsewhere", ACCOUNT_B)
    return groups, plan


def test_export_holds_every_group_and_plan_of_the_callers_account_only(populated):
    # Given groups and a plan in account A and a group in account B
    groups, plan = populated
    # When account A exports
    document = _export()
    # Then the document is versioned and holds exactly account A's items, as stored
    assert (document["formatVersion"], document["accountId"]) == (1, ACCOUNT_A)
    assert document["exportedAt"]
    assert document["protectionGroups"] == sorted(groups, key=lambda g: g["groupName"])
    assert [p["planId"] for p in document["recoveryPlans"]] == [plan["planId"]]
    json.dumps(document)  # JSON all the way down


def test_reimporting_an_export_skips_everything(populated):
    # Given an export of account A
    document = _export()
    # When it is imported back unchanged
    result = _import(document)
    # Then nothing is created or updated, everything skipped
    assert result["created"] == {"protectionGroups": [], "recoveryPlans": []}
    assert result["updated"] == {"protectionGroups": [], "recoveryPlans": []}
    assert len(result["skipped"]["protectionGroups"]) == 2
    assert len(result["skipped"]["recoveryPlans"]) == 1


def test_import_creates_absent_items_keeping_ids_and_account(aws):
    # Given a document with a new group and a plan over it
    group = _group_item()
    plan = _plan_item([group["groupId"]])
    # When it is imported
    result = _import(_document([group], [plan]))
    # Then both are created under their own ids in the caller's account, readable through the API
    assert result["created"] == {"protectionGroups": [group["groupId"]], "recoveryPlans": [plan["planId"]]}
    stored = invoke_direct("get_recovery_plan", {"accountId": ACCOUNT_A, "planId": plan["planId"]})
    assert stored["accountId"] == ACCOUNT_A
    assert stored["waves"][0]["protectionGroupName"] == "Imported tier"


def test_imported_group_claims_its_servers(aws):
    # Given an imported group
    group = _group_item()
    _import(_document([group]))
    # When someone creates another group with one of its servers
    taken = group["sourceServerIds"][0]
    error = invoke_direct(
        "create_protection_group", {"accountId": ACCOUNT_A, "groupName": "Thief", "sourceServerIds": [taken]}
    )
    # Then that is a conflict naming the imported group
    assert error["error"] == "CONFLICT" and group["groupId"] in error["message"]


def test_a_changed_item_is_updated_as_its_next_version(populated):
    # Given an export in which one group was renamed
    document = _export()
    renamed = document["protectionGroups"][0]
    renamed["groupName"] = "Renamed"
    # When it is imported
    result = _import(document)
    # Then that group alone is updated, version bumped, identity kept
    assert result["updated"]["protectionGroups"] == [renamed["groupId"]]
    stored = invoke_direct("get_protection_group", {"accountId": ACCOUNT_A, "groupId": renamed["groupId"]})
    assert (stored["groupName"], stored["version"]) == ("Renamed", 2)
    assert stored["createdAt"] == renamed["createdAt"]


def test_a_dry_run_reports_without_writing(aws):
    # Given a document with a new group
    group = _group_item()
    # When it is imported as a dry run
    result = _import(_document([group]), dry_run=True)
    # Then the report says it would be created, and it was not
    assert result["dryRun"] is True
    assert result["created"]["protectionGroups"] == [group["groupId"]]
    missing = invoke_direct("get_protection_group", {"accountId": ACCOUNT_A, "groupId": group["groupId"]})
    assert missing["error"] == "NOT_FOUND"


def test_one_bad_item_means_nothing_is_written_and_every_problem_is_listed(aws):
    # Given a valid group, a group with a bad server id and a plan over an unknown group
    good, bad = _group_item("Good"), _group_item("Bad")
    bad["sourceServerIds"] = ["not-a-server"]
    document = _document([good, bad], [_plan_item(["no-such-group"])])
    # When it is imported
    error = _import(document)
    # Then the import is refused, the message names the bad field, and the good group was not written
    assert error["error"] == "VALIDATION_ERROR"
    assert "protectionGroups.1.sourceServerIds" in error["message"]
    assert _export()["protectionGroups"] == []


def test_semantic_problems_are_all_listed(aws):
    # Given a foreign group, and a plan whose wave names a group that exists nowhere
    foreign = _group_item("Foreign", account=ACCOUNT_B)
    document = _document([_group_item(), foreign], [_plan_item(["no-such-group"])])
    # When it is imported
    error = _import(document)
    # Then both problems are named and nothing was written
    assert error["error"] == "VALIDATION_ERROR"
    assert f"accountId {ACCOUNT_B} is not the caller's account {ACCOUNT_A}" in error["message"]
    assert "no-such-group is neither in the document nor in account" in error["message"]
    assert _export()["protectionGroups"] == []


def test_a_wave_may_use_a_group_already_stored_in_the_account(aws):
    # Given a group already stored in account A
    stored = _create_group("Stored")
    # When a document brings only a plan over it
    result = _import(_document([], [_plan_item([stored["groupId"]])]))
    # Then the plan is created
    assert len(result["created"]["recoveryPlans"]) == 1


def test_a_wave_may_not_use_another_accounts_group(aws):
    # Given a group stored in account B
    foreign = _create_group("Foreign", ACCOUNT_B)
    # When account A imports a plan over it
    error = _import(_document([], [_plan_item([foreign["groupId"]])]))
    # Then it is refused as a group absent from account A
    assert error["error"] == "VALIDATION_ERROR" and foreign["groupId"] in error["message"]


def test_a_server_claimed_by_another_group_is_refused(aws):
    # Given a stored group holding a server
    holder = _create_group("Holder")
    item = _group_item()
    item["sourceServerIds"] = [holder["sourceServerIds"][0]]
    # When a document gives that server to another group
    error = _import(_document([item]))
    # Then the import is refused naming the holder, and nothing was written
    assert error["error"] == "VALIDATION_ERROR"
    assert f"Holder ({holder['groupId']})" in error["message"]
    assert len(_export()["protectionGroups"]) == 1


def test_an_id_taken_in_another_account_is_refused(aws):
    # Given a group of account B, and a document of account A reusing its id
    foreign = _create_group("Foreign", ACCOUNT_B)
    item = _group_item()
    item["groupId"] = foreign["groupId"]
    # When account A imports it
    error = _import(_document([item]))
    # Then it is refused without naming account B, and B's group is untouched
    assert error["error"] == "VALIDATION_ERROR" and ACCOUNT_B not in error["message"]
    kept = invoke_direct("get_protection_group", {"accountId": ACCOUNT_B, "groupId": foreign["groupId"]})
    assert kept["groupName"] == "Foreign"


@pytest.mark.parametrize("version", [None, 2, "1"])
def test_an_unknown_format_version_is_refused(aws, version):
    # Given a document whose formatVersion is missing or unknown
    document = _document([_group_item()])
    if version is None:
        del document["formatVersion"]
    else:
        document["formatVersion"] = version
    # When it is imported
    error = _import(document)
    # Then the refusal names formatVersion
    assert error["error"] == "VALIDATION_ERROR" and "formatVersion" in error["message"]


def test_an_imported_plan_with_an_email_gets_its_subscription(aws):
    # Given a document with a plan carrying a notification email
    group = _group_item()
    plan = _plan_item([group["groupId"]], notificationEmail="dr@example.com")
    # When it is imported
    _import(_document([group], [plan]))
    # Then the address has one email subscription filtered on its recipient id, and the plan records it
    [subscription] = aws.client("sns").list_subscriptions_by_topic(TopicArn=aws.topic_arn)["Subscriptions"]
    assert subscription["Endpoint"] == "dr@example.com"
    attributes = aws.client("sns").get_subscription_attributes(
        SubscriptionArn=subscription["SubscriptionArn"]
    )
    assert json.loads(attributes["Attributes"]["FilterPolicy"]) == filter_policy(
        recipient_id("dr@example.com")
    )
    stored = invoke_direct("get_recovery_plan", {"accountId": ACCOUNT_A, "planId": plan["planId"]})
    assert stored["snsSubscriptionArn"] == subscription["SubscriptionArn"]


def test_exported_subscription_state_is_not_imported(populated):
    # Given an export whose plan claims a subscription it does not have
    document = copy.deepcopy(_export())
    document["recoveryPlans"][0]["snsSubscriptionArn"] = "arn:aws:sns:us-east-1:1:fake"
    # When it is imported
    result = _import(document)
    # Then the plan is skipped as identical and keeps no subscription
    assert len(result["skipped"]["recoveryPlans"]) == 1
    plan_id = document["recoveryPlans"][0]["planId"]
    stored = invoke_direct("get_recovery_plan", {"accountId": ACCOUNT_A, "planId": plan_id})
    assert stored["snsSubscriptionArn"] == ""


def test_import_requires_a_document(aws):
    # When import is invoked without a document
    error = invoke_direct("import_configuration", {"accountId": ACCOUNT_A, "dryRun": True})
    # Then the error names the missing field
    assert error["error"] == "VALIDATION_ERROR" and "document" in error["message"]


def test_a_group_naming_servers_drs_does_not_know_in_the_account_is_refused(aws):
    # Given a document whose group names a server of account B (unknown in A) and a made-up id
    b_server = sorted(aws.drs.estate.servers[ACCOUNT_B])[0]
    item = _group_item()
    item["sourceServerIds"] = [server_id(), b_server, "s-" + "e" * 17]
    # When account A imports it
    error = _import(_document([item]))
    # Then nothing is written and the problem names both unknown ids (and not the known one)
    assert error["error"] == "VALIDATION_ERROR"
    assert b_server in error["message"] and "s-" + "e" * 17 in error["message"]
    assert item["sourceServerIds"][0] not in error["message"]
    assert _export()["protectionGroups"] == []
