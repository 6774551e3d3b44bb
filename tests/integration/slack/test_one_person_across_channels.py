"""One person is one voter in Slack and through the API: a Slack user is known by the email Slack
reports for them (users.info), so an approver named both ways gets one vote, and the operator who
started a run in Slack is its starter through the API too. The starter is the Slack user, not the
display name: a renamed starter is still caught, a namesake is not."""

from __future__ import annotations

from bot import ids
from tests.support.events import call_api
from tests.support.fake_slack import EMAILS
from tests.support.pauses import execution_status
from tests.support.people import plan_naming, start_through_the_api, votes_on
from tests.support.slack_requests import APPROVER, CHANNEL, OPERATOR

BEN = "ben@example.com"


def approvers_named_both_ways() -> str:
    """A quorum-2 plan naming the approver and the operator in Slack and by their Slack emails."""
    return plan_naming(
        approvers=[APPROVER, OPERATOR],
        principals=[EMAILS[APPROVER], EMAILS[OPERATOR], BEN],
        slackChannelId=CHANNEL,
    )


def api_resume(execution_id: str, user: str) -> tuple[int, dict]:
    return call_api("POST", f"/executions/{execution_id}/resume", {}, user=user)


def slack_resume(bot, execution_id: str, user: str, user_name: str) -> None:
    bot.decide(ids.APPROVAL_RESUME, f"{execution_id}:2", "looks fine", user=user, user_name=user_name)


def ephemeral_texts(bot) -> str:
    return "\n".join(str(c.get("text", "")) for c in bot.fake.calls_to("chat.postEphemeral"))


def test_an_approver_in_slack_and_through_the_api_is_one_vote(orchestration, bot):
    # Given a quorum-2 pause whose plan names the approver in Slack and by their email
    execution_id = start_through_the_api(approvers_named_both_ways(), "oncall@example.com")
    execution_status(execution_id, {"PAUSED"})
    # When the approver resumes in Slack, then again through the API as their verified email
    slack_resume(bot, execution_id, APPROVER, "approver")
    status, body = api_resume(execution_id, EMAILS[APPROVER])
    # Then the second is the same person: one vote, still paused
    assert status == 409 and "already voted" in body["message"], body
    assert votes_on(execution_id) == ["@approver"]
    # And another person's vote makes the quorum
    assert api_resume(execution_id, BEN)[0] == 200
    assert (
        execution_status(execution_id, {"SUCCEEDED"})["decisions"][0]["decidedBy"] == f"@approver and {BEN}"
    )


def test_an_api_vote_first_then_slack_is_one_vote(orchestration, bot):
    execution_id = start_through_the_api(approvers_named_both_ways(), "oncall@example.com")
    execution_status(execution_id, {"PAUSED"})
    assert api_resume(execution_id, EMAILS[APPROVER].upper())[0] == 200
    slack_resume(bot, execution_id, APPROVER, "approver")
    assert "already voted" in ephemeral_texts(bot)
    assert votes_on(execution_id) == [EMAILS[APPROVER].upper()]


def test_the_operator_who_started_in_slack_cannot_approve_through_the_api(orchestration, bot):
    # Given the operator started the run in Slack
    bot.command(f"run {approvers_named_both_ways()}")
    execution_id = bot.responses()[-1]["text"].rsplit("status ", 1)[1]
    execution_status(execution_id, {"PAUSED"})
    # When they resume it through the API as their verified email
    status, body = api_resume(execution_id, EMAILS[OPERATOR])
    # Then the starter's vote does not count there either
    assert status == 403 and "started this execution" in body["message"], body
    assert votes_on(execution_id) == []


def test_a_renamed_starter_is_still_the_starter_and_a_namesake_is_not(orchestration, bot):
    # Given the operator (display name "oncall") started the run in Slack
    bot.command(f"run {approvers_named_both_ways()}", user=OPERATOR, user_name="oncall")
    execution_id = bot.responses()[-1]["text"].rsplit("status ", 1)[1]
    execution_status(execution_id, {"PAUSED"})
    # When the operator, renamed, resumes in Slack
    slack_resume(bot, execution_id, OPERATOR, "oncall-renamed")
    # Then it is still the starter: not counted
    assert "started this execution" in ephemeral_texts(bot)
    assert votes_on(execution_id) == []
    # When the approver, who happens to be called "oncall" too, resumes
    slack_resume(bot, execution_id, APPROVER, "oncall")
    # Then that vote counts: another person with the same name is not the starter
    assert votes_on(execution_id) == ["@oncall"]


def test_without_an_email_from_slack_the_user_is_known_by_id_and_still_votes(orchestration, bot):
    # Given Slack does not tell the app the approver's email (scope missing)
    bot.fake.fail("users.info", "missing_scope", times=5)
    execution_id = start_through_the_api(approvers_named_both_ways(), "oncall@example.com")
    execution_status(execution_id, {"PAUSED"})
    # When the approver resumes in Slack
    slack_resume(bot, execution_id, APPROVER, "approver")
    # Then the vote counts, as the Slack user (users.info was asked, and its failure is not kept)
    assert votes_on(execution_id) == ["@approver"]
    assert bot.fake.calls_to("users.info")[-1]["user"] == APPROVER
    # And once Slack reports the email, Slack is asked again and the user is still one voter
    asked = len(bot.fake.calls_to("users.info"))
    bot.fake.failures.clear()
    slack_resume(bot, execution_id, APPROVER, "approver")
    assert len(bot.fake.calls_to("users.info")) > asked and votes_on(execution_id) == ["@approver"]


def test_the_fake_slack_answers_users_info_as_slack_does(bot):
    from bot.identity import slack_email

    assert slack_email(APPROVER) == EMAILS[APPROVER]
    assert slack_email("U0NOBODY") == ""
    assert bot.fake.calls_to("users.info")[-1] == {"user": "U0NOBODY"}
    status, _, answer = bot.fake.slack.answer("users.info", {"user": "U0NOBODY"})
    assert status == 200 and answer == {"ok": False, "error": "user_not_found"}
