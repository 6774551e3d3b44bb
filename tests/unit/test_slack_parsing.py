"""The ``/dr`` parser: pure functions over the subcommand table, no Slack."""

from __future__ import annotations

import pytest

from bot.parsing import Command, ParseError
from bot.subcommand_table import explain, help_text, parse, subcommand


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command("help")),
        ("help", Command("help")),
        ("account", Command("account")),
        ("account 111111111111", Command("account set", target="111111111111")),
        ("groups", Command("groups")),
        ("plans 3", Command("plans", page=3)),
        ("plan Payments failover", Command("plan", target="Payments failover")),
        ("plan create", Command("plan create")),
        ('plan "create"  x', Command("plan", target="create x")),
        ("run Payments", Command("run", target="Payments")),
        ("run Payments failover drill", Command("run", target="Payments failover")),
        ("RUN 'Payments' RECOVERY", Command("run", target="Payments", recovery=True)),
        ("status", Command("status")),
        ("status abc-123", Command("status", target="abc-123")),
        ("cancel abc-123", Command("cancel", target="abc-123")),
        ("cancel abc-123 wrong plan", Command("cancel", target="abc-123", reason="wrong plan")),
        (
            'cancel  abc-123  don\'t "run"  it ',
            Command("cancel", target="abc-123", reason='don\'t "run"  it'),
        ),
        ("cancel abc-123 &lt;!channel&gt; &amp;", Command("cancel", target="abc-123", reason="<!channel> &")),
        ("subscribe Payments a@example.com", Command("subscribe", target="Payments", email="a@example.com")),
        (
            "subscribe Pay &lt;mailto:a@example.com|a@example.com&gt;",
            Command("subscribe", target="Pay", email="a@example.com"),
        ),
        ("unsubscribe Payments", Command("unsubscribe", target="Payments")),
        ("plan &lt;!channel&gt; *x* &amp; co", Command("plan", target="<!channel> *x* & co")),
    ],
)
def test_commands_parse(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message", "usage"),
    [
        ("explode", "unknown subcommand 'explode'", "help"),
        ("account 123", "exactly 12 digits", "account set"),
        ("plans zero", "page is a number", "plans"),
        ("plan", "which plan", "plan"),
        ("run recovery", "which plan", "run"),
        ("cancel", "one execution id", "cancel"),
        ("status a b", "one execution id", "status"),
        ("cancel abc-123 stop\x00now", "control characters", "cancel"),
        ("cancel abc-123 " + "x" * 1001, "reason is not accepted", "cancel"),
        ("subscribe Payments", "a plan and an email", "subscribe"),
        ("subscribe Payments nope", "not an email address", "subscribe"),
        ("unsubscribe", "which plan", "unsubscribe"),
        ('plan "unbalanced', "could not read", "help"),
    ],
)
def test_bad_input_explains_and_names_the_usage(text, message, usage):
    with pytest.raises(ParseError) as raised:
        parse(text)
    assert message in raised.value.message and raised.value.usage_key == usage
    assert "Usage: /ops " in explain(raised.value, "/ops")


def test_changing_commands_are_for_operators_only():
    changing = {
        c
        for c in (
            "run x",
            "cancel x",
            "plan create",
            "subscribe x a@b.co",
            "unsubscribe x",
            "account 111111111111",
        )
        if subcommand(parse(c).name).permission.who == "operators"
    }
    assert len(changing) == 6
    assert not any(
        subcommand(parse(c).name).permission.who == "operators"
        for c in ("help", "plans", "plan x", "status", "account")
    )


def test_help_uses_the_configured_command():
    assert help_text("/ops").splitlines()[0].startswith("/ops help")
