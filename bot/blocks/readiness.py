"""Readiness in Slack: ``/dr check`` and a run refused as NOT_READY, as a compact list with
failures first. A plan of hundreds of servers stays within Slack's limits: at most
:data:`MAX_LINES` checks are listed, the rest are counted per check and status."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from bot.blocks.common import Reply, context, header, sections
from handlers.models.readiness import Check, Readiness

ICONS = {"FAIL": "❌", "WARN": "⚠️", "PASS": "✅"}
MAX_LINES = 30


def check_line(check: Check) -> str:
    wave = f" (wave {check.waveNumber})" if check.waveNumber else ""
    return f"{ICONS[check.status]} {check.check}{wave}: {check.message}"


def check_lines(checks: Sequence[Check]) -> list[Block]:
    """Failures, then warnings, then passes; what does not fit is counted, not dropped silently."""
    ordered = sorted(checks, key=lambda c: ("FAIL", "WARN", "PASS").index(c.status))
    shown, rest = ordered[:MAX_LINES], ordered[MAX_LINES:]
    blocks: list[Block] = list(sections(check_line(c) for c in shown))
    if rest:
        counts = Counter(f"{c.status} {c.check}" for c in rest)
        summary = ", ".join(f"{what}: {n}" for what, n in counts.most_common())
        blocks.append(context(f"… and {len(rest)} more: {summary}"))
    return blocks


def readiness_reply(plan_name: str, readiness: Readiness) -> Reply:
    counts = Counter(c.status for c in readiness.checks)
    verdict = "ready ✅" if readiness.ready else "NOT ready ❌"
    title = f"{plan_name} is {verdict}"
    facts = (
        f"{counts['FAIL']} failing · {counts['WARN']} warnings · account {readiness.accountId} · "
        f"checked {readiness.checkedAt}"
    )
    blocks: list[Block] = [header(title), context(facts), *check_lines(readiness.checks)]
    return Reply(f"{title}: {facts}", blocks)


def not_ready_reply(plan_name: str, checks: Sequence[Check], force_command: str) -> Reply:
    """A run refused: what failed, and how to start anyway."""
    title = f"{plan_name} was not started: {len(checks)} readiness checks fail"
    blocks: list[Block] = [header(title), *check_lines(checks)]
    blocks.append(context(f"Fix them, or start anyway (recorded and announced as forced): {force_command}"))
    return Reply(title, blocks)
