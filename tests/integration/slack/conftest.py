"""The Slack bot in process: signed requests through ``bot.app.lambda_handler`` (Bolt's
``SlackRequestHandler``), moto behind the services, and the bot's WebClient pointed at a fake Slack
Web API server (tests/support/fake_slack.py).

Lazy listeners run synchronously, through the real path: Bolt's ``LambdaLazyListenerRunner``
invokes this function again with ``lambda.Invoke`` (as on AWS), and the botocore hook of
``tests.support.inprocess.lambda_functions`` answers that Invoke by running ``bot.app.lambda_handler``
in process before returning. So a request's lazy work is done when ``handle`` returns, the
self-invocation payload (headers, signature, ``x-slack-bolt-lazy-only``) is exercised, and no thread
or sleep is needed. The notifier is fed the SNS ``lambda`` messages the core published (captured by
a botocore hook on ``sns.Publish``), in order, by ``Bot.pump()``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from tests.conftest import ACCOUNT_A, reset_caches
from tests.support.fake_slack import FakeSlack
from tests.support.inprocess import lambda_functions
from tests.support.slack_requests import (
    CHANNEL,
    OPERATOR,
    SIGNING_SECRET,
    BotContext,
    action_body,
    command_body,
    signed_event,
    view_body,
)
from tests.support.sns import sns_event


def _reset_bot_caches() -> None:
    from bot import app, credentials, delivery, identity, usergroups

    for cached in (app.request_handler, credentials.slack_credentials, delivery.web_client):
        cached.cache_clear()
    usergroups.clear_cache()
    identity.clear_cache()
    reset_caches()


@dataclass
class Bot:
    fake: FakeSlack
    invocations: list[dict[str, Any]]
    published: list[str] = field(default_factory=list)
    delivered: int = 0

    def send(self, body: str, **kwargs: Any) -> dict[str, Any]:
        from bot.app import lambda_handler

        return lambda_handler(signed_event(body, **kwargs), BotContext())

    def command(self, text: str, **kwargs: Any) -> dict[str, Any]:
        return self.send(command_body(text, response_url=self.fake.response_url(), **kwargs))

    def click(self, action_id: str, value: str, **kwargs: Any) -> dict[str, Any]:
        return self.send(action_body(action_id, value, response_url=self.fake.response_url(), **kwargs))

    def submit(self, values: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return self.send(view_body(values, **kwargs))

    def open_home(self, user: str = OPERATOR) -> dict[str, Any]:
        """Send ``app_home_opened`` for ``user``; the home tab Slack then shows them."""
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": "D0HOME",
            "tab": "home",
            "event_ts": "1.2",
        }
        body = {
            "type": "event_callback",
            "team_id": "T0TEST",
            "api_app_id": "A0TEST",
            "event": event,
            "event_id": "Ev0HOME",
            "event_time": 1,
        }
        response = self.send(json.dumps(body), content_type="application/json")
        assert response["statusCode"] == 200, response
        return self.fake.slack.home(user) or {}

    def click_home(self, user: str, block_id: str, action_id: str, value: str) -> dict[str, Any]:
        """A button of ``user``'s home tab: a block_actions payload from a view, in no channel."""
        payload = {
            "type": "block_actions",
            "team": {"id": "T0TEST", "domain": "test"},
            "user": {"id": user, "username": "homeuser", "name": "homeuser", "team_id": "T0TEST"},
            "api_app_id": "A0TEST",
            "trigger_id": "1337.45.trigger",
            "container": {"type": "view", "view_id": "V0HOME"},
            "view": {"id": "V0HOME", "type": "home"},
            "actions": [{"type": "button", "action_id": action_id, "block_id": block_id, "value": value}],
        }
        return self.send(urlencode({"payload": json.dumps(payload)}))

    def opened_form(self) -> dict[str, Any]:
        """The view of the last ``views.open`` (a pause button's reason form)."""
        return dict(self.fake.calls_to("views.open")[-1]["view"])

    def submit_form(
        self,
        view: dict[str, Any],
        reason: str | None = "",
        *,
        user: str = OPERATOR,
        user_name: str = "oncall",
    ) -> dict[str, Any]:
        """Submit a reason form as ``user`` (None: the field left empty)."""
        from bot import ids
        from sandbox.data.slack_requests import view_submission

        field = {"type": "plain_text_input", "value": reason or None}
        values = {ids.BLOCK_REASON: {ids.ELEMENT: field}}
        return self.send(view_submission(user_id=user, user_name=user_name, view=view, values=values))

    def decide(self, action_id: str, value: str, reason: str = "", **kwargs: Any) -> dict[str, Any]:
        """Click a pause button, then submit the reason form it opened, as the same user."""
        opened = len(self.fake.calls_to("views.open"))
        self.click(action_id, value, **kwargs)
        if len(self.fake.calls_to("views.open")) == opened:
            return {"statusCode": 200, "body": "no form opened"}  # refused or already decided
        who = {k: kwargs[k] for k in ("user", "user_name") if k in kwargs}
        return self.submit_form(self.opened_form(), reason, **who)

    def responses(self) -> list[dict[str, Any]]:
        return self.fake.calls_to("response_url")

    def last_reply(self) -> str:
        return text_of(self.responses()[-1])

    def pump(self) -> int:
        """Deliver every execution event published so far to the notifier, in order."""
        from bot.notifier import lambda_handler

        pending, self.delivered = self.published[self.delivered :], len(self.published)
        for message in pending:
            lambda_handler(sns_event(message), BotContext())
        return len(pending)


def text_of(message: dict[str, Any]) -> str:
    """Every text a message shows: its fallback text and each text object in its blocks."""
    parts = [str(message.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(parts)


def _capture_publishes(published: list[str]) -> Any:
    def capture(params: dict[str, Any], **_: Any) -> None:
        if params.get("MessageStructure") == "json":
            published.append(json.loads(params["Message"])["lambda"])

    return capture


@pytest.fixture
def bot(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bot]:
    from bot.app import lambda_handler
    from handlers.accounts.channel_settings import set_channel_account

    with FakeSlack() as fake:
        monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
        monkeypatch.setenv("SLACK_API_URL", fake.base_url)
        monkeypatch.setenv("SLACK_OPERATOR_IDS", f"{OPERATOR},U0SECONDOP")
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        published: list[str] = []
        capture = _capture_publishes(published)
        boto3.DEFAULT_SESSION.events.register("provide-client-params.sns.Publish", capture)
        _reset_bot_caches()
        set_channel_account(CHANNEL, ACCOUNT_A, by="@setup")
        try:
            with lambda_functions({BotContext.function_name: lambda_handler}) as invocations:
                yield Bot(fake=fake, invocations=invocations, published=published)
        finally:
            boto3.DEFAULT_SESSION.events.unregister("provide-client-params.sns.Publish", capture)
            _reset_bot_caches()
