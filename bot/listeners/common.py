"""What the listeners share: who is asking (from any payload) and turning outcomes into replies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.access import Permission
from bot.blocks.catalog import candidates
from bot.blocks.common import Reply, section
from bot.identity import SlackUser
from bot.lookup import PlanLookupError
from bot.payloads import block_actions, block_suggestion, view_submission
from handlers.core.errors import DomainError, ForbiddenError
from handlers.core.observability import count, logger
from handlers.core.settings import get_settings

Respond = Callable[..., Any]


def user_from_command(command: dict[str, Any]) -> SlackUser:
    return SlackUser(
        user_id=str(command.get("user_id", "")),
        user_name=str(command.get("user_name", "")),
        channel_id=str(command.get("channel_id", "")),
        command=str(command.get("command") or get_settings().slack_command),
    )


def user_from_body(body: dict[str, Any], channel_id: str = "") -> SlackUser:
    """The clicker or submitter of an interactive payload (block_actions, view_submission), read
    through the payload models of ``bot.payloads`` (the middleware already refused other shapes);
    block_suggestion carries no channel: the caller passes the form's channel."""
    if body.get("type") == "view_submission":
        user = view_submission(body).user
        channel = channel_id
    elif body.get("type") == "block_suggestion":
        user = block_suggestion(body).user
        channel = channel_id
    else:
        clicked = block_actions(body)
        user = clicked.user
        channel = channel_id or (clicked.container.channel_id if clicked.container else "")
        channel = channel or (clicked.channel.id if clicked.channel else "")
    return SlackUser(
        user_id=user.id,
        user_name=user.username or user.name or "",
        channel_id=channel,
        command=get_settings().slack_command,
    )


def not_allowed(user: SlackUser, permission: Permission) -> Reply | None:
    """The refusal, naming who may, when ``user`` lacks ``permission``."""
    refusal = permission.refusal(user.user_id)
    return Reply.refusal(refusal) if refusal else None


def error_reply(exc: DomainError) -> Reply:
    if isinstance(exc, PlanLookupError) and exc.candidates:
        return Reply(exc.message, [section(exc.message), *candidates(exc.candidates)])
    if isinstance(exc, ForbiddenError):  # says who may: the people it names are mentions
        return Reply.refusal(exc.message)
    return Reply(exc.message)


INTERNAL_ERROR = "Something went wrong on our side; check with an operator before retrying."


def answer(respond: Respond, work: Callable[[], Reply | None]) -> None:
    """Run ``work`` and send its reply; a domain error is explained to the user. Anything else is
    logged with its traceback, counted (``SlackRequestFailure``: Bolt swallows exceptions from lazy
    listeners, so the Lambda's own error metric never sees them), told to the user as an internal
    error, and raised again for Bolt's log."""
    try:
        reply = work()
    except DomainError as exc:
        reply = error_reply(exc)
    except Exception:
        logger.exception("slack request failed")
        count("SlackRequestFailure")
        respond(
            **Reply("Something went wrong on our side; check with an operator before retrying.").payload()
        )
        raise
    if reply is not None:
        respond(**reply.payload())
