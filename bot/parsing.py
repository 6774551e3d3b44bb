"""``/dr`` command text -> a :class:`Command`, as pure functions (no Slack, no AWS).

Slack sends ``&``, ``<``, ``>`` of the typed text as entities; they are decoded first, so a plan
named ``<!channel>`` can be named back. Plan names may contain spaces (quotes are optional)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from handlers.models.fields import is_valid_account_id, is_valid_email

USAGE: dict[str, str] = {
    "help": "{cmd} help: this list",
    "account": "{cmd} account [<12-digit account id>]: show or set the account this channel acts on",
    "groups": "{cmd} groups [page]: list protection groups",
    "plans": "{cmd} plans [page]: list recovery plans",
    "plan": "{cmd} plan <name|id>: waves, groups, servers, subscription, approvers, last execution",
    "plan create": "{cmd} plan create: create a recovery plan (opens a form)",
    "run": "{cmd} run <plan> [drill|recovery]: start a drill (default) or a real recovery",
    "status": "{cmd} status [executionId]: progress of an execution (default: the latest)",
    "cancel": "{cmd} cancel <executionId>: cancel a running or paused execution",
    "subscribe": "{cmd} subscribe <plan> <email>: send the plan's notifications to an email address",
    "unsubscribe": "{cmd} unsubscribe <plan>: stop the plan's email notifications",
}
CHANGING = frozenset({"plan create", "run", "cancel", "subscribe", "unsubscribe", "account set"})


@dataclass(frozen=True)
class Command:
    name: str  # a USAGE key, or "account set"
    target: str = ""  # plan name/id, execution id or account id
    email: str = ""
    recovery: bool = False
    page: int = 1

    @property
    def changes_things(self) -> bool:
        return self.name in CHANGING


class ParseError(ValueError):
    def __init__(self, message: str, usage_key: str) -> None:
        super().__init__(message)
        self.message = message
        self.usage_key = usage_key

    def explain(self, command: str = "/dr") -> str:
        return (
            f"{self.message}.\nUsage: {usage(self.usage_key, command)}\n({command} help lists every command)"
        )


def usage(name: str, command: str = "/dr") -> str:
    return USAGE[name].format(cmd=command)


def help_text(command: str = "/dr") -> str:
    return "\n".join(usage(name, command) for name in USAGE)


def decode_entities(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def tokens(text: str) -> list[str]:
    try:
        return shlex.split(decode_entities(text))
    except ValueError as exc:
        raise ParseError(f"could not read the command ({exc})", "help") from exc


def parse(text: str) -> Command:
    words = tokens(text)
    if not words:
        return Command("help")
    verb, rest = words[0].lower(), words[1:]
    parser = _PARSERS.get(verb)
    if parser is None:
        raise ParseError(f"unknown subcommand {verb!r}", "help")
    return parser(rest)


def _help(rest: list[str]) -> Command:
    return Command("help")


def _account(rest: list[str]) -> Command:
    if not rest:
        return Command("account")
    if len(rest) > 1 or not is_valid_account_id(rest[0]):
        raise ParseError("an account id is exactly 12 digits", "account")
    return Command("account set", target=rest[0])


def _page(name: str, rest: list[str]) -> Command:
    if not rest:
        return Command(name)
    if len(rest) > 1 or not rest[0].isdigit() or int(rest[0]) < 1:
        raise ParseError("the page is a number from 1", name)
    return Command(name, page=int(rest[0]))


def _plan(rest: list[str]) -> Command:
    if [w.lower() for w in rest] == ["create"]:
        return Command("plan create")
    if not rest:
        raise ParseError("which plan? give its name or id", "plan")
    return Command("plan", target=" ".join(rest))


def _run(rest: list[str]) -> Command:
    recovery = False
    if rest and rest[-1].lower() in ("drill", "recovery"):
        recovery = rest.pop().lower() == "recovery"
    if not rest:
        raise ParseError("which plan? give its name or id", "run")
    return Command("run", target=" ".join(rest), recovery=recovery)


def _one_id(name: str, rest: list[str], *, optional: bool) -> Command:
    if len(rest) > 1 or (not rest and not optional):
        raise ParseError("give one execution id", name)
    return Command(name, target=rest[0] if rest else "")


def _subscribe(rest: list[str]) -> Command:
    if len(rest) < 2:
        raise ParseError("give a plan and an email address", "subscribe")
    email = rest[-1].strip("<>").removeprefix("mailto:").split("|")[-1]
    if not is_valid_email(email):
        raise ParseError(f"{email!r} is not an email address", "subscribe")
    return Command("subscribe", target=" ".join(rest[:-1]), email=email)


def _unsubscribe(rest: list[str]) -> Command:
    if not rest:
        raise ParseError("which plan? give its name or id", "unsubscribe")
    return Command("unsubscribe", target=" ".join(rest))


_PARSERS = {
    "help": _help,
    "account": _account,
    "groups": lambda rest: _page("groups", rest),
    "plans": lambda rest: _page("plans", rest),
    "plan": _plan,
    "run": _run,
    "status": lambda rest: _one_id("status", rest, optional=True),
    "cancel": lambda rest: _one_id("cancel", rest, optional=False),
    "subscribe": _subscribe,
    "unsubscribe": _unsubscribe,
}
