"""``/dr plan <name|id> hooks``: a plan's wave hooks, each wave's before and after hooks in the order
they run (bot/blocks/hooks.py; docs/hooks.md). Anyone in the channel may look; the plan is found in
the channel's account only (another account's plan is "not found", as everywhere)."""

from __future__ import annotations

from bot.blocks.common import Reply
from bot.blocks.hooks import plan_hooks_blocks
from bot.identity import SlackUser, caller_for
from bot.lookup import find_plan
from bot.parsing import Command


def parse(name: str, rest: list[str]) -> Command | None:
    """``plan <name|id> hooks`` (other ``plan`` words: None, for the next row of the table)."""
    if len(rest) < 2 or rest[-1].lower() != "hooks":
        return None
    return Command(name, target=" ".join(rest[:-1]))


def show_hooks(user: SlackUser, command: Command) -> Reply:
    plan = find_plan(caller_for(user), command.target)
    count = sum(w.hooks.count() for w in plan.waves if w.hooks is not None)
    return Reply(f"Hooks of {plan.planName}: {count}", plan_hooks_blocks(plan))
