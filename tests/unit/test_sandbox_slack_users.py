"""The sandbox's Slack answers users.info as Slack does: each sandbox user with the email
/_sandbox/info lists for them (slackUserEmails), anyone else user_not_found."""

from __future__ import annotations

from sandbox.data.names import SLACK_USER_EMAILS, SLACK_USERS
from sandbox.emulators.slack_fake import BOT_USER, SlackRecorder


def _slack() -> SlackRecorder:
    return SlackRecorder(
        users=[*SLACK_USERS.values(), BOT_USER], emails=SLACK_USER_EMAILS, fault=lambda: "ok"
    )


def test_every_sandbox_user_has_the_email_info_lists():
    slack = _slack()
    for user in SLACK_USERS.values():
        status, _, answer = slack.answer("users.info", {"user": user})
        assert status == 200 and answer["ok"] and answer["user"]["id"] == user
        assert answer["user"]["profile"]["email"] == SLACK_USER_EMAILS[user]


def test_the_bot_has_no_email_and_an_unknown_user_is_not_found():
    slack = _slack()
    assert slack.answer("users.info", {"user": BOT_USER})[2]["user"]["profile"] == {}
    assert slack.answer("users.info", {"user": "U0NOBODY"})[2] == {"ok": False, "error": "user_not_found"}
