"""``/dr import <native plan name>``: a DRS native recovery plan of the channel's account imported as
groups and a plan (handlers/native_plans/importing.py; operators only: bot/subcommand_table.py)."""

from __future__ import annotations

from bot.blocks.common import Reply
from bot.blocks.native_plans import imported_reply
from bot.identity import SlackUser, person_for
from bot.parsing import Command
from handlers.core.errors import NotFoundError
from handlers.native_plans import importing, listing


def import_native(user: SlackUser, command: Command) -> Reply:
    caller = person_for(user)
    wanted = command.target.strip()
    found = listing.list_native_recovery_plans(caller)["items"]
    assert isinstance(found, list)
    matches = [
        p for p in found if wanted in (p["arn"], p["name"]) or p["name"].casefold() == wanted.casefold()
    ]
    if not matches:
        names = ", ".join(sorted(p["name"] for p in found)[:20]) or "none"
        raise NotFoundError(
            f"native recovery plan {wanted!r} not found in account {caller.account_id}; "
            f"its native plans: {names}"
        )
    result = importing.import_native_recovery_plan(caller, str(matches[0]["arn"]))
    return imported_reply(user.principal, result)
