"""People's names where Slack shows text as it is. Slack renders ``<@U…>`` and ``<!subteam^S…>``
as names only in mrkdwn; a modal's field errors (``response_action: "errors"``) are plain text, so a
refusal shown there (``Only operators may create recovery plans: <@U012>``) must name people
itself. :func:`named` turns each mention into ``@display name`` (``users.info``: the profile's
display name, else the real name, else the user name) or ``@handle`` for a user group
(``usergroups.list``), and never leaves a raw id.

Names are cached for :data:`CACHE_SECONDS` in this container (a refusal is often repeated); a
lookup that fails is not cached, is counted (``SlackNameUnknown``) and reads "a Slack user" or "a
Slack user group" (scopes ``users:read``, ``usergroups:read``: slack-app-manifest.yaml)."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.usergroups import web_client
from handlers.core.observability import count, logger

CACHE_SECONDS = 300.0
UNKNOWN_USER = "a Slack user"
UNKNOWN_GROUP = "a Slack user group"
MENTION = re.compile(r"<@([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>|<!subteam\^(S[A-Z0-9]{2,20})(?:\|[^>]*)?>")
_cache: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()
_clock = time.monotonic  # a seam for tests


def named(text: str) -> str:
    """``text`` with every user and user-group mention as the name people know."""
    return MENTION.sub(_name_of, text)


def _name_of(match: re.Match[str]) -> str:
    user, group = match.group(1), match.group(2)
    return user_name(user) if user else group_name(group)


def user_name(user_id: str) -> str:
    """``@display name`` of a Slack user, or :data:`UNKNOWN_USER`."""
    return _cached(user_id, _read_user) or UNKNOWN_USER


def group_name(group_id: str) -> str:
    """``@handle`` of a Slack user group, or :data:`UNKNOWN_GROUP`."""
    return _cached(group_id, _read_groups) or UNKNOWN_GROUP


def _cached(key: str, read: Any) -> str:
    now = _clock()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    found: dict[str, str] = read(key)
    with _lock:
        for other, name in found.items():
            _cache[other] = (now + CACHE_SECONDS, name)
    return found.get(key, "")


class _Profile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    display_name: str = ""
    real_name: str = ""


class _User(BaseModel):
    """What ``users.info`` says of a user that names them."""

    model_config = ConfigDict(extra="ignore")

    name: str = ""
    real_name: str = ""
    profile: _Profile = _Profile()

    def shown(self) -> str:
        names = (self.profile.display_name, self.profile.real_name, self.real_name, self.name)
        return next((n.strip() for n in names if n.strip()), "")


class _Group(BaseModel):
    """What ``usergroups.list`` says of a user group that names it."""

    model_config = ConfigDict(extra="ignore")

    id: str
    handle: str = ""
    name: str = ""


class _Groups(BaseModel):
    model_config = ConfigDict(extra="ignore")

    usergroups: list[_Group] = []


def _read_user(user_id: str) -> dict[str, str]:
    response = _call("users_info", user_id, user=user_id)
    if response is None:
        return {}
    try:
        name = _User.model_validate(response.get("user")).shown()
    except ValidationError:
        name = ""
    if not name:
        _unknown(user_id, "no name in Slack's answer")
        return {}
    return {user_id: "@" + name}


def _read_groups(group_id: str) -> dict[str, str]:
    """Every group's handle (one call answers them all), so the next group is cached too."""
    response = _call("usergroups_list", group_id, include_disabled=True)
    if response is None:
        return {}
    try:
        groups = _Groups.model_validate(response.data).usergroups
    except ValidationError:
        groups = []
    handles = {g.id: "@" + (g.handle or g.name) for g in groups if g.handle or g.name}
    if group_id not in handles:
        _unknown(group_id, "not among the workspace's user groups")
    return handles


def _call(method: str, subject: str, **args: Any) -> Any:
    try:
        return getattr(web_client(), method)(**args)
    except SlackApiError as exc:
        _unknown(subject, str(exc.response.get("error", "unknown_error")))
    except (SlackClientError, OSError) as exc:
        _unknown(subject, type(exc).__name__)
    return None


def _unknown(subject: str, why: str) -> None:
    count("SlackNameUnknown")
    logger.warning("slack name unknown: shown as an unnamed user", extra={"id": subject, "error": why})


def clear_cache() -> None:
    """Forget every name (tests, and a container that must see a change at once)."""
    with _lock:
        _cache.clear()
