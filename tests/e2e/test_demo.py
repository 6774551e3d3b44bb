"""``drs-chatops demo`` as a user runs it: a subprocess that starts its own sandbox, plays the story
and exits 0 only if every step checked out."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sandbox.entry.subprocess_sandbox import ROOT

pytestmark = pytest.mark.e2e


def test_the_demo_story_checks_out() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,  # doctor, then the story
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "checked out" in done.stdout, output
    assert " FAIL " not in done.stdout
    # It opens with doctor against its own sandbox, before the story
    doctor_at = done.stdout.find("ok   drs-chatops doctor --sandbox http")
    assert 0 <= doctor_at < done.stdout.find("create a three-wave plan"), output
    for step in (
        "drs-chatops doctor --sandbox http",
        "function:orchestrator",  # doctor's table, shown under its step
        "create a three-wave plan",
        "the execution pauses",
        "Resume link",
        "SUCCEEDED",
        "completion email",
        "readiness before the drill: ready",
        "the execution report: measured RTO",
        "cleanup: the drill's recovery instances are terminated",
        "readiness after cleanup: no leftover drill instances",
        "wave 1 retries 1",
    ):
        assert step in done.stdout, output
    if (ROOT / "cfn" / "bot.yaml").exists():
        for step in (
            "/dr run Demo: payments failover drill at 1h ago",
            "Slack shows the pause",
            "the Slack pause message is updated",
            "every launched server recorded the snapshot it launched from",
            "the recovery waits for approval to start, nothing launched",
            "their own Resume does not count",
            "1 of 2 approvals",
            "2 of 2, it goes on",
            "both votes and reasons recorded",
        ):
            assert step in done.stdout, output
