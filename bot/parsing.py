"""``/dr`` command text -> a :class:`Command`, as pure functions (no Slack, no AWS).

Slack sends ``&``, ``<``, ``>`` of the typed text as entities; they are decoded first, so a plan
named ``<!channel>`` can be named back. Plan names may contain spaces (quotes are optional).

Each argument parser here takes the name of its subcommand and the words after the first one (for
a row that reads the rest of its line as typed, such as ``cancel <id> [reason…]``: the next word and
the rest of the line), and returns the :class:`Command`, raises :class:`ParseError` for bad
arguments, or returns None when the words are another form of the same first word (``plan create``
versus ``plan <name>``).
Which parser reads which words is decided by the table in ``bot/subcommand_table.py``."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pydantic

from handlers.aws.snapshots import read_time
from handlers.core.errors import ValidationError
from handlers.core.timestamps import format_iso, now
from handlers.models.fields import Reason, is_valid_account_id, is_valid_email


@dataclass(frozen=True)
class Command:
    name: str  # the name of a subcommand of bot/subcommand_table.py
    target: str = ""  # plan name/id, execution id or account id
    email: str = ""
    recovery: bool = False
    page: int = 1
    point_in_time: str = ""  # ``at <ISO time>|<N>h ago``, as an ISO time ("" = latest data)
    force: bool = False
    reason: str = ""  # ``cancel <executionId> [reason…]``: the rest of the line as typed


Parser = Callable[[str, list[str]], Command | None]


class ParseError(ValueError):
    """Bad input; ``usage_key`` names the subcommand whose usage line explains it."""

    def __init__(self, message: str, usage_key: str) -> None:
        super().__init__(message)
        self.message = message
        self.usage_key = usage_key


def decode_entities(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def line_words(text: str) -> list[str]:
    """The first two words of the line as typed and the rest of it (a reason), entities decoded."""
    return decode_entities(text).strip().split(maxsplit=2)


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


def group_name(name: str, rest: list[str]) -> Command:
    """``group <name|id>``: the rest of the words name a protection group."""
    if not rest:
        raise ParseError("which group? give its name or id", name)
    return Command(name, target=" ".join(rest))


def run(name: str, rest: list[str]) -> Command:
    """``run <plan> [drill|recovery] [at <ISO time>|<N>h ago] [force]``."""
    force = bool(rest) and rest[-1].lower() == "force"
    rest = rest[:-1] if force else rest
    rest, moment = _point_in_time(name, rest)
    recovery = False
    if rest and rest[-1].lower() in ("drill", "recovery"):
        recovery = rest[-1].lower() == "recovery"
        rest = rest[:-1]
    if not rest:
        raise ParseError("which plan? give its name or id", name)
    return Command(name, target=" ".join(rest), recovery=recovery, point_in_time=moment, force=force)


def check(name: str, rest: list[str]) -> Command:
    """``check <plan> [at <ISO time>|<N>h ago]``."""
    rest, moment = _point_in_time(name, rest)
    if not rest:
        raise ParseError("which plan? give its name or id", name)
    return Command(name, target=" ".join(rest), point_in_time=moment)


_AGO = re.compile(r"^(\d{1,4})\s*([hmd])$")
_UNITS = {"h": "hours", "m": "minutes", "d": "days"}


def _point_in_time(name: str, words: list[str]) -> tuple[list[str], str]:
    """Split ``... at <time>`` off the words. Words after the last ``at`` that do not start with a
    digit are part of a plan's name (``Look at me``); ones that do must be a time."""
    lowered = [w.lower() for w in words]
    if "at" not in lowered:
        return words, ""
    index = len(lowered) - 1 - lowered[::-1].index("at")
    when = " ".join(words[index + 1 :]).strip()
    if not when[:1].isdigit():
        return words, ""
    return words[:index], point_in_time(when, name)


def point_in_time(text: str, usage_key: str) -> str:
    """``2026-11-30T10:00Z`` (ISO 8601, UTC unless an offset says otherwise) or ``<N>h ago`` (also
    ``m``/``d``) as an ISO time. Whether it is within DRS's retention is the start's to say."""
    ago = text.lower().removesuffix("ago").strip()
    match = _AGO.match(ago)
    if match and text.lower().endswith("ago"):
        delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        return format_iso(now() - delta)
    try:
        return format_iso(read_time(text))  # the start's own reader: a time outside the calendar too
    except ValidationError as exc:
        raise ParseError(f"{exc.message}, or <N>h ago", usage_key) from None


def execution_id(*, optional: bool) -> Parser:
    def parse(name: str, rest: list[str]) -> Command:
        if len(rest) > 1 or (not rest and not optional):
            raise ParseError("give one execution id", name)
        return Command(name, target=rest[0] if rest else "")

    return parse


_REASON = pydantic.TypeAdapter(Reason)


def execution_and_reason(name: str, rest: list[str]) -> Command:
    """``cancel <executionId> [reason…]``: ``rest`` is the id and the rest of the line as typed
    (quotes and apostrophes are part of a reason), held to the reason rules of every channel."""
    if not rest:
        raise ParseError("give one execution id", name)
    reason = " ".join(rest[1:]).strip()
    try:
        _REASON.validate_python(reason)
    except pydantic.ValidationError as exc:
        problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ParseError(f"the reason is not accepted: {problem}", name) from None
    return Command(name, target=rest[0], reason=reason)


def subscribe(name: str, rest: list[str]) -> Command:
    if len(rest) < 2:
        raise ParseError("give a plan and an email address", name)
    email = rest[-1].strip("<>").removeprefix("mailto:").split("|")[-1]
    if not is_valid_email(email):
        raise ParseError(f"{email!r} is not an email address", name)
    return Command(name, target=" ".join(rest[:-1]), email=email)
