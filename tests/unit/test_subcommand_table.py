"""The ``/dr`` subcommand table (bot/subcommand_table.py): every row complete, every row reachable
from typed text, ``help`` built from it. Pure: no Slack, no AWS."""

from __future__ import annotations

import dataclasses

import pytest

from bot import subcommand_table
from bot.access import Permission
from bot.parsing import Command
from bot.subcommand_table import SUBCOMMANDS, Subcommand, help_text, parse, subcommand
from tests.support.subcommands import EXAMPLES


@pytest.mark.parametrize("row", SUBCOMMANDS, ids=lambda row: row.name)
def test_every_row_has_help_text_a_parser_a_handler_and_a_permission(row: Subcommand) -> None:
    # Given a row of the table
    # When help is rendered for a configured command
    shown = help_text("/ops").splitlines()
    # Then the row's usage line is one of help's lines, names the row's first word,
    # and the row has a parser, a handler and a permission
    line = row.usage.format(cmd="/ops")
    assert line in shown and line.startswith(f"/ops {row.first_word}")
    assert callable(row.parse) and callable(row.handle)
    assert isinstance(row.permission, Permission) and row.permission.who in ("everyone", "operators")


def test_names_are_unique_and_help_shows_each_line_once() -> None:
    names = [row.name for row in SUBCOMMANDS]
    assert len(names) == len(set(names))
    lines = help_text().splitlines()
    assert len(lines) == len(set(lines)) == len({row.usage for row in SUBCOMMANDS})


def test_help_keeps_the_order_and_wording_of_the_table() -> None:
    assert help_text().splitlines()[0] == "/dr help: this list"
    assert "/dr account [<12-digit account id>]: show or set the account this channel acts on" in help_text()


@pytest.mark.parametrize("row", SUBCOMMANDS, ids=lambda row: row.name)
def test_every_row_is_reached_by_its_example(row: Subcommand) -> None:
    assert row.name in EXAMPLES, f"give {row.name!r} a typed example in tests/support/subcommands.py"
    command = parse(EXAMPLES[row.name])
    assert command.name == row.name and subcommand(command.name) is row


def test_changing_subcommands_are_for_operators_and_say_what() -> None:
    # Given the rows that change something
    operator_rows = {
        row.name: row.permission.what for row in SUBCOMMANDS if row.permission.who == "operators"
    }
    # Then they are exactly these, each with the words of its refusal
    assert operator_rows == {
        "account set": "set the channel's account",
        "plan create": "create plans",
        "plan approvers": "change plan approvers",
        "run": "start executions",
        "import": "import native plans",
        "cancel": "cancel executions",
        "cleanup": "clean drills up",
        "reprotect": "reverse replication or re-protect",
        "subscribe": "change subscriptions",
        "unsubscribe": "change subscriptions",
    }


def test_a_row_added_to_the_table_is_parsed_and_listed_by_help(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given one more row, and nothing else changed
    row = Subcommand(
        "ping",
        "{cmd} ping: answer pong",
        lambda name, rest: Command(name),
        lambda user, command: NotImplemented,
    )
    monkeypatch.setattr(subcommand_table, "SUBCOMMANDS", (*SUBCOMMANDS, row))
    # When it is typed, and help is asked for
    # Then it parses, is found by name and help lists it
    assert parse("PING") == Command("ping") and subcommand("ping") is row
    assert help_text().splitlines()[-1] == "/dr ping: answer pong"


def test_an_unknown_name_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        subcommand("explode")


def test_rows_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SUBCOMMANDS[0].name = "other"  # type: ignore[misc]
