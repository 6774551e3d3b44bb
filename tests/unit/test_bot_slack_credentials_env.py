"""Slack credentials reach the bot's functions one way only. With a secret, the plain-value variables
are absent (not empty): Bolt reads ``SLACK_BOT_TOKEN`` itself, and next to ``authorize=`` it warns at
every cold start that the token goes unused."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.credentials import SlackCredentials
from tests.support.cfn import load_template
from tests.support.templates import resources

PLAIN = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")


def test_with_a_secret_the_plain_slack_variables_are_absent() -> None:
    functions = resources(load_template("bot.yaml"), "AWS::Lambda::Function")

    for name, function in functions.items():
        variables = function["Properties"]["Environment"]["Variables"]
        for variable in PLAIN:
            if variable in variables:
                condition, with_secret, _ = variables[variable]["Fn::If"]
                assert condition == "HasSlackSecret", (name, variable)
                assert with_secret == {"Ref": "AWS::NoValue"}, (name, variable)


def test_building_the_app_with_credentials_from_a_secret_warns_about_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import bot.app
    from handlers.core.settings import get_settings

    for variable in PLAIN:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/slack-api/")
    credentials = SlackCredentials(signing_secret="signing-secret", bot_token="xoxb-from-secret")
    monkeypatch.setattr(bot.app, "slack_credentials", lambda: credentials)
    get_settings.cache_clear()

    with caplog.at_level(logging.WARNING):
        app: Any = bot.app.build_app()
    get_settings.cache_clear()

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert app.client.base_url == "http://127.0.0.1:9/slack-api/"
