"""The record believes only the approvals table: a pause's task token used directly (read from the
Step Functions history, as anyone who may read it can) moves the state machine, but the execution
records that decision as made outside drs-chatops, credits none of the approvers the forged
decision names, closes the pause's approval, counts DecisionOutsideCount and names it in the report."""

from __future__ import annotations

import json

from tests.support.events import call_api, get_raw
from tests.support.orchestration import wait_until
from tests.support.pauses import approval_item, execution_status, paused_drill

ANA, BEN = "ana@example.com", "ben@example.com"
OUTSIDE = "outside drs-chatops (task token used directly)"


def forged(action: str) -> str:
    """What an attacker hands Step Functions: a decision naming both approvers, with votes."""
    votes = [{"action": action, "by": who, "via": "api", "at": "2030-01-01T00:00:00Z"} for who in (ANA, BEN)]
    return json.dumps(
        {
            "action": action,
            "decidedBy": f"{ANA} and {BEN}",
            "decidedVia": "api",
            "decidedAt": "2030-01-01T00:00:00Z",
            "reason": "we both agreed",
            "votes": votes,
        }
    )


def token_from_history(orchestration, execution):
    """The pause's task token, as GetExecutionHistory shows it (the waiting task's input)."""
    sfn = orchestration.aws.client("stepfunctions")
    events = sfn.get_execution_history(executionArn=execution["stateMachineExecutionArn"])["events"]
    scheduled = [
        json.loads(e["taskScheduledEventDetails"]["parameters"])["Payload"]
        for e in events
        if e["type"] == "TaskScheduled"
    ]
    (token,) = [p["taskToken"] for p in scheduled if "taskToken" in p]
    return token


def outside_metrics(captured: str) -> int:
    """DecisionOutsideCount as the functions emitted it (CloudWatch embedded metric format)."""
    total = 0.0
    for line in captured.splitlines():
        if line.startswith("{") and '"DecisionOutsideCount"' in line:
            value = json.loads(line)["DecisionOutsideCount"]
            total += sum(value) if isinstance(value, list) else value
    return int(total)


