"""The ``/dr`` listeners called directly, in the style of the bolt-python starter template's
``tests/listeners``: ``Mock(Ack)``, ``Mock(Respond)`` and a ``Mock(WebClient)`` stand in for what
Bolt passes, the table's handlers are replaced where AWS would be needed. No HTTP, no AWS."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any
from unittest.mock import Mock
from urllib.parse import parse_qs

import pytest
from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot import ids, subcommand_table
from bot.blocks.common import Reply
from bot.listeners import actions, commands
from bot.listeners.common import user_from_command
from bot.parsing import Command
from bot.subcommand_table import SUBCOMMANDS, help_text
from handlers.core.errors import NotFoundError
from handlers.core.settings import get_settings
from tests.support.slack_requests import OPERATOR, VIEWER, action_body
from tests.support.subcommands import EXAMPLES

OPERATOR_ROWS = [row for row in SUBCOMMANDS if row.permission.who == "operators"]


@pytest.fixture(autouse=True)
def operators(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SLACK_OPERATOR_IDS", f"{OPERATOR},U0SECONDOP")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def slash(text: str, user: str = OPERATOR) -> dict[str, Any]:
    """The ``command`` Bolt passes a slash-command listener."""
    return {
        "command": "/dr",
        "text": text,
        "user_id": user,
        "user_name": "someone",
        "channel_id": "C0DRCHANNEL",
        "trigger_id": "1337.42.trigger",
    }


def shown(sent: Mock) -> str:
    """What the one message sent through ``ack`` or ``respond`` shows (its first block's text; the
    fallback ``text`` is escaped)."""
    sent.assert_called_once()
    return str(sent.call_args.kwargs["blocks"][0]["text"]["text"])


def handled_by(monkeypatch: pytest.MonkeyPatch, name: str, handle: Any) -> Mock:
    """Replace the handler of row ``name``; the returned mock records its calls."""
    fake = Mock(side_effect=handle)
    rows = tuple(dataclasses.replace(row, handle=fake) if row.name == name else row for row in SUBCOMMANDS)
    monkeypatch.setattr(subcommand_table, "SUBCOMMANDS", rows)
    return fake


def test_help_is_acked_with_every_usage_line() -> None:
    ack = Mock(Ack)
    commands.acknowledge(ack=ack, command=slash("help"))
    text = shown(ack)
    assert all(row.usage.format(cmd="/dr") in text for row in SUBCOMMANDS)
    assert ack.call_args.kwargs["response_type"] == "ephemeral"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("explode everything", "unknown subcommand 'explode'"),
        ('plan "unbalanced', "could not read the command"),
        ("account 12345", "exactly 12 digits"),
        ("cancel", "give one execution id"),
    ],
)
def test_bad_input_is_acked_with_the_usage_never_a_trace(text: str, expected: str) -> None:
    # Given input the table cannot parse
    ack = Mock(Ack)
    # When it is acknowledged
    commands.acknowledge(ack=ack, command=slash(text))
    # Then the ack explains it and points at help
    answer = shown(ack)
    assert expected in answer and "Usage: /dr " in answer and "/dr help" in answer
    assert "Traceback" not in answer


@pytest.mark.parametrize("row", OPERATOR_ROWS, ids=lambda row: row.name)
def test_an_operator_only_subcommand_refuses_a_viewer_naming_who_may(
    row: subcommand_table.Subcommand, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a viewer (not an operator) typing an operator-only subcommand
    handle = handled_by(monkeypatch, row.name, lambda user, command: Reply("done"))
    ack, respond = Mock(Ack), Mock(Respond)
    # When both listeners run
    commands.acknowledge(ack=ack, command=slash(EXAMPLES[row.name], user=VIEWER))
    commands.respond_to_command(
        command=slash(EXAMPLES[row.name], user=VIEWER), respond=respond, client=Mock(WebClient)
    )
    # Then the ack refuses, saying who may, and nothing runs
    assert shown(ack) == f"Only operators may {row.permission.what}: <@{OPERATOR}>, <@U0SECONDOP>."
    handle.assert_not_called()
    respond.assert_not_called()


def test_an_operator_is_acked_at_once_and_the_handler_answers_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an operator's run, and a handler that needs no AWS
    handle = handled_by(monkeypatch, "run", lambda user, command: Reply(f"started {command.target}"))
    ack, respond = Mock(Ack), Mock(Respond)
    # When both listeners run
    commands.acknowledge(ack=ack, command=slash("run Payments failover drill"))
    commands.respond_to_command(
        command=slash("run Payments failover drill"), respond=respond, client=Mock(WebClient)
    )
    # Then the ack is empty, the row's handler gets the parsed command and its reply is sent
    ack.assert_called_once_with()
    ((user, command), _) = handle.call_args
    assert user.user_id == OPERATOR and command == Command("run", target="Payments failover")
    assert shown(respond) == "started Payments failover"


def test_a_viewer_may_run_a_subcommand_for_everyone(monkeypatch: pytest.MonkeyPatch) -> None:
    handle = handled_by(monkeypatch, "status", lambda user, command: Reply("RUNNING"))
    ack, respond = Mock(Ack), Mock(Respond)
    commands.acknowledge(ack=ack, command=slash("status exec-1", user=VIEWER))
    commands.respond_to_command(
        command=slash("status exec-1", user=VIEWER), respond=respond, client=Mock(WebClient)
    )
    ack.assert_called_once_with()
    handle.assert_called_once()
    assert shown(respond) == "RUNNING"


def test_a_form_from_a_handler_is_opened_with_the_trigger_id(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given plan create's handler returning a form
    form = View(type="modal", title="Create", blocks=[])
    handled_by(monkeypatch, "plan create", lambda user, command: form)
    respond, client = Mock(Respond), Mock(WebClient)
    # When the lazy listener runs
    commands.respond_to_command(command=slash("plan create"), respond=respond, client=client)
    # Then the form is opened and nothing else is said
    client.views_open.assert_called_once_with(trigger_id="1337.42.trigger", view=form)
    respond.assert_not_called()


def test_a_domain_error_of_a_handler_is_told_to_the_user(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(user: Any, command: Command) -> Reply:
        raise NotFoundError(f"Recovery plan {command.target} not found")

    handled_by(monkeypatch, "plan", missing)
    respond = Mock(Respond)
    commands.respond_to_command(command=slash("plan Nope"), respond=respond, client=Mock(WebClient))
    assert shown(respond) == "Recovery plan Nope not found"


def test_the_lazy_listener_leaves_help_to_the_ack(monkeypatch: pytest.MonkeyPatch) -> None:
    respond = Mock(Respond)
    commands.respond_to_command(command=slash("help"), respond=respond, client=Mock(WebClient))
    respond.assert_not_called()
    assert commands.triage("", user_from_command(slash(""))) == (None, Reply(help_text()))


@pytest.mark.parametrize(
    ("action_id", "what"),
    [(ids.RUN_RECOVERY_CONFIRM, "start executions"), (ids.CANCEL_EXECUTION_CONFIRM, "cancel executions")],
)
def test_a_confirmation_button_refuses_a_viewer_like_its_subcommand(action_id: str, what: str) -> None:
    # Given a viewer clicking the confirmation of run … recovery or cancel
    body = json.loads(parse_qs(action_body(action_id, "x", user=VIEWER, response_url="u"))["payload"][0])
    respond = Mock(Respond)
    # When the lazy listener runs
    listener = actions.confirm_recovery if action_id == ids.RUN_RECOVERY_CONFIRM else actions.confirm_cancel
    listener(body=body, action=body["actions"][0], respond=respond)
    # Then the refusal is the one of the subcommand's row
    assert shown(respond).startswith(f"Only operators may {what}: ")
