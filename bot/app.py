"""The Slack bot Lambda: ``lambda_handler`` serves ``POST /slack/events`` (slash command and
interactivity) and Bolt's lazy self-invocations.

- ``process_before_response=True``: on Lambda nothing may run after the response, so every listener
  acks at once and hands slow work to ``lazy=[…]`` (Bolt invokes this function again for those).
- ``authorize`` answers from configuration: Bolt's default single-team authorization would call
  ``auth.test`` on every container's first request, in front of the ack.
- Importing this module is cheap: no network, no clients; the app is built on the first request.
"""

from __future__ import annotations

import functools
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.aws_lambda import SlackRequestHandler
from slack_bolt.adapter.aws_lambda.handler import to_bolt_request
from slack_bolt.authorization import AuthorizeResult

from bot.credentials import slack_credentials
from handlers.core.errors import ValidationError
from handlers.core.observability import metrics, tracer
from handlers.core.settings import get_settings
from handlers.core.validation import MAX_NESTING, check_nesting


def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
    """The one workspace this deployment serves, with the configured bot token."""
    return AuthorizeResult(
        enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=slack_credentials().bot_token
    )


def build_app() -> App:
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    from bot.listeners import actions, approvals, cleanup, commands, home, native_plans, options, views
    from bot.listeners import failback as failback_listeners
    from bot.listeners import hook_form as hook_form_listeners
    from bot.payloads import RejectMalformed

    client = WebClient(base_url=get_settings().slack_api_url, retry_handlers=[RateLimitErrorRetryHandler(1)])
    app = App(
        signing_secret=slack_credentials().signing_secret,
        authorize=authorize,
        client=client,
        process_before_response=True,
        request_verification_enabled=True,
        url_verification_enabled=True,
        ssl_check_enabled=True,
    )
    app.use(RejectMalformed())  # after the signature check, before any listener reads the payload
    for listeners in (commands, actions, approvals, cleanup, views, options, home, native_plans):
        listeners.register(app)
    failback_listeners.register(app)
    hook_form_listeners.register(app)
    return app


@functools.cache
def request_handler() -> SlackRequestHandler:
    """One Bolt app and adapter per container, built on first use."""
    return SlackRequestHandler(build_app())


def malformed(event: dict[str, Any]) -> str | None:
    """Why Bolt could not read this request, or None. A body that is not JSON, a ``payload`` that is
    not a JSON object, one nested deeper than the API allows (:data:`handlers.core.validation.MAX_NESTING`,
    the REST rule; 50,000 brackets would otherwise be a RecursionError, a 502): refused with a 400 up
    front, before the signature check, so nobody can provoke an unhandled error even unsigned.
    Bolt's own reader decides; the payload's fields are checked after the signature
    (``bot.payloads.RejectMalformed``)."""
    try:
        request = to_bolt_request({**event, "headers": dict(event.get("headers") or {})})
        check_nesting(request.body, "the Slack payload")
    except ValidationError as exc:
        return str(exc)
    except RecursionError:
        return f"the Slack payload nests objects and arrays deeper than {MAX_NESTING} levels"
    except (ValueError, TypeError, AttributeError, KeyError, IndexError):
        return "malformed payload"
    return None


@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    problem = malformed(event)
    if problem:
        return {"statusCode": 400, "body": problem, "headers": {"content-type": "text/plain"}}
    response: dict[str, Any] = request_handler().handle(event, context)  # type: ignore[no-untyped-call]
    return response
