"""Every ``/dr`` subcommand in one table: its name, the parser of its words, its handler, its help
line and who may run it. Parsing, ``help``, the listener's dispatch and the permission check all
read :data:`SUBCOMMANDS`, so a new subcommand is one more row here (and its handler).

Two rows may share a first word (``plan create`` / ``plan <name>``, ``account`` / ``account <id>``):
their parsers are tried in table order and a parser returns None for the other form's words. Rows
that are two forms of one typed command share its help line; ``help`` shows each line once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.models.views import View

from bot import failback, hooks, native_plans, parsing, subcommands
from bot.access import EVERYONE, Permission, operators_may
from bot.blocks.common import Reply
from bot.identity import SlackUser
from bot.parsing import Command, ParseError, Parser

Outcome = Reply | View  # a View is a form the listener opens with the request's trigger id
Handler = Callable[[SlackUser, Command], Outcome]


@dataclass(frozen=True)
class Subcommand:
    name: str  # Command.name; its first word is the word typed first
    usage: str  # the help line; "{cmd}" is the configured slash command
    parse: Parser
    handle: Handler
    permission: Permission = EVERYONE
    in_ack: bool = False  # answered by the ack itself: needs no AWS call
    rest_of_line: bool = False  # the parser gets the next word and the rest of the line as typed

    @property
    def first_word(self) -> str:
        return self.name.split()[0]


def show_help(user: SlackUser, command: Command) -> Reply:
    return Reply(help_text(user.command))


_ACCOUNT = "{cmd} account [<12-digit account id>]: show or set the account this channel acts on"

SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("help", "{cmd} help: this list", parsing.nothing, show_help, in_ack=True),
    Subcommand("account", _ACCOUNT, parsing.account_show, subcommands.show_account),
    Subcommand(
        "account set",
        _ACCOUNT,
        parsing.account_set,
        subcommands.set_account,
        operators_may("set the channel's account"),
    ),
    Subcommand(
        "groups", "{cmd} groups [page]: list protection groups", parsing.page, subcommands.list_groups
    ),
    Subcommand(
        "group",
        "{cmd} group <name|id>: the group's servers with hostname, replication state and lag",
        parsing.group_name,
        subcommands.show_group,
    ),
    Subcommand("plans", "{cmd} plans [page]: list recovery plans", parsing.page, subcommands.list_plans),
    Subcommand(
        "plan create",
        "{cmd} plan create: create a recovery plan (opens a form)",
        parsing.plan_create,
        subcommands.plan_form,
        operators_may("create plans"),
    ),
    Subcommand(
        "plan approvers",
        "{cmd} plan <name|id> approvers: who may decide its pauses, quorum, reasons (opens a form)",
        parsing.plan_approvers,
        subcommands.plan_approvers_form,
        operators_may("change plan approvers"),
    ),
    Subcommand(
        "plan hooks",
        "{cmd} plan <name|id> hooks: each wave's before and after hooks, in the order they run",
        hooks.parse,
        hooks.show_hooks,
    ),
    Subcommand(
        "plan",
        "{cmd} plan <name|id>: waves, groups, servers, subscription, approvers, last execution",
        parsing.plan_name,
        subcommands.show_plan,
    ),
    Subcommand(
        "import",
        "{cmd} import <native plan name>: a DRS native recovery plan as groups and a plan",
        parsing.plan_name,
        native_plans.import_native,
        operators_may("import native plans"),
    ),
    Subcommand(
        "check",
        "{cmd} check <plan> [at <ISO time>|<N>h ago]: is the plan ready? (replication, jobs, quotas)",
        parsing.check,
        subcommands.check_plan,
    ),
    Subcommand(
        "run",
        "{cmd} run <plan> [drill|recovery] [at <ISO time>|<N>h ago] [force]: start a drill (default) or "
        "a real recovery, from a point in time; force starts past failing readiness checks",
        parsing.run,
        subcommands.run_plan,
        operators_may("start executions"),
    ),
    Subcommand(
        "status",
        "{cmd} status [executionId]: progress of an execution (default: the latest)",
        parsing.execution_id(optional=True),
        subcommands.show_status,
    ),
    Subcommand(
        "report",
        "{cmd} report <executionId>: evidence report: RTO against the target, waves, decisions",
        parsing.execution_id(optional=False),
        subcommands.show_report,
    ),
    Subcommand(
        "cancel",
        "{cmd} cancel <executionId> [reason]: cancel a running or paused execution (a pause that "
        "needs a reason asks for one)",
        parsing.execution_and_reason,
        subcommands.cancel_run,
        operators_may("cancel executions"),
        rest_of_line=True,
    ),
    Subcommand(
        "cleanup",
        "{cmd} cleanup <executionId>: terminate the recovery instances a finished drill launched",
        parsing.execution_id(optional=False),
        subcommands.cleanup_drill,
        operators_may("clean drills up"),
    ),
    Subcommand(
        "reprotect",
        "{cmd} reprotect <executionId>: reverse replication of a recovery (or re-protect after its "
        "failback), then the failback view",
        parsing.execution_id(optional=False),
        failback.reprotect,
        failback.REVERSE,
    ),
    Subcommand(
        "failback",
        "{cmd} failback <executionId>: where each server stands on its way home, and Start failback",
        parsing.execution_id(optional=False),
        failback.show_failback,
    ),
    Subcommand(
        "subscribe",
        "{cmd} subscribe <plan> <email>: send the plan's notifications to an email address",
        parsing.subscribe,
        subcommands.subscribe,
        operators_may("change subscriptions"),
    ),
    Subcommand(
        "unsubscribe",
        "{cmd} unsubscribe <plan>: stop the plan's email notifications",
        parsing.plan_name,
        subcommands.unsubscribe,
        operators_may("change subscriptions"),
    ),
)


def subcommand(name: str) -> Subcommand:
    for row in SUBCOMMANDS:
        if row.name == name:
            return row
    raise KeyError(name)


def parse(text: str) -> Command:
    """The command typed; empty text is ``help``. Raises :class:`ParseError` for anything else."""
    line = parsing.line_words(text)
    for row in SUBCOMMANDS:
        if row.rest_of_line and line and row.first_word == line[0].lower():
            command = row.parse(row.name, line[1:])
            if command is not None:
                return command
    words = parsing.tokens(text)
    if not words:
        return Command("help")
    first, rest = words[0].lower(), words[1:]
    for row in SUBCOMMANDS:
        if row.first_word == first:
            command = row.parse(row.name, list(rest))
            if command is not None:
                return command
    raise ParseError(f"unknown subcommand {first!r}", "help")


def usage(name: str, command: str = "/dr") -> str:
    return subcommand(name).usage.format(cmd=command)


def help_text(command: str = "/dr") -> str:
    return "\n".join(dict.fromkeys(row.usage.format(cmd=command) for row in SUBCOMMANDS))


def explain(error: ParseError, command: str = "/dr") -> str:
    return f"{error.message}.\nUsage: {usage(error.usage_key, command)}\n({command} help lists every command)"
