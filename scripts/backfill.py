"""Backfill ``accountId`` on items written before accounts existed (how to run it: docs/operations.md).

Shared by ``scripts/backfill-protection-groups.py`` and ``scripts/backfill-recovery-plans.py``:
arguments, tables, the report, and the Protection Group rules (plans: ``scripts.backfill_plans``).
Dry run by default; ``--apply`` writes. Scans are paginated. Every write is conditional on the item
still having no ``accountId``, so re-running is harmless. Exit code 1 when anything was unresolved.

Protection Groups get their account from an IAM role ARN in ``assumeRoleName`` (legacy items stored
ARNs there), else from ``--default-account-id``. With ``--apply`` their source servers are also
claimed in the server-claims table, so "one group per server per account" holds for them too; a
server another group already holds leaves the group unresolved (and unchanged). So does a server DRS
does not know in the group's account (looked up there as the API does, ``handlers.aws.drs.target``):
a group never gets an account whose DRS does not have its servers.

A tag group (``serverSelectionTags``) keeps its tags as they are: it claims no servers and is not
looked up in DRS (its tags are resolved when it runs). Tags beyond DRS's limits, or a group with both
ids and tags, leave the group unresolved with the reason, since the API would refuse it.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from handlers.aws import drs
from handlers.core.settings import get_settings
from handlers.core.timestamps import now_iso
from handlers.core.validation import describe
from handlers.models.fields import is_valid_account_id
from handlers.models.protection_group import BOTH_SELECTIONS, SelectionTags
from handlers.plans.source_servers import missing_source_servers
from handlers.repositories.legacy import LegacyItemRepository
from handlers.repositories.server_claims import ServerClaimRepository

BACKFILL_PRINCIPAL = "backfill"
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/")


@dataclass
class Report:
    kind: str
    dry_run: bool
    found: int = 0
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    def add(self, outcome: str, label: str, text: str) -> None:
        symbol = {"updated": "→", "skipped": "✓", "unresolved": "✗", "invalid": "!"}[outcome]
        getattr(self, outcome).append(label)
        print(f"{symbol} {label}: {text}")

    def finish(self) -> int:
        would = "Would update" if self.dry_run else "Updated"
        print(f"\nSummary ({self.found} {self.kind} found):")
        print(f"  {would}: {len(self.updated)}")
        print(f"  Skipped (already have accountId): {len(self.skipped)}")
        if self.invalid or self.kind == "recovery plans":
            print(f"  {'Would mark' if self.dry_run else 'Marked'} invalid: {len(self.invalid)}")
        print(f"  Unresolved: {len(self.unresolved)}")
        if self.dry_run:
            print("\nDRY RUN - no changes applied. Run with --apply to write them.")
        return 1 if self.unresolved else 0


class CommonOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    apply: bool = False
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    endpoint_url: str | None = Field(default=None, pattern=r"^https?://\S+$")


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--apply", action="store_true", help="write the changes (default: dry run)")
    parser.add_argument("--groups-table", help="default: $PROTECTION_GROUPS_TABLE")
    parser.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    parser.add_argument("--endpoint-url", help="DynamoDB endpoint (e.g. the local sandbox)")


def parse_options(model: type[pydantic.BaseModel], args: argparse.Namespace) -> Any:
    try:
        return model.model_validate(vars(args))
    except pydantic.ValidationError as exc:
        raise SystemExit(f"invalid arguments: {describe(exc)}") from exc


def open_table(options: CommonOptions, given: str | None, setting: str) -> Any:
    import boto3

    name = given or getattr(get_settings(), setting)
    if not name:
        raise SystemExit(
            f"no table: pass --{setting.replace('_table', '').replace('_', '-')}-table or set "
            f"{setting.upper()}"
        )
    resource = boto3.resource("dynamodb", region_name=options.region, endpoint_url=options.endpoint_url)
    return resource.Table(name)


def label_of(item: dict[str, Any], key: str, name: str) -> str:
    return f"{str(item.get(name) or '(unnamed)')[:80]} ({item.get(key, '?')})"


class LegacyGroup(BaseModel):
    model_config = ConfigDict(extra="ignore")

    groupId: str = Field(min_length=1)
    accountId: str | None = None
    assumeRoleName: str = ""
    externalId: str = ""
    region: str = ""
    sourceServerIds: list[str] = Field(default_factory=list)
    serverSelectionTags: dict[str, str] | None = None


def selection_problem(group: LegacyGroup) -> str | None:
    """Why the API would refuse how ``group`` selects its servers (None: it would accept it)."""
    if not group.serverSelectionTags:
        return None
    if group.sourceServerIds:
        return BOTH_SELECTIONS
    try:
        pydantic.TypeAdapter(SelectionTags).validate_python(group.serverSelectionTags)
    except pydantic.ValidationError as exc:
        return f"serverSelectionTags: {describe(exc)}"
    return None


class GroupOptions(CommonOptions):
    default_account_id: str | None = Field(default=None, pattern=r"^[0-9]{12}$")
    groups_table: str | None = None
    claims_table: str | None = None


def group_account(group: LegacyGroup, default_account_id: str | None) -> tuple[str | None, str]:
    match = _ROLE_ARN.match(group.assumeRoleName)
    if match:
        return match.group(1), "from the role ARN in assumeRoleName"
    return default_account_id, "from --default-account-id"


@dataclass
class GroupBackfill:
    groups: LegacyItemRepository
    claims: ServerClaimRepository
    options: GroupOptions
    report: Report
    planned_claims: dict[tuple[str, str], str] = field(default_factory=dict)
    # The region a group without one gets: the deployment's (where its tables are), as a group
    # created through the API gets its function's region.
    region: str = ""

    def run(self) -> int:
        for page in self.groups.scan_pages():
            for item in page:
                self.report.found += 1
                self.one(item)
        return self.report.finish()

    def one(self, item: dict[str, Any]) -> None:
        label = label_of(item, "groupId", "groupName")
        try:
            group = LegacyGroup.model_validate(item)
        except pydantic.ValidationError as exc:
            return self.report.add("unresolved", label, f"unreadable item: {describe(exc)}")
        if group.accountId:
            return self.report.add("skipped", label, f"already has accountId {group.accountId}")
        account, source = group_account(group, self.options.default_account_id)
        if not account or not is_valid_account_id(account):
            return self.report.add(
                "unresolved", label, "cannot determine accountId (no role ARN; pass --default-account-id)"
            )
        conflict = (
            selection_problem(group) or self.check_drs(account, group) or self.check_servers(account, group)
        )
        if conflict is None and self.options.apply:
            conflict = self.claim(account, group)
        if conflict:
            return self.report.add("unresolved", label, f"not given account {account}: {conflict}")
        if self.options.apply and not self.write(group.groupId, account):
            self.release(account, group, group.sourceServerIds)
            return self.report.add("skipped", label, "was given an accountId meanwhile")
        self.report.add("updated", label, f"accountId={account} ({source})")

    def group_region(self, group: LegacyGroup) -> str:
        return group.region or self.options.region or self.region or get_settings().aws_region

    def check_drs(self, account: str, group: LegacyGroup) -> str | None:
        """Read-only: does DRS know every server in the account (and the group's region)?"""
        if not group.sourceServerIds:
            return None
        role_name = group.assumeRoleName.rpartition("/")[2]  # legacy items may hold a role ARN
        target = drs.target(account, self.group_region(group), role_name, group.externalId)
        problems = missing_source_servers(target, group.sourceServerIds, f"backfill-{group.groupId}")
        return "; ".join(problems) or None

    def check_servers(self, account: str, group: LegacyGroup) -> str | None:
        """Read-only: is a server held by another group (stored, or earlier in this run)?"""
        for server in group.sourceServerIds:
            owner = self.planned_claims.get((account, server)) or self.claims.owner(account, server)
            if owner not in (None, group.groupId):
                return f"source server {server} already belongs to protection group {owner}"
        for server in group.sourceServerIds:
            self.planned_claims[(account, server)] = group.groupId
        return None

    def claim(self, account: str, group: LegacyGroup) -> str | None:
        """All of the group's servers or none."""
        done: list[str] = []
        for server in group.sourceServerIds:
            owner = self.claims.claim(account, server, group.groupId)
            if owner is not None:
                self.release(account, group, done)
                return f"source server {server} already belongs to protection group {owner}"
            done.append(server)
        return None

    def release(self, account: str, group: LegacyGroup, servers: list[str]) -> None:
        for server in servers:
            self.claims.release(account, server, group.groupId)

    def write(self, group_id: str, account: str) -> bool:
        now = now_iso()
        defaults = {
            "region": self.options.region or self.region or get_settings().aws_region,  # if absent
            "version": 1,
            "createdAt": now,
            "updatedAt": now,
            "createdBy": BACKFILL_PRINCIPAL,
            "optionalSourceServerIds": [],  # every server of a legacy group is critical
        }
        return self.groups.set_account(group_id, account, always={}, defaults=defaults)


def backfill_protection_groups(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Backfill accountId for Protection Groups")
    add_common_arguments(parser)
    parser.add_argument("--claims-table", help="default: $SERVER_CLAIMS_TABLE")
    parser.add_argument("--default-account-id", help="account for groups nothing else identifies")
    options = parse_options(GroupOptions, parser.parse_args(argv))
    groups_table = open_table(options, options.groups_table, "protection_groups_table")
    groups = LegacyItemRepository(groups_table, "groupId")
    claims = ServerClaimRepository(open_table(options, options.claims_table, "server_claims_table"))
    print(f"Scanning protection groups ({'apply' if options.apply else 'dry run'})")
    report = Report("protection groups", not options.apply)
    region = str(groups_table.meta.client.meta.region_name or "")
    return GroupBackfill(groups, claims, options, report, region=region).run()