def test_a_resume_sent_with_the_task_token_is_recorded_as_outside_and_credits_no_approver(
    orchestration, capsys
):
    # Given a quorum-2 drill paused before wave 2 that nobody has voted on
    paused = paused_drill(orchestration, [ANA, BEN])
    execution_id = paused["executionId"]
    # When someone who can read the Step Functions history resumes it with the token, naming ana and ben
    token = token_from_history(orchestration, paused)
    orchestration.aws.client("stepfunctions").send_task_success(taskToken=token, output=forged("resume"))
    # Then the run goes on, and its record says the resume was made outside drs-chatops
    final = execution_status(execution_id, {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"})
    (decision,) = final["decisions"]
    assert (decision["action"], decision["decidedBy"], decision["channel"]) == ("resume", OUTSIDE, "outside")
    assert decision["votes"] == []
    assert ANA not in json.dumps(decision) and "we both agreed" not in json.dumps(decision)
    # the pause's approval is closed: nobody can decide it any more
    approval = approval_item(orchestration, paused["approvalId"])
    assert approval["status"]["S"] == "EXPIRED" and approval["statusReason"]["S"] == OUTSIDE
    status, refused = call_api("POST", f"/executions/{execution_id}/resume", {}, user=ANA)
    assert status == 409, refused
    # the alarm's metric was counted
    assert wait_until(lambda: outside_metrics(capsys.readouterr().out) or None) == 1
    # the announcement and the report name it
    resume = orchestration.wait_for_event("resume")
    assert OUTSIDE in resume["body"] and ANA not in resume["body"]
    status, report = call_api("GET", f"/executions/{execution_id}/report")
    assert status == 200
    (reported,) = report["decisions"]
    assert (reported["decidedBy"], reported["via"], reported.get("votes")) == (OUTSIDE, "outside", None)
    (entry,) = [e for e in report["timeline"] if e["event"] == "decision_outside"]
    assert OUTSIDE in entry["detail"] and not [e for e in report["timeline"] if e["event"] == "vote"]
    status, page, _ = get_raw(f"/executions/{execution_id}/report?format=html")
    assert status == 200 and f'<td class="bad">{OUTSIDE}</td><td>outside</td>' in page


def test_a_cancel_sent_with_the_task_token_is_recorded_as_outside(orchestration, capsys):
    # Given a quorum-2 drill paused before wave 2
    paused = paused_drill(orchestration, [ANA, BEN])
    execution_id = paused["executionId"]
    # When the token is used to fail the task as a cancel naming ana
    token = token_from_history(orchestration, paused)
    orchestration.aws.client("stepfunctions").send_task_failure(
        taskToken=token, error="ExecutionCancelled", cause=forged("cancel")
    )
    # Then the execution ends CANCELLED, cancelled outside drs-chatops, crediting nobody
    final = execution_status(execution_id, {"CANCELLED", "SUCCEEDED", "FAILED", "TIMED_OUT"})
    assert final["status"] == "CANCELLED"
    (decision,) = final["decisions"]
    assert (decision["action"], decision["decidedBy"], decision["channel"]) == ("cancel", OUTSIDE, "outside")
    assert decision["votes"] == [] and ANA not in json.dumps(final)
    assert approval_item(orchestration, paused["approvalId"])["status"]["S"] == "EXPIRED"
    assert wait_until(lambda: outside_metrics(capsys.readouterr().out) or None) == 1
    cancel = orchestration.wait_for_event("cancel")
    assert f"Cancelled by:  {OUTSIDE} via outside" in cancel["body"]


def test_a_decision_the_approvals_table_made_is_recorded_as_its_voters_made_it(orchestration, capsys):
    # Given a quorum-2 drill paused before wave 2
    paused = paused_drill(orchestration, [ANA, BEN])
    execution_id = paused["executionId"]
    # When ana and ben both resume it through the API
    assert call_api("POST", f"/executions/{execution_id}/resume", {"reason": "db ok"}, user=ANA)[0] == 200
    assert call_api("POST", f"/executions/{execution_id}/resume", {"reason": "app ok"}, user=BEN)[0] == 200
    # Then the record names them (not outside), and nothing is counted as outside
    final = execution_status(execution_id, {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"})
    (decision,) = final["decisions"]
    assert decision["decidedBy"] == f"{ANA} and {BEN}" and decision["channel"] == "api"
    assert [v["by"] for v in decision["votes"]] == [ANA, BEN]
    assert outside_metrics(capsys.readouterr().out) == 0


def test_a_decision_its_decider_records_while_the_orchestrator_reads_is_never_called_outside(
    orchestration, monkeypatch, capsys
):
    # Given a quorum-2 pause, and the orchestrator about to believe what Step Functions received
    from handlers.models.execution import Decision
    from handlers.repositories.executions import ExecutionRepository
    from handlers.runs import decision_record

    paused = paused_drill(orchestration, [ANA, BEN])
    execution_id = paused["executionId"]
    real = ExecutionRepository.pending_approval_id
    decided = Decision(
        action="resume",
        decidedBy=f"{ANA} and {BEN}",
        channel="api",
        decidedAt="2030-01-01T00:00:00Z",
        waveNumber=2,
    )

    def decider_records_first(self, wanted):
        # When the API's decider records the decision (closing the pause) between the orchestrator's
        # read of the execution and its read of the pause's approval id
        ExecutionRepository().record_decision(wanted, decided)
        return real(self, wanted)

    monkeypatch.setattr(ExecutionRepository, "pending_approval_id", decider_records_first)
    believed = decision_record.believe(execution_id, "resume", 2)
    monkeypatch.setattr(ExecutionRepository, "pending_approval_id", real)
    # Then the orchestrator takes the decision on the record, and nothing is called outside
    assert believed is not None and believed.decision.decidedBy == f"{ANA} and {BEN}"
    record = call_api("GET", f"/executions/{execution_id}")[1]
    assert [d["channel"] for d in record["decisions"]] == ["api"]
    assert outside_metrics(capsys.readouterr().out) == 0
