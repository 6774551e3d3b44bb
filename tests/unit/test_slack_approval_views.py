"""The approval views against the strict fake Slack: the reason form and a pause with many votes
fit Slack's limits with extreme inputs; the fake refuses what Slack refuses for views (a home tab
over 100 blocks, a title over 24 characters, metadata over 3000, a modal given to views.publish, no
trigger id) and answers ``usergroups.users.list``."""

from __future__ import annotations

from typing import Any

import pytest

from bot.blocks.approval_form import reason_form
from bot.blocks.common import section
from bot.blocks.executions import Pause, decided_blocks, mention, pause_blocks
from bot.payloads import PauseFormMetadata
from handlers.models.execution import Vote
from sandbox.emulators.slack_fake import SlackRecorder

LONG = "Ω<&>" + "n" * 251
WHEN = "2030-01-01T14:02:09.123Z"


def slack() -> SlackRecorder:
    return SlackRecorder(channels=["C0LIMITS"], fault=lambda: "ok", usergroups={"S0GROUP": ["U1", "U2"]})


def answer(method: str, **args: Any) -> dict[str, Any]:
    return slack().answer(method, args)[2]


def home(blocks: int) -> dict[str, Any]:
    return {"type": "home", "blocks": [section(str(i)).to_dict() for i in range(blocks)]}


def votes(count: int) -> tuple[Vote, ...]:
    return tuple(
        Vote(action="resume", by="@" + "u" * 127, via="slack", at=WHEN, reason="r" * 1000)
        for _ in range(count)
    )


def test_views_publish_accepts_a_home_tab_of_100_blocks_and_refuses_101() -> None:
    assert answer("views.publish", user_id="U1", view=home(100))["ok"]
    refused = answer("views.publish", user_id="U1", view=home(101))
    assert refused["error"] == "invalid_arguments"
    assert "no more than 100 blocks" in str(refused["response_metadata"])


@pytest.mark.parametrize(
    ("method", "args", "error"),
    [
        (
            "views.publish",
            {"user_id": "U1", "view": {"type": "modal", "title": "t", "blocks": []}},
            "invalid_arguments",
        ),
        ("views.publish", {"view": home(1)}, "invalid_arguments"),
        ("views.open", {"view": {"type": "modal", "title": "t", "blocks": []}}, "invalid_trigger_id"),
        (
            "views.open",
            {"trigger_id": "t", "view": {"type": "modal", "title": "t" * 25, "blocks": []}},
            "invalid_arguments",
        ),
        (
            "views.open",
            {
                "trigger_id": "t",
                "view": {"type": "modal", "title": "t", "blocks": [], "private_metadata": "m" * 3001},
            },
            "invalid_arguments",
        ),
        ("views.update", {"view": {"type": "modal", "title": "t", "blocks": []}}, "invalid_arguments"),
    ],
)
def test_the_fake_refuses_views_slack_refuses(method: str, args: dict[str, Any], error: str) -> None:
    assert answer(method, **args)["error"] == error


def test_usergroups_users_list_answers_members_or_no_such_subteam() -> None:
    assert answer("usergroups.users.list", usergroup="S0GROUP") == {"ok": True, "users": ["U1", "U2"]}
    assert answer("usergroups.users.list", usergroup="S0OTHER")["error"] == "no_such_subteam"


@pytest.mark.parametrize("action", ["resume", "cancel"])
def test_the_reason_form_fits_with_long_names_and_many_votes(action: str) -> None:
    pause = Pause(LONG, 10_000, LONG, WHEN, quorum=50, votes=votes(49), waiting_for=("S0GROUP", "U1"))
    metadata = PauseFormMetadata(
        channel="C" + "0" * 20, executionId="e" * 128, wave=10_000, action=action, ts="1.2"
    )
    view = reason_form(pause, metadata, required=True).to_dict()
    body = answer("views.open", trigger_id="t", view=view)
    assert body["ok"], body


def test_a_pause_with_votes_and_its_decided_form_fit() -> None:
    pause = Pause(
        LONG, 2, LONG, WHEN, quorum=3, votes=votes(30), waiting_for=tuple(f"U{n:010d}" for n in range(50))
    )
    for blocks in (pause_blocks(pause, "a" * 43), decided_blocks(pause, "Resumed by @x", "r" * 1000)):
        body = answer("chat.postMessage", channel="C0LIMITS", text="t", blocks=[b.to_dict() for b in blocks])
        assert body["ok"], body


def test_the_tally_names_votes_with_reasons_and_who_is_still_asked() -> None:
    alice = Vote(action="resume", by="@alice", via="slack", at=WHEN, reason="db <ok> & up")
    pause = Pause("p", 2, "g", quorum=2, votes=(alice,), waiting_for=("U0BOB", "S0DBA"))
    assert (
        pause.tally()
        == "1 of 2 approvals: @alice (db &lt;ok&gt; &amp; up) · waiting for <@U0BOB> or <!subteam^S0DBA>"
    )
    assert Pause("p", 2, "g").tally() == ""  # a quorum of 1 nobody voted on shows as it always did
    assert (
        Pause("p", 2, "g", quorum=2, waiting_for=("U0BOB",)).tally()
        == "0 of 2 approvals · waiting for <@U0BOB>"
    )
    assert mention("U1") == "<@U1>" and mention("S1") == "<!subteam^S1>"


def _execution(n: int, status: str) -> Any:
    from handlers.models.execution import Execution, PendingApproval, WaveProgress

    waves = [
        WaveProgress(waveNumber=w, protectionGroupId=f"pg-{w}", protectionGroupName=LONG, status="COMPLETED")
        for w in range(1, 4)
    ]
    pending = (
        PendingApproval(waveNumber=2, requestedAt=WHEN, expiresAt=WHEN, quorum=2, votes=list(votes(1)))
        if status == "PAUSED"
        else None
    )
    execution = Execution(
        executionId=f"{n:08d}-" + "e" * 27,
        planId="p",
        planName=LONG,
        accountId="111111111111",
        status=status,  # type: ignore[arg-type]
        startedBy="@" + "u" * 127,
        startedVia="slack",
        startTime=WHEN,
        endTime=WHEN if status not in ("RUNNING", "PAUSED") else "",
        waves=waves,
        pendingApproval=pending,
    )
    return execution


@pytest.mark.parametrize("split", [(200, 0, 0), (0, 200, 0), (0, 0, 200), (80, 80, 40)])
def test_the_home_tab_fits_slacks_limits_with_200_executions(split: tuple[int, int, int]) -> None:
    from bot.blocks.executions import pause_of_execution
    from bot.blocks.home import Home, Waiting, home_view

    paused, running, ended = split
    executions = [_execution(n, "PAUSED") for n in range(paused)]
    executions += [_execution(n, "RUNNING") for n in range(running)]
    finished = [_execution(n, "SUCCEEDED") for n in range(ended)]
    home = Home(
        waiting=[
            Waiting(e, pause_of_execution(e, ["U1", "S0GROUP"]), "C0LIMITS") for e in executions[:paused]
        ],  # type: ignore[arg-type]
        running=executions,
        recent=finished[:10],
        accounts=["111111111111", "222222222222"],
    )
    view = home_view(home, note="Resumed by @" + "u" * 127).to_dict()
    body = answer("views.publish", user_id="U1", view=view)
    assert body["ok"], body
    assert len(view["blocks"]) <= 100
    shown = str(view)
    if paused > 25:
        assert f"and {paused - 25} more waiting" in shown
    if paused + running > 30:
        assert f"and {paused + running - 30} more running" in shown
