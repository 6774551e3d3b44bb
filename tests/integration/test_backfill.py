"""The backfill scripts against moto, on legacy items (no accountId) written raw."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from handlers.core.settings import get_settings
from handlers.repositories.legacy import LegacyItemRepository
from scripts.backfill import backfill_protection_groups
from scripts.backfill_plans import backfill_recovery_plans
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.support.data import group_body, server_id
from tests.support.events import invoke_direct

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tables(aws) -> dict[str, Any]:
    resource = boto3.resource("dynamodb", region_name="us-east-1")
    return {
        "groups": resource.Table(aws.tables["PROTECTION_GROUPS_TABLE"]),
        "plans": resource.Table(aws.tables["RECOVERY_PLANS_TABLE"]),
        "claims": aws.tables["SERVER_CLAIMS_TABLE"],
    }


def _legacy_group(tables: dict[str, Any], group_id: str, **extra: Any) -> dict[str, Any]:
    item = {"groupId": group_id, "groupName": f"Legacy {group_id}", "sourceServerIds": [server_id()], **extra}
    tables["groups"].put_item(Item=item)
    return item


def _legacy_plan(tables: dict[str, Any], plan_id: str, group_ids: list[str]) -> None:
    waves = [{"waveNumber": i, "protectionGroupId": g} for i, g in enumerate(group_ids, start=1)]
    tables["plans"].put_item(Item={"planId": plan_id, "planName": f"Legacy {plan_id}", "waves": waves})


def _groups(tables: dict[str, Any], *args: str) -> int:
    return backfill_protection_groups(
        ["--groups-table", tables["groups"].name, "--claims-table", tables["claims"], *args]
    )


def _plans(tables: dict[str, Any], *args: str) -> int:
    return backfill_recovery_plans(
        ["--groups-table", tables["groups"].name, "--plans-table", tables["plans"].name, *args]
    )


def _stored(table: Any, key: str, value: str) -> dict[str, Any]:
    return dict(table.get_item(Key={key: value})["Item"])


def test_dry_run_reports_but_writes_nothing(tables, capsys):
    # Given a legacy group without accountId
    _legacy_group(tables, "g1")
    # When the group backfill runs without --apply
    code = _groups(tables, "--default-account-id", ACCOUNT_A)
    # Then it says what it would do, exits 0, and the item is unchanged
    out = capsys.readouterr().out
    assert code == 0
    assert f"accountId={ACCOUNT_A}" in out and "Would update: 1" in out and "DRY RUN" in out
    assert "accountId" not in _stored(tables["groups"], "groupId", "g1")


def test_apply_gives_the_default_account_and_makes_the_group_usable(tables):
    # Given a legacy group
    _legacy_group(tables, "g1")
    # When the backfill applies with a default account
    code = _groups(tables, "--default-account-id", ACCOUNT_A, "--apply")
    # Then the group is readable through the API in that account, at version 1
    assert code == 0
    group = invoke_direct("get_protection_group", {"accountId": ACCOUNT_A, "groupId": "g1"})
    assert (group["accountId"], group["version"], group["createdBy"]) == (ACCOUNT_A, 1, "backfill")


def test_without_region_a_group_gets_the_region_of_its_table_not_a_default(tables, monkeypatch):
    # Given a legacy group (no region), a table reached in us-east-1 through the AWS configuration,
    # and no AWS_REGION variable (the settings alone would say their default)
    _legacy_group(tables, "g1")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # what settings read; boto3 reads AWS_DEFAULT_REGION
    get_settings.cache_clear()
    # When the backfill applies without --region
    code = _groups(tables, "--default-account-id", ACCOUNT_A, "--apply")
    # Then the group's DRS region is the region its table lives in
    assert code == 0
    assert _stored(tables["groups"], "groupId", "g1")["region"] == "us-east-1"


def test_a_role_arn_decides_the_account_over_the_default(tables):
    # Given a legacy group whose assumeRoleName is a role ARN in account B
    _legacy_group(tables, "g1", assumeRoleName=f"arn:aws:iam::{ACCOUNT_B}:role/DrsRole")
    # When the backfill applies with default account A
    _groups(tables, "--default-account-id", ACCOUNT_A, "--apply")
    # Then the group is in account B
    assert _stored(tables["groups"], "groupId", "g1")["accountId"] == ACCOUNT_B


def test_a_group_whose_servers_drs_does_not_know_in_the_account_is_unresolved(aws, tables, capsys):
    # Given a legacy group naming a server that exists only in account B
    b_server = sorted(aws.drs.estate.servers[ACCOUNT_B])[0]
    _legacy_group(tables, "g1", sourceServerIds=[b_server])
    # When the backfill applies with default account A
    code = _groups(tables, "--default-account-id", ACCOUNT_A, "--apply")
    # Then it exits 1 naming the server, the lookup ran in A only, and the item is unchanged
    assert code == 1 and b_server in capsys.readouterr().out
    assert {c.account for c in aws.drs.calls} == {ACCOUNT_A}
    assert "accountId" not in _stored(tables["groups"], "groupId", "g1")


def test_a_group_nothing_identifies_is_unresolved_and_exits_1(tables, capsys):
    # Given a legacy group with no role ARN, and no default account
    _legacy_group(tables, "g1")
    # When the backfill applies
    code = _groups(tables, "--apply")
    # Then it exits 1, says why, and leaves the item alone
    assert code == 1
    assert "cannot determine accountId" in capsys.readouterr().out
    assert "accountId" not in _stored(tables["groups"], "groupId", "g1")


def test_a_rerun_is_harmless(tables, capsys):
    # Given a group backfilled into account A
    _legacy_group(tables, "g1")
    _groups(tables, "--default-account-id", ACCOUNT_A, "--apply")
    capsys.readouterr()
    # When the backfill runs again with another default account
    code = _groups(tables, "--default-account-id", ACCOUNT_B, "--apply")
    # Then the group is skipped and keeps account A
    assert code == 0 and "Skipped (already have accountId): 1" in capsys.readouterr().out
    assert _stored(tables["groups"], "groupId", "g1")["accountId"] == ACCOUNT_A


def test_backfilled_groups_claim_their_servers(tables):
    # Given a legacy group backfilled into account A
    legacy = _legacy_group(tables, "g1")
    _groups(tables, "--default-account-id", ACCOUNT_A, "--apply")
    # When someone creates a group with the legacy group's server
    error = invoke_direct(
        "create_protection_group",
        {"accountId": ACCOUNT_A, "groupName": "New", "sourceServerIds": legacy["sourceServerIds"]},
    )
    # Then it is a conflict naming the legacy group
    assert error["error"] == "CONFLICT" and "g1" in error["message"]


def test_a_server_already_claimed_leaves_the_group_unresolved(tables, capsys):
    # Given a current group holding a server, and a legacy group listing the same server
    current = invoke_direct("create_protection_group", {"accountId": ACCOUNT_A, **group_body("Current")})
    _legacy_group(tables, "g1", sourceServerIds=current["sourceServerIds"][:1])
    # When the backfill applies
    code = _groups(tables, "--default-account-id", ACCOUNT_A, "--apply")
    # Then the legacy group is unresolved and unchanged
    assert code == 1 and current["groupId"] in capsys.readouterr().out
    assert "accountId" not in _stored(tables["groups"], "groupId", "g1")


def test_scans_are_paginated(tables):
    # Given five legacy groups
    for i in range(5):
        _legacy_group(tables, f"g{i}")
    # When they are scanned two at a time
    pages = list(LegacyItemRepository(tables["groups"], "groupId").scan_pages(page_size=2))
    # Then every item arrives once, over several pages
    assert len(pages) >= 3
    assert sorted(i["groupId"] for page in pages for i in page) == [f"g{i}" for i in range(5)]


def test_set_account_never_overwrites_an_existing_account(tables):
    # Given a group that already has an account
    _legacy_group(tables, "g1", accountId=ACCOUNT_A)
    # When a backfill write targets it
    written = LegacyItemRepository(tables["groups"], "groupId").set_account(
        "g1", ACCOUNT_B, always={}, defaults={}
    )
    # Then the conditional write does nothing
    assert written is False
    assert _stored(tables["groups"], "groupId", "g1")["accountId"] == ACCOUNT_A


def test_a_plan_gets_the_account_of_its_groups(tables):
    # Given two backfilled groups in account A and a legacy plan over them
    _legacy_group(tables, "g1")
    _legacy_group(tables, "g2")
    _groups(tables, "--default-account-id", ACCOUNT_A, "--apply")
    _legacy_plan(tables, "p1", ["g1", "g2"])
    # When the plan backfill applies
    code = _plans(tables, "--apply")
    # Then the plan is readable through the API in account A, with its groups' names in the waves
    assert code == 0
    plan = invoke_direct("get_recovery_plan", {"accountId": ACCOUNT_A, "planId": "p1"})
    assert [w["protectionGroupName"] for w in plan["waves"]] == ["Legacy g1", "Legacy g2"]
    assert (plan["status"], plan["version"]) == ("valid", 1)


def test_a_plan_spanning_accounts_is_marked_invalid_without_an_account(tables, capsys):
    # Given groups in accounts A and B and a legacy plan over both
    _legacy_group(tables, "g1", accountId=ACCOUNT_A)
    _legacy_group(tables, "g2", accountId=ACCOUNT_B)
    _legacy_plan(tables, "p1", ["g1", "g2"])
    # When the plan backfill applies
    code = _plans(tables, "--apply")
    # Then the plan is invalid with a reason naming both accounts, and has no account
    stored = _stored(tables["plans"], "planId", "p1")
    assert code == 0 and "Marked invalid: 1" in capsys.readouterr().out
    assert stored["status"] == "invalid"
    assert ACCOUNT_A in stored["statusReason"] and ACCOUNT_B in stored["statusReason"]
    assert "accountId" not in stored


def test_a_plan_whose_group_has_no_account_is_unresolved(tables, capsys):
    # Given a legacy plan over a legacy group not yet backfilled
    _legacy_group(tables, "g1")
    _legacy_plan(tables, "p1", ["g1"])
    # When the plan backfill runs
    code = _plans(tables)
    # Then it exits 1 and says to backfill the groups first
    assert code == 1 and "run backfill-protection-groups.py --apply first" in capsys.readouterr().out


def test_a_plan_dry_run_writes_nothing(tables):
    # Given a legacy plan over a group in account A
    _legacy_group(tables, "g1", accountId=ACCOUNT_A)
    _legacy_plan(tables, "p1", ["g1"])
    # When the plan backfill runs without --apply
    code = _plans(tables)
    # Then nothing is written
    assert code == 0 and "accountId" not in _stored(tables["plans"], "planId", "p1")


@pytest.mark.parametrize(
    "script", ["backfill-protection-groups.py", "backfill-recovery-plans.py", "migrate-subscriptions.py"]
)
def test_the_scripts_run_from_a_checkout(script):
    # When a script is run by path, as operators do
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    # Then it starts and documents --apply
    assert result.returncode == 0 and "--apply" in result.stdout


def test_backfilled_items_carry_the_failed_wave_fields_explicitly(tables):
    # Given a legacy group and plan (from before optional servers and onWaveFailure existed)
    _legacy_group(tables, "g1")
    _groups(tables, "--default-account-id", ACCOUNT_A, "--apply")
    _legacy_plan(tables, "p1", ["g1"])
    _plans(tables, "--apply")
    # Then the stored items say every server is critical and a failed wave pauses (the API's default)
    assert _stored(tables["groups"], "groupId", "g1")["optionalSourceServerIds"] == []
    assert _stored(tables["plans"], "planId", "p1")["onWaveFailure"] == "pause"
