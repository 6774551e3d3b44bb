"""bot/names.py: a mention in plain text becomes the name people know (display name, else real
name, else user name; a group's handle), cached; what Slack does not name is "a Slack user"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot import names


class StubSlack:
    """users.info and usergroups.list as a workspace answers them; every call counted."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.users: dict[str, dict[str, Any]] = {
            "U0ANA": {"name": "ana", "profile": {"display_name": "Ana", "real_name": "Ana Lopez"}},
            "U0BO": {"name": "bo", "real_name": "Bo Chen", "profile": {"display_name": ""}},
            "W0ENT": {"name": "ent.user", "profile": {}},
            "U0BOT": {"profile": {"display_name": " "}},
        }

    def users_info(self, user: str) -> dict[str, Any]:
        self.calls.append(f"users.info {user}")
        if user not in self.users:
            raise SlackApiError("user_not_found", {"ok": False, "error": "user_not_found"})
        return {"ok": True, "user": self.users[user]}

    def usergroups_list(self, include_disabled: bool) -> Any:
        self.calls.append("usergroups.list")
        groups = [{"id": "S0OPS", "handle": "ops", "name": "Ops"}, {"id": "S0OLD", "name": "Old team"}]
        return type("Answer", (), {"data": {"ok": True, "usergroups": groups}})()


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[StubSlack]:
    stub = StubSlack()
    monkeypatch.setattr(names, "web_client", lambda: stub)
    names.clear_cache()
    yield stub
    names.clear_cache()


def test_mentions_become_names_and_nothing_else_changes(slack: StubSlack) -> None:
    text = (
        "Only operators may create plans: <@U0ANA>, <@U0BO>, <@W0ENT|ent>, <!subteam^S0OPS>. <!channel> & <b>"
    )
    assert names.named(text) == (
        "Only operators may create plans: @Ana, @Bo Chen, @ent.user, @ops. <!channel> & <b>"
    )


def test_a_name_is_read_once_and_every_groups_handle_with_one_call(slack: StubSlack) -> None:
    names.named("<@U0ANA> <!subteam^S0OPS>")
    names.named("<@U0ANA> <!subteam^S0OLD> <!subteam^S0OPS>")
    assert slack.calls == ["users.info U0ANA", "usergroups.list"]
    assert names.group_name("S0OLD") == "@Old team"


def test_a_name_is_read_again_after_the_cache_expires(
    slack: StubSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [100.0]
    monkeypatch.setattr(names, "_clock", lambda: now[0])
    names.user_name("U0ANA")
    now[0] += names.CACHE_SECONDS + 1
    slack.users["U0ANA"]["profile"]["display_name"] = "Ana L."
    assert names.user_name("U0ANA") == "@Ana L." and len(slack.calls) == 2


def test_what_slack_does_not_name_is_never_shown_as_an_id_and_not_cached(slack: StubSlack) -> None:
    assert names.named("<@U0GONE> and <@U0BOT> and <!subteam^S0NONE>") == (
        "a Slack user and a Slack user and a Slack user group"
    )
    names.named("<@U0GONE>")
    assert slack.calls.count("users.info U0GONE") == 2  # a failure is asked again next time
