"""More than one channel in the sandbox's Slack (docs/sandbox.md), over HTTP and in headless
Chromium: the workspace's channels and the accounts they act on, a channel brought into being by
the first command from it and bound with ``/dr account``, and /slack-local switching channels."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import RunningSandbox, http
from tests.e2e.runs import slack_local
from tests.e2e.waiting import slack_messages, wait_for

pytestmark = pytest.mark.e2e


def said(sandbox: RunningSandbox, channel: str, part: str, seen: int = 0) -> dict[str, Any]:
    """The first message (of those after the ``seen`` first) in ``channel`` that says ``part`` (in
    its text or its blocks)."""
    return wait_for(
        lambda: next(
            (
                m
                for m in slack_messages(sandbox)[seen:]
                if m["channel"] == channel and part in m["text"] + json.dumps(m["blocks"])
            ),
            None,
        ),
        30,
        f"{part!r} in {channel}",
    )


def command(sandbox: RunningSandbox, channel: str, text: str, user: str = "operator") -> int:
    """``text`` typed in ``channel`` on /slack-local; how many messages there were before it."""
    seen = len(slack_messages(sandbox))
    answer = slack_local(sandbox, "command", {"user": user, "text": text, "channel": channel})
    assert answer.status == 200 and answer.json()["ok"], answer.body
    return seen


def post(sandbox: RunningSandbox, channel: str) -> dict[str, Any]:
    body = {"channel": channel, "text": "channel probe"}
    return dict(http("POST", sandbox.info["slackApiUrl"] + "chat.postMessage", body).json())


def conversations(sandbox: RunningSandbox, user: str) -> list[str]:
    answer = http("POST", sandbox.info["slackApiUrl"] + "users.conversations", {"user": user}).json()
    return [c["id"] for c in answer["channels"]]


def new_channel_id() -> str:
    return "C0E2E" + uuid.uuid4().hex[:8].upper()


@pytest.fixture
def second_account_plan(sandbox: RunningSandbox) -> Iterator[str]:
    """A plan of its own in the second account (deleted afterwards): its name."""
    account = sandbox.info["accounts"][1]
    taken = {
        s
        for g in sandbox.api("GET", "/protection-groups", account=account).json()["items"]
        for s in g["sourceServerIds"]
    }
    server = next(s for s in sandbox.info["sourceServers"][account] if s not in taken)
    tag = uuid.uuid4().hex[:8]
    group = sandbox.api(
        "POST",
        "/protection-groups",
        {"groupName": f"second {tag}", "sourceServerIds": [server]},
        account=account,
    )
    assert group.status == 201, group.body
    waves = [{"waveNumber": 1, "protectionGroupId": group.json()["groupId"]}]
    plan = sandbox.api(
        "POST", "/recovery-plans", {"planName": f"Second account {tag}", "waves": waves}, account=account
    )
    assert plan.status == 201, plan.body
    yield str(plan.json()["planName"])
    sandbox.api("DELETE", f"/recovery-plans/{plan.json()['planId']}", account=account)
    sandbox.api("DELETE", f"/protection-groups/{group.json()['groupId']}", account=account)


def test_info_lists_at_least_three_channels_and_each_takes_posts(sandbox: RunningSandbox) -> None:
    channels = sandbox.info["slackChannels"]
    assert len(channels) >= 3 and all(isinstance(name, str) and name for name in channels.values())
    assert next(iter(channels)) == sandbox.info["slackChannelId"]
    for channel in list(channels)[:3]:
        assert post(sandbox, channel)["ok"] is True
    assert post(sandbox, new_channel_id())["error"] == "channel_not_found"


def test_dr_plans_in_the_second_channel_shows_the_second_accounts_plans_only(
    sandbox: RunningSandbox, second_account_plan: str
) -> None:
    # Given a plan in the second account, and the seeded "Payments failover" in the first
    second = list(sandbox.info["slackChannels"])[1]
    # When the operator asks for the plans in the second channel
    seen = command(sandbox, second, "/dr plans")
    # Then the answer, in that channel, lists the second account's plan and not the first's
    answer = said(sandbox, second, "Recovery plans in", seen)
    shown = answer["text"] + json.dumps(answer["blocks"])
    assert sandbox.info["accounts"][1] in shown and second_account_plan in shown
    assert "Payments failover" not in shown


def test_a_command_from_a_new_channel_creates_it_and_dr_account_binds_it(sandbox: RunningSandbox) -> None:
    # Given a channel id nobody has used: posting there is refused
    channel = new_channel_id()
    first, second = sandbox.info["accounts"][:2]
    assert post(sandbox, channel)["error"] == "channel_not_found"

    # When the operator types /dr account there
    seen = command(sandbox, channel, "/dr account")

    # Then the channel exists (the bot's answer is under it; posts succeed), acts on the default
    # account, and the operator and the bot are its members, the viewer not
    said(sandbox, channel, f"acts on account {first}", seen)
    assert post(sandbox, channel)["ok"] is True
    assert channel in http("GET", sandbox.info["lambdaEndpoint"] + "/_sandbox/info").json()["slackChannels"]
    users = sandbox.info["slackUsers"]
    assert channel in conversations(sandbox, users["operator"]) and channel not in conversations(
        sandbox, users["viewer"]
    )

    # When the operator binds it to the second account, the channel acts on that account from then on
    seen = command(sandbox, channel, f"/dr account {second}")
    said(sandbox, channel, f"now acts on account {second}", seen)
    seen = command(sandbox, channel, "/dr account")
    said(sandbox, channel, f"acts on account {second}", seen)


# ---- /slack-local in headless Chromium ----


def send(page: Any, text: str) -> None:
    page.fill("#command", text)
    page.press("#command", "Enter")
    page.wait_for_selector("#status:has-text('acknowledged'), #error:not([hidden])")


def test_slack_local_switches_channels_and_shows_each_channels_own_messages(
    sandbox: RunningSandbox, page: Any
) -> None:
    first, second = list(sandbox.info["slackChannels"])[:2]
    names = sandbox.info["slackChannels"]
    page.goto(sandbox.info["lambdaEndpoint"] + "/slack-local")
    page.wait_for_selector(f"#channel-{second}")

    # When the operator switches to the second channel and asks which account it acts on
    page.click(f"#channel-{second}")
    page.wait_for_selector(f"#channel-name:has-text('{names[second]}')")
    send(page, "/dr account")
    second_answer = f".msg:has-text('acts on account {sandbox.info['accounts'][1]}')"
    page.wait_for_selector(second_answer)

    # Then the first channel does not show that answer, and shows its own
    page.click(f"#channel-{first}")
    page.wait_for_selector(f"#channel-name:has-text('{names[first]}')")
    assert page.locator(second_answer).count() == 0
    send(page, "/dr account")
    page.wait_for_selector(f".msg:has-text('This channel acts on account {sandbox.info['accounts'][0]}')")
    assert page.locator(second_answer).count() == 0
    assert page.url.endswith(f"#{first}")


def test_slack_local_adds_a_channel_and_sends_from_it(sandbox: RunningSandbox, page: Any) -> None:
    name = f"drill-{uuid.uuid4().hex[:6]}"
    page.goto(sandbox.info["lambdaEndpoint"] + "/slack-local")
    page.wait_for_selector(f"#channel-{sandbox.info['slackChannelId']}")

    # When the operator adds a channel and types a command in it
    page.click("#add-channel")
    page.fill("#new-channel-name", name)
    page.click("#create-channel")
    page.wait_for_selector(f"#channel-name:has-text('{name}')")
    channel = page.url.rsplit("#", 1)[1]
    send(page, "/dr help")

    # Then its messages are under it (in the page and in messages.json), and not in dr-sandbox
    page.wait_for_selector(".msg")
    assert any(m["channel"] == channel for m in slack_messages(sandbox))
    assert all(m["channel"] == channel for m in _shown(page, sandbox))
    page.click(f"#channel-{sandbox.info['slackChannelId']}")
    page.wait_for_selector(
        f"#channel-name:has-text('{sandbox.info['slackChannels'][sandbox.info['slackChannelId']]}')"
    )
    assert all(m["channel"] != channel for m in _shown(page, sandbox))


def _shown(page: Any, sandbox: RunningSandbox) -> list[dict[str, Any]]:
    """The recorded messages the page shows (by ``ts``)."""
    shown = set(page.eval_on_selector_all("#messages .msg", "nodes => nodes.map((n) => n.dataset.ts)"))
    return [m for m in slack_messages(sandbox) if m["ts"] in shown]
