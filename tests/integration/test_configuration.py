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


# Plans with the wave fields of native plans and hooks (docs/native-plans.md)

HOOK = {"name": "gate", "type": "lambda", "functionName": "drs-chatops-hook-gate", "payload": {"tier": 1}}


def _native_plan(aws: Any, name: str, steps: list[Any]) -> str:
    """A native plan made in the DRS emulator: lists of server ids (a server step) or minutes (a wait)."""
    native = aws.drs.native_plans
    arn = str(native.create_plan(ACCOUNT_A, {"name": name})["recoveryPlan"]["recoveryPlanArn"])
    for n, step in enumerate(steps, 1):
        if isinstance(step, int):
            configuration: dict[str, Any] = {"waitStepConfiguration": {"waitDurationMinutes": step}}
        else:
            servers = [
                {
                    "serverArn": f"arn:aws:drs:us-east-1:{ACCOUNT_A}:source-server/{s}",
                    "impactLevel": "CRITICAL",
                }
                for s in step
            ]
            configuration = {"serverStepConfiguration": {"servers": servers}}
        native.create_step(
            ACCOUNT_A, {"recoveryPlanArn": arn, "stepName": f"step {n}", "configuration": configuration}
        )
    return arn


def _native_copies(aws: Any) -> list[dict[str, Any]]:
    listed = aws.drs.native_plans.list_plans(ACCOUNT_A, {})["recoveryPlans"]
    return [p for p in listed if p["name"].startswith("drs-chatops ")]


@pytest.fixture
def waited_and_hooked(aws: Any) -> tuple[str, dict[str, Any]]:
    """A plan imported from a native plan (a 20-minute wait before wave 2), given a before hook on
    wave 1 and ``exportNative`` (so it has a DRS native copy)."""
    native_arn = _native_plan(aws, "Orders", [[server_id(9_600)], 20, [server_id(9_610)]])
    imported = invoke_direct(
        "import_native_recovery_plan", {"accountId": ACCOUNT_A, "recoveryPlanArn": native_arn}
    )
    plan = imported["recoveryPlan"]
    waves = copy.deepcopy(plan["waves"])
    waves[0]["hooks"] = {"before": [HOOK], "after": []}
    updated = invoke_direct(
        "update_recovery_plan",
        {"accountId": ACCOUNT_A, "planId": plan["planId"], "waves": waves, "exportNative": True},
    )
    assert updated["nativeExport"]["recoveryPlanArn"], updated
    return native_arn, invoke_direct("get_recovery_plan", {"accountId": ACCOUNT_A, "planId": plan["planId"]})


