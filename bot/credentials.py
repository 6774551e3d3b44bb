"""The Slack signing secret and bot token: from the JSON secret at ``SLACK_SECRET_ARN``
(``{"signingSecret": ..., "botToken": ...}``), read once per container, or from the env vars
``SLACK_SIGNING_SECRET`` / ``SLACK_BOT_TOKEN`` for local use."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from handlers.core.settings import ConfigurationError, get_settings


@dataclass(frozen=True)
class SlackCredentials:
    signing_secret: str
    bot_token: str

    def __repr__(self) -> str:
        return "SlackCredentials(<redacted>)"


@functools.cache
def slack_credentials() -> SlackCredentials:
    settings = get_settings()
    if settings.slack_secret_arn:
        from handlers import aws

        raw = aws.client("secretsmanager").get_secret_value(SecretId=settings.slack_secret_arn)[
            "SecretString"
        ]
        stored = json.loads(raw)
        signing_secret, bot_token = stored.get("signingSecret"), stored.get("botToken")
    else:
        signing_secret, bot_token = settings.slack_signing_secret, settings.slack_bot_token
    if not signing_secret or not bot_token:
        raise ConfigurationError(
            "Slack credentials are missing: set SLACK_SECRET_ARN (a JSON secret with signingSecret and "
            "botToken) or SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN"
        )
    return SlackCredentials(signing_secret=str(signing_secret), bot_token=str(bot_token))
