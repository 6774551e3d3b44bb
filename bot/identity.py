"""Who a Slack user is: the user in the channel they act from (:class:`SlackUser`), the account
that channel acts on (:func:`caller_for`), and, as a person (:func:`person_for`), the email address
Slack reports for them (``users.info`` -> ``user.profile.email``, scope ``users:read.email``), so
the same person voting in Slack and through the API (as their verified Cognito email) is one voter,
and a run they started in Slack is theirs on every channel
(handlers/accounts/account_context.py ``identity_key``).

The address is the one the member signs in to Slack with (Slack confirms it; only the member or a
workspace admin can change it), so it stands for the person as a verified Cognito email does.
Answers are cached per user for :data:`CACHE_SECONDS` in this container, so a burst of clicks reads
Slack once. When Slack does not answer, or reports no email (a bot, a missing scope), the user is
known by their Slack user id: nothing is merged with an API identity (counted as
``SlackUserEmailUnknown``), and the failure is never cached."""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.usergroups import web_client
from handlers.accounts import channel_settings
from handlers.accounts.account_context import Caller
from handlers.core.errors import ValidationError
from handlers.core.observability import count, logger


@dataclass(frozen=True)
class SlackUser:
    """Who typed the command, where; ``command`` is the configured slash command (``/dr``)."""

    user_id: str
    user_name: str
    channel_id: str
    command: str = "/dr"

    @property
    def principal(self) -> str:
        return f"@{self.user_name or self.user_id}"


class NoAccountError(ValidationError):
    pass


def caller_for(user: SlackUser) -> Caller:
    account = channel_settings.channel_account(user.channel_id)
    if not account:
        raise NoAccountError(
            f"This channel has no AWS account yet: an operator sets it with {user.command} account "
            "<12-digit account id>"
        )
    return Caller(account_id=account, principal=user.principal, source="slack", user_id=user.user_id)


def person_for(user: SlackUser) -> Caller:
    """:func:`caller_for`, known as a person: with the email Slack reports for the user, for what
    must recognise one person on every channel (starting a run, a vote)."""
    return with_email(caller_for(user))


CACHE_SECONDS = 300.0
_cache: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()
_clock = time.monotonic  # a seam for tests


def slack_email(user_id: str) -> str:
    """The email Slack reports for ``user_id`` (at most :data:`CACHE_SECONDS` old), or ``""``."""
    if not user_id:
        return ""
    now = _clock()
    with _lock:
        cached = _cache.get(user_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    email = _read(user_id)
    if email:
        with _lock:
            _cache[user_id] = (now + CACHE_SECONDS, email)
    return email


def with_email(caller: Caller) -> Caller:
    """``caller`` (a Slack user) carrying the email Slack reports for them, when it reports one."""
    return dataclasses.replace(caller, email=slack_email(caller.user_id))


def _read(user_id: str) -> str:
    try:
        response = web_client().users_info(user=user_id)
    except SlackApiError as exc:
        return _unknown(user_id, str(exc.response.get("error", "unknown_error")))
    except (SlackClientError, OSError) as exc:
        return _unknown(user_id, type(exc).__name__)
    user = response.get("user")
    profile = user.get("profile") if isinstance(user, dict) else None
    email = profile.get("email") if isinstance(profile, dict) else None
    if not isinstance(email, str) or "@" not in email:
        return _unknown(user_id, "no email in the profile (is the users:read.email scope granted?)")
    return email.strip()


def _unknown(user_id: str, why: str) -> str:
    count("SlackUserEmailUnknown")
    logger.warning(
        "slack user's email unknown: known by the user id, not merged with an API identity",
        extra={"userId": user_id, "error": why},
    )
    return ""


def clear_cache() -> None:
    """Forget every user (tests, and a container that must see a change at once)."""
    with _lock:
        _cache.clear()