def test_waits_hooks_export_native_and_origin_survive_export_and_import_into_an_empty_account(
    aws: Any, waited_and_hooked: tuple[str, dict[str, Any]]
) -> None:
    # Given an export of a plan with a wait, a hook, exportNative and importedFrom
    native_arn, plan = waited_and_hooked
    document = _export()
    [exported] = document["recoveryPlans"]
    assert exported["waves"][1]["waitBeforeMinutes"] == 20 and exported["waves"][0]["hooks"]["before"]
    # and an account emptied of it (the plan and its groups deleted)
    invoke_direct("delete_recovery_plan", {"accountId": ACCOUNT_A, "planId": plan["planId"]})
    for group in document["protectionGroups"]:
        invoke_direct("delete_protection_group", {"accountId": ACCOUNT_A, "groupId": group["groupId"]})
    assert _export()["recoveryPlans"] == []
    # When the document is imported
    result = _import(document)
    # Then the plan is created as it was: waves with their wait and hook, exportNative, importedFrom
    assert result["created"]["recoveryPlans"] == [plan["planId"]]
    stored = invoke_direct("get_recovery_plan", {"accountId": ACCOUNT_A, "planId": plan["planId"]})
    assert stored["waves"] == plan["waves"]
    assert [w["waitBeforeMinutes"] for w in stored["waves"]] == [0, 20]
    assert stored["waves"][0]["hooks"]["before"][0]["payload"] == {"tier": 1}
    assert (stored["exportNative"], stored["importedFrom"]) == (
        True,
        {**plan["importedFrom"], "arn": native_arn},
    )
    assert {k: v for k, v in stored.items() if k != "nativeCopy"} == {
        k: v for k, v in plan.items() if k != "nativeCopy"
    }
    # and, its DRS copy not imported, the import exported it again at once: the old copy found by
    # its tag and replaced, still one copy, the one the plan records
    assert result["nativeExportsDue"] == [plan["planId"]]
    exported_now = result["nativeExports"][plan["planId"]]
    [native_copy] = _native_copies(aws)
    assert exported_now["recoveryPlanArn"] == native_copy["recoveryPlanArn"]
    assert native_copy["recoveryPlanArn"] != plan["nativeCopy"]["arn"]  # written anew, swapped in
    stored = invoke_direct("get_recovery_plan", {"accountId": ACCOUNT_A, "planId": plan["planId"]})
    assert stored["nativeCopy"]["arn"] == native_copy["recoveryPlanArn"]
    # and its origin still guards the native plan against a second import
    again = invoke_direct(
        "import_native_recovery_plan", {"accountId": ACCOUNT_A, "recoveryPlanArn": native_arn}
    )
    assert again["error"] == "CONFLICT" and plan["planId"] in again["message"]


def test_reimporting_a_plan_with_waits_and_hooks_unchanged_skips_it(
    aws: Any, waited_and_hooked: tuple[str, dict[str, Any]]
) -> None:
    # Given an export of a plan with a wait and a hook, imported back unchanged
    result = _import(_export())
    # Then the plan is skipped: not written again, its DRS copy still current
    assert len(result["skipped"]["recoveryPlans"]) == 1 and result["updated"]["recoveryPlans"] == []
    assert result["nativeExportsDue"] == []


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda waves: waves[1].update(waitBeforeMinutes=45), id="wait"),
        pytest.param(lambda waves: waves[0]["hooks"]["before"][0].update(timeoutMinutes=3), id="hook"),
        pytest.param(lambda waves: waves[0].update(hooks=None), id="hooks-removed"),
    ],
)
def test_a_document_changing_only_a_wait_or_a_hook_is_applied(
    aws: Any, waited_and_hooked: tuple[str, dict[str, Any]], change: Any
) -> None:
    # Given an export in which only a wave's wait or hook was changed
    _, plan = waited_and_hooked
    document = _export()
    [item] = document["recoveryPlans"]
    change(item["waves"])
    # When it is imported
    result = _import(document)
    # Then the plan is updated as its next version with that change
    assert result["updated"]["recoveryPlans"] == [plan["planId"]]
    stored = invoke_direct("get_recovery_plan", {"accountId": ACCOUNT_A, "planId": plan["planId"]})
    assert stored["version"] == plan["version"] + 1
    shown = [(w["waitBeforeMinutes"], w["hooks"]) for w in stored["waves"]]
    assert shown == [(w["waitBeforeMinutes"], w["hooks"]) for w in item["waves"]]
    # and its DRS copy, which held the version before, was exported again with the import
    assert result["nativeExportsDue"] == [plan["planId"]] and result["nativeExports"][plan["planId"]]
    assert stored["nativeCopy"]["planVersion"] == stored["version"] == plan["version"] + 1


def test_a_malformed_imported_from_is_refused_naming_it(
    aws: Any, waited_and_hooked: tuple[str, dict[str, Any]]
) -> None:
    # Given an export whose plan claims to come from something that is not a native plan
    document = _export()
    document["recoveryPlans"][0]["importedFrom"]["arn"] = "arn:aws:s3:::bucket"
    # When it is imported
    error = _import(document)
    # Then the import is refused naming the field
    assert error["error"] == "VALIDATION_ERROR" and "importedFrom.arn" in error["message"]
