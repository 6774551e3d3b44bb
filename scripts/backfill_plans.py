"""Recovery Plan backfill rules, run by ``scripts/backfill-recovery-plans.py`` (docs/operations.md).

A plan gets the account of its Protection Groups. Every wave's group must exist and already have an
account (run the group backfill first). A plan whose groups span several accounts is marked
``status: "invalid"`` with a ``statusReason`` and given no account: a plan lives in one account.
Waves without a ``protectionGroupName`` get the group's name, as today's plans carry it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from handlers.core.timestamps import now_iso
from handlers.core.validation import describe
from handlers.repositories.legacy import LegacyItemRepository
from scripts.backfill import (
    BACKFILL_PRINCIPAL,
    CommonOptions,
    Report,
    add_common_arguments,
    label_of,
    open_table,
    parse_options,
)


class LegacyWave(BaseModel):
    model_config = ConfigDict(extra="allow")

    protectionGroupId: str = Field(min_length=1)


class LegacyPlan(BaseModel):
    model_config = ConfigDict(extra="ignore")

    planId: str = Field(min_length=1)
    accountId: str | None = None
    waves: list[LegacyWave] = Field(default_factory=list)


class PlanOptions(CommonOptions):
    groups_table: str | None = None
    plans_table: str | None = None


@dataclass
class PlanBackfill:
    plans: LegacyItemRepository
    groups: LegacyItemRepository
    apply: bool
    report: Report

    def run(self) -> int:
        for page in self.plans.scan_pages():
            for item in page:
                self.report.found += 1
                self.one(item)
        return self.report.finish()

    def one(self, item: dict[str, Any]) -> None:
        label = label_of(item, "planId", "planName")
        try:
            plan = LegacyPlan.model_validate(item)
        except pydantic.ValidationError as exc:
            return self.report.add("unresolved", label, f"unreadable item: {describe(exc)}")
        if plan.accountId:
            return self.report.add("skipped", label, f"already has accountId {plan.accountId}")
        if not plan.waves:
            return self.report.add(
                "unresolved", label, "no waves, so no protection group to take an account from"
            )
        groups, problem = self.wave_groups(plan)
        if problem:
            return self.report.add("unresolved", label, problem)
        accounts = sorted({str(g["accountId"]) for g in groups.values()})
        if len(accounts) > 1:
            reason = f"protection groups span accounts {', '.join(accounts)}; a plan must use one account"
            if self.apply and not self.plans.mark_invalid(plan.planId, reason):
                return self.report.add("skipped", label, "was given an accountId meanwhile")
            return self.report.add("invalid", label, f"status=invalid: {reason}")
        if self.apply and not self.write(plan, accounts[0], groups):
            return self.report.add("skipped", label, "was given an accountId meanwhile")
        self.report.add("updated", label, f"accountId={accounts[0]} (from its protection groups)")

    def wave_groups(self, plan: LegacyPlan) -> tuple[dict[str, dict[str, Any]], str | None]:
        groups: dict[str, dict[str, Any]] = {}
        for wave in plan.waves:
            group = self.groups.get(wave.protectionGroupId)
            if group is None:
                return groups, f"protection group {wave.protectionGroupId} does not exist"
            if not group.get("accountId"):
                return groups, (
                    f"protection group {wave.protectionGroupId} has no accountId yet; "
                    "run backfill-protection-groups.py --apply first"
                )
            groups[wave.protectionGroupId] = group
        return groups, None

    def write(self, plan: LegacyPlan, account: str, groups: dict[str, dict[str, Any]]) -> bool:
        waves = [
            {"protectionGroupName": str(groups[w.protectionGroupId].get("groupName", "")), **w.model_dump()}
            for w in plan.waves
        ]
        now = now_iso()
        return self.plans.set_account(
            plan.planId,
            account,
            always={"waves": waves, "status": "valid", "statusReason": ""},
            defaults={
                "version": 1,
                "createdAt": now,
                "updatedAt": now,
                "createdBy": BACKFILL_PRINCIPAL,
                "onWaveFailure": "pause",  # the default of plans created through the API
            },
        )


def backfill_recovery_plans(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Backfill accountId for Recovery Plans")
    add_common_arguments(parser)
    parser.add_argument("--plans-table", help="default: $RECOVERY_PLANS_TABLE")
    options = parse_options(PlanOptions, parser.parse_args(argv))
    plans = LegacyItemRepository(open_table(options, options.plans_table, "recovery_plans_table"), "planId")
    groups = LegacyItemRepository(
        open_table(options, options.groups_table, "protection_groups_table"), "groupId"
    )
    print(f"Scanning recovery plans ({'apply' if options.apply else 'dry run'})")
    return PlanBackfill(plans, groups, options.apply, Report("recovery plans", not options.apply)).run()
