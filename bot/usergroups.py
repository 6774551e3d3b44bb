"""Slack user groups (``S…``) as approvers: their members, read with ``usergroups.users.list``.

Members are cached per group for :data:`CACHE_SECONDS` in this container, so a burst of clicks
reads Slack once, and a change in Slack is seen within a minute. A group that cannot be read (no
such group, a disabled one, a missing ``usergroups:read`` scope, Slack down) raises
:class:`UnreadableGroupError`: nobody is let through it, and the failure is never cached.
:func:`group_members` is what the approval rules call (``bot.access``)."""

from __future__ import annotations

import functools
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.credentials import slack_credentials
from handlers.core.observability import count
from handlers.core.settings import get_settings
from handlers.pauses.approval_policy import GroupResolutionError

CACHE_SECONDS = 60.0
_cache: dict[str, tuple[float, frozenset[str]]] = {}
_lock = threading.Lock()
_clock = time.monotonic  # a seam for tests


class UnreadableGroupError(GroupResolutionError):
    """A user group whose members Slack did not give us (the shared approval rule refuses anyone
    who could only be allowed through it: handlers/pauses/approval_policy.py)."""

    def __init__(self, group_id: str, error: str) -> None:
        super().__init__(f"could not read user group {group_id}: {error}; nobody is allowed through it")
        self.group_id = group_id
        self.error = error


@functools.cache
def web_client() -> WebClient:
    """Its own client: one retry on a rate limit at most, as a click waits for the answer."""
    return WebClient(
        token=slack_credentials().bot_token,
        base_url=get_settings().slack_api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )


def group_members(group_id: str) -> frozenset[str]:
    """The user ids in ``group_id``, at most :data:`CACHE_SECONDS` old."""
    now = _clock()
    with _lock:
        cached = _cache.get(group_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    members = _read(group_id)
    with _lock:
        _cache[group_id] = (now + CACHE_SECONDS, members)
    return members


def _read(group_id: str) -> frozenset[str]:
    try:
        response = web_client().usergroups_users_list(usergroup=group_id)
    except SlackApiError as exc:
        count("SlackUserGroupUnreadable")
        raise UnreadableGroupError(group_id, str(exc.response.get("error", "unknown_error"))) from exc
    except (SlackClientError, OSError) as exc:
        count("SlackUserGroupUnreadable")
        raise UnreadableGroupError(group_id, type(exc).__name__) from exc
    users = response.get("users")
    if not isinstance(users, list):
        raise UnreadableGroupError(group_id, "Slack's answer had no list of users")
    return frozenset(str(u) for u in users)


def clear_cache() -> None:
    """Forget every group (tests, and a container that must see a change at once)."""
    with _lock:
        _cache.clear()
    web_client.cache_clear()
