"""``/dr group <name|id>``: a group's servers with hostname, replication state and lag, through the
bot with signed requests; every reply checked against Slack's limits (sandbox/data/slack_rules.py)."""

from __future__ import annotations

from sandbox.data.slack_rules import message_refusal
from tests.conftest import ACCOUNT_A
from tests.integration.slack.conftest import text_of
from tests.support.data import tag_group_body
from tests.support.drs import add_tagged_servers
from tests.support.events import call_api
from tests.support.slack_requests import VIEWER


def _reply(bot) -> dict:
    reply = bot.responses()[-1]
    assert message_refusal(reply) is None, message_refusal(reply)
    return reply


def test_a_tag_group_by_name_shows_its_tags_and_each_server(bot, aws):
    servers = add_tagged_servers(aws.drs, ACCOUNT_A, 3, {"Tier": "web-slack"})
    call_api("POST", "/protection-groups", tag_group_body("Web shop", {"Tier": "web-slack"}))
    # When anyone (a viewer too: it changes nothing) asks for the group by name, any case
    bot.command("group web shop", user=VIEWER)
    text = text_of(_reply(bot))
    # Then the tags, every server with hostname, replication state and lag are shown
    assert "Tier=web-slack" in text and "3 servers" in text
    for server in servers:
        assert server in text
    assert "tagged-" in text and "CONTINUOUS" in text and "lag PT2S" in text


def test_a_group_of_1000_servers_is_summarised_within_slacks_limits(bot, aws):
    servers = add_tagged_servers(aws.drs, ACCOUNT_A, 1000, {"App": "huge"})
    _, group = call_api("POST", "/protection-groups", tag_group_body("Huge", {"App": "huge"}))
    bot.command(f"group {group['groupId']}")
    reply = _reply(bot)
    text = text_of(reply)
    assert "1000 servers by replication state: CONTINUOUS 1000" in text
    assert sum(server in text for server in servers) == 10  # the first ten, then a pointer to the API
    assert f"GET /protection-groups/{group['groupId']}/servers" in text
    assert len(reply["blocks"]) <= 50


def test_an_unknown_group_gets_candidates_and_no_name_gets_usage(bot, aws):
    call_api("POST", "/protection-groups", tag_group_body("Web shop"))
    bot.command("group web")
    assert "did you mean" in bot.last_reply() and "Web shop" in bot.last_reply()
    response = bot.command("group")
    assert "which group?" in str(response)


def test_tags_are_shown_as_plain_text_never_as_a_mention(bot, aws):
    add_tagged_servers(aws.drs, ACCOUNT_A, 1, {"Owner": "<!channel>"})
    call_api("POST", "/protection-groups", tag_group_body("Loud", {"Owner": "<!channel>"}))
    bot.command("group Loud")
    reply = _reply(bot)
    texts = [e for b in reply["blocks"] for e in [b.get("text") or {}, *(b.get("elements") or [])] if e]
    assert any("<!channel>" in t.get("text", "") for t in texts)
    assert all(t["type"] == "plain_text" for t in texts if "<!channel>" in t.get("text", ""))


def test_a_plan_shows_a_tag_groups_tags_instead_of_a_server_count(bot, aws):
    from tests.support.data import plan_body

    _, group = call_api("POST", "/protection-groups", tag_group_body("Web", {"Tier": "web"}))
    call_api("POST", "/recovery-plans", plan_body([group["groupId"]], name="Tagged plan"))
    bot.command("plan Tagged plan")
    text = text_of(_reply(bot))
    assert "1. Web · servers tagged Tier=web" in text
