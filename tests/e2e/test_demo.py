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
        timeout=300,  # doctor, then the story (about 100 s on 2 busy cores)
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
        "readiness before the drill: ready, the hook's function found",
        "hooks_resolvable PASS",
        "the execution report: measured RTO",
        "cleanup: the drill's recovery instances are terminated",
        "readiness after cleanup: no leftover drill instances",
        # the drill's gate: wave 1's after-hook passed, on the record
        "wave 1's after-hook 'database answers' PASSED",
        "after hook database answers attempt 1 PASSED",
        # the failing gate: paused, skipped by email, the server launched once
        "the hook FAILs, the run pauses (hook_failed)",
        "its Skip link opens a confirmation page that changes nothing",
        "POST /execution-callback -> 200, 'skipped'",
        "'smoke test' attempt 1 FAILED, attempt 2 SKIPPED; the server was launched once",
        "DRS launch jobs of the execution: 1 (",
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
            # the failing gate retried from Slack: the hook again, never the servers
            "@operator clicks Retry: the hook runs again (attempt 2), still FAILED, paused again",
            "after hook smoke test (lambda, attempt 2) FAILED",
            # the way home: reverse, ready, the FAILBACK behind the quorum, re-protect, cleanup
            "reverse replication of the recovery",
            "says ready: every reversed server CONTINUOUS",
            "Ready to fail back",
            "the FAILBACK waits for 2 approvals, nothing launched",
            "Approve start on the FAILBACK's pause in Slack with a reason: 1 of 2",
            "2 of 2, the failback starts",
            "the FAILBACK SUCCEEDS: every wave launched in us-west-2",
            "both records REPROTECTED",
            "clean up the recovery region",
        ):
            assert step in done.stdout, output
        assert "-> 409" in done.stdout, output  # cleanup before re-protect
