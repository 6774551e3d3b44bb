"""The whole execution path in process: the real ASL on moto's Step Functions engine, the
orchestrator Lambda reached through ``lambda.Invoke`` routing, DRS answered by the sandbox's
emulator (tests/support/drs.py), and SNS messages captured by an SQS tap subscribed to the
execution topic."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.emulators.drs import DrsEmulator

ASL = Path(__file__).resolve().parents[2] / "cfn" / "statemachine" / "recovery-plan.asl.json"
ORCHESTRATOR_ARN = "arn:aws:lambda:us-east-1:123456789012:function:orchestrator"
API_URL = "https://api.example.test/dev"
ALERTS_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:operational-alerts"


def create_state_machine(sfn: Any, alerts_topic_arn: str = ALERTS_TOPIC_ARN) -> str:
    definition = (
        ASL.read_text()
        .replace("${OrchestratorFunctionArn}", ORCHESTRATOR_ARN)
        .replace("${OperationalAlertsTopicArn}", alerts_topic_arn)
    )
    return str(
        sfn.create_state_machine(
            name="recovery-plan", definition=definition, roleArn="arn:aws:iam::123456789012:role/sfn"
        )["stateMachineArn"]
    )


@dataclass
class Orchestration:
    aws: Any
    drs: DrsEmulator
    queue_url: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        """Every SNS message published so far: eventType, subject, email body, attributes."""
        sqs = self.aws.client("sqs")
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return self.messages
            for message in batch:
                envelope = json.loads(message["Body"])
                attributes = {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}
                self.messages.append(
                    {
                        "eventType": attributes.get("eventType"),
                        "subject": envelope.get("Subject"),
                        "body": envelope["Message"],
                        "attributes": attributes,
                    }
                )
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def drain(self, timeout: float = 45) -> None:
        """Cancel every open pause (again and again: running ones may still pause) until no
        execution is running."""
        sfn = self.aws.client("stepfunctions")
        machines = [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]]

        def all_finished() -> bool:
            self._cancel_open_pauses()
            return not any(
                sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
                for arn in machines
            )

        assert wait_until(all_finished, timeout, interval=0.5), "executions still running at teardown"

    def _cancel_open_pauses(self) -> None:
        from handlers.models.approval import DecideApprovalRequest
        from handlers.pauses.approvals import decide_approval

        table = self.aws.tables["APPROVALS_TABLE"]
        for item in self.aws.client("dynamodb").scan(TableName=table)["Items"]:
            if item["status"]["S"] == "PENDING":
                request = DecideApprovalRequest(
                    action="cancel", approvalId=item["approvalId"]["S"], reason="test teardown"
                )
                decide_approval(request, by="test teardown", via="api", voter=_allowed_voter(item))

    def event_types(self) -> list[str]:
        return [e["eventType"] for e in self.events()]

    def wait_for_event(self, event_type: str, timeout: float = 20) -> dict[str, Any]:
        found = wait_until(
            lambda: next((e for e in self.events() if e["eventType"] == event_type), None), timeout
        )
        assert found, f"no {event_type} event within {timeout}s; got {self.event_types()}"
        return found


def tap_topic(aws: Any, topic_arn: str | None = None, name: str = "notification-tap") -> str:
    """An SQS queue subscribed to ``topic_arn`` (the execution topic unless named); its URL."""
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    aws.client("sns").subscribe(TopicArn=topic_arn or aws.topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return str(queue_url)


def wait_until(probe: Callable[[], Any], timeout: float = 20, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    return None


def _allowed_voter(item: dict[str, Any]) -> Any:
    """Someone the pause's policy lets cancel (handlers/pauses/approval_policy.py)."""
    from handlers.accounts.account_context import principal_key
    from handlers.pauses.approval_policy import Voter

    principals = [p["S"] for p in item.get("approverPrincipals", {}).get("L", [])]
    users = [a["S"] for a in item.get("approvers", {}).get("L", []) if a["S"][0] in "UW"]
    if principals:
        return Voter("api", principals[0], principal_key(principals[0]))
    if users:
        return Voter("slack", "test teardown", f"slack:{users[0]}", users[0])
    return Voter("api", "test teardown", principal_key("test teardown"))
