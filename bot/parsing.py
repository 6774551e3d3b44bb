"""``/dr`` command text -> a :class:`Command`, as pure functions (no Slack, no AWS).

Slack sends ``&``, ``<``, ``>`` of the typed text as entities; they are decoded first, so a plan
named ``<!channel>`` can be named back. Plan names may contain spaces (quotes are optional).

Each argument parser here takes the name of its subcommand and the words after the first one, and
returns the :class:`Command`, raises :class:`ParseError` for bad arguments, or returns None when
the words are another form of the same first word (``plan create`` versus ``plan <name>``).
Which parser reads which words is decided by the table in ``bot/subcommand_table.py``."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

from handlers.models.fields import is_valid_account_id, is_valid_email


@dataclass(frozen=True)
class Command:
    name: str  # the name of a subcommand of bot/subcommand_table.py
    target: str = ""  # plan name/id, execution id or account id
    email: str = ""
    recovery: bool = False
    page: int = 1


Parser = Callable[[str, list[str]], Command | None]


class ParseError(ValueError):
    """Bad input; ``usage_key`` names the subcommand whose usage line explains it."""

    def __init__(self, message: str, usage_key: str) -> None:
        super().__init__(message)
        self.message = message
        self.usage_key = usage_key


def decode_entities(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def tokens(text: str) -> list[str]:
    try:
        return shlex.split(decode_entities(text))
    except ValueError as exc:
        raise ParseError(f"could not read the command ({exc})", "help") from exc


def nothing(name: str, rest: list[str]) -> Command:
    """A subcommand without arguments (words after it are ignored, as they always were)."""
    return Command(name)


def account_show(name: str, rest: list[str]) -> Command | None:
    return None if rest else Command(name)


def account_set(name: str, rest: list[str]) -> Command | None:
    if not rest:
        return None  # plain ``account`` shows it
    if len(rest) > 1 or not is_valid_account_id(rest[0]):
        raise ParseError("an account id is exactly 12 digits", name)
    return Command(name, target=rest[0])


def page(name: str, rest: list[str]) -> Command:
    if not rest:
        return Command(name)
    if len(rest) > 1 or not rest[0].isdigit() or int(rest[0]) < 1:
        raise ParseError("the page is a number from 1", name)
    return Command(name, page=int(rest[0]))


def plan_create(name: str, rest: list[str]) -> Command | None:
    return Command(name) if [w.lower() for w in rest] == ["create"] else None


def plan_approvers(name: str, rest: list[str]) -> Command | None:
    """``plan <name|id> approvers``: the plan's approvers form (other ``plan`` words: None)."""
    if len(rest) < 2 or rest[-1].lower() != "approvers":
        return None
    return Command(name, target=" ".join(rest[:-1]))


def plan_name(name: str, rest: list[str]) -> Command:
    """``plan <name|id>``, ``unsubscribe <plan>``: the rest of the words name a plan."""
    if not rest:
        raise ParseError("which plan? give its name or id", name)
    return Command(name, target=" ".join(rest))


def run(name: str, rest: list[str]) -> Command:
    recovery = False
    if rest and rest[-1].lower() in ("drill", "recovery"):
        recovery = rest[-1].lower() == "recovery"
        rest = rest[:-1]
    if not rest:
        raise ParseError("which plan? give its name or id", name)
    return Command(name, target=" ".join(rest), recovery=recovery)


def execution_id(*, optional: bool) -> Parser:
    def parse(name: str, rest: list[str]) -> Command:
        if len(rest) > 1 or (not rest and not optional):
            raise ParseError("give one execution id", name)
        return Command(name, target=rest[0] if rest else "")

    return parse


def subscribe(name: str, rest: list[str]) -> Command:
    if len(rest) < 2:
        raise ParseError("give a plan and an email address", name)
    email = rest[-1].strip("<>").removeprefix("mailto:").split("|")[-1]
    if not is_valid_email(email):
        raise ParseError(f"{email!r} is not an email address", name)
    return Command(name, target=" ".join(rest[:-1]), email=email)
