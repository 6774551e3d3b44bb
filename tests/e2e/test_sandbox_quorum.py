"""Quorum-2 pauses raced through the sandbox's api workers (separate processes, DynamoDB's
conditional writes in the server): 30 approvers resuming at once count exactly 2 votes and decide
once, the others told who decided; 30 mixed resume/cancel clicks end in one outcome that the
record and Step Functions agree on."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import RunningSandbox, http
from tests.e2e.runs import Plan, Runs, wait_for_status
from tests.e2e.waiting import wait_until_finished

pytestmark = pytest.mark.e2e
APPROVERS = [f"approver{i}@example.com" for i in range(30)]


def _quorum_two_pause(runs: Runs) -> tuple[Plan, str]:
    plan = runs.plan(
        [runs.free_servers(1)],
        pause_before=1,
        slack=False,
        approverPrincipals=APPROVERS,
        approvalQuorum={"drill": 2, "recovery": 2},
    )
    execution_id = runs.start(plan)
    wait_for_status(runs.sandbox, execution_id, "PAUSED")
    return plan, execution_id


def _race(sandbox: RunningSandbox, execution_id: str, actions: list[str]) -> list[tuple[int, str]]:
    """Every approver ``i`` posts ``actions[i]`` at the same moment: (status, body) each."""
    barrier = threading.Barrier(len(actions))

    def decide(i: int) -> tuple[int, str]:
        headers = {"X-Sandbox-Account": sandbox.info["accounts"][0], "X-Sandbox-User": APPROVERS[i]}
        path = f"/executions/{execution_id}/{actions[i]}"
        barrier.wait()
        answer = http("POST", sandbox.info["apiUrl"] + path, {"reason": f"vote {i}"}, headers)
        return answer.status, answer.body.decode()

    with ThreadPoolExecutor(len(actions)) as pool:
        return list(pool.map(decide, range(len(actions))))


def test_thirty_approvers_resuming_a_quorum_two_pause_count_two_votes_once(
    sandbox: RunningSandbox, runs: Runs
) -> None:
    # Given a drill paused for 2 of 30 named approvers
    _, execution_id = _quorum_two_pause(runs)
    # When all 30 resume at once
    answers = _race(sandbox, execution_id, ["resume"] * 30)
    # Then two votes counted (both answered 200) and the other 28 are told who decided
    assert sorted(status for status, _ in answers) == [200] * 2 + [409] * 28, answers
    final = wait_until_finished(sandbox, execution_id)
    assert final["status"] == "SUCCEEDED"
    (decision,) = final["decisions"]
    voters = [v["by"] for v in decision["votes"]]
    assert len(set(voters)) == 2 and set(voters) <= set(APPROVERS)
    conflicts = [body for s, body in answers if s == 409]
    told = {re.search(r"was (?:already )?resumed by (.+?) via", body).group(1) for body in conflicts}  # type: ignore[union-attr]
    assert told == {" and ".join(voters)}


def test_thirty_mixed_clicks_on_a_quorum_two_pause_end_one_way(sandbox: RunningSandbox, runs: Runs) -> None:
    # Given a drill paused for 2 of 30 named approvers
    _, execution_id = _quorum_two_pause(runs)
    # When 15 resume and 15 cancel at once (approver i resumes when i is even)
    answers = _race(sandbox, execution_id, ["resume", "cancel"] * 15)
    assert all(status in (200, 409) for status, _ in answers), answers
    won = [i for i, (status, _) in enumerate(answers) if status == 200]
    resumes, cancels = [i for i in won if i % 2 == 0], [i for i in won if i % 2 == 1]
    # Then the pause was decided once, and the record, the outcome and the answers agree
    final = wait_until_finished(sandbox, execution_id)
    (decision,) = final["decisions"]
    assert len(cancels) <= 1
    if decision["action"] == "cancel":
        assert final["status"] == "CANCELLED" and decision["decidedBy"] == APPROVERS[cancels[0]]
        assert len(resumes) <= 1  # one resume vote may have counted before the cancel
    else:
        # two resume votes decided; a cancel that came after stopped the running execution
        assert sorted(v["by"] for v in decision["votes"]) == sorted(APPROVERS[i] for i in resumes)
        assert len(resumes) == 2
        expected = "CANCELLED" if cancels else "SUCCEEDED"
        assert final["status"] == expected, final["statusReason"]
        if cancels:
            assert APPROVERS[cancels[0]] in final["statusReason"]
