"""Voting on a pause vs the floor (the vote's own conditional ``UpdateItem`` made bare + one
``SendTaskSuccess``), on moto in process, measured in the same run, ``SAMPLES`` of each. Targets:
median and p99 each <= 3x the floor's.

The floor's write is the vote's own (its parameters captured from the vote, :class:`VoteWrite`),
made again on a copy of a real approval item as it was before the vote, returning it (``ALL_NEW``)
as the vote's write must: moto's cost per call grows with the item's size and the expression's, so
a two-attribute item or a one-attribute flip would measure moto's parser, not the vote. The floor
leaves out the read of the approval every vote makes.

Two product paths: ``POST /execution-callback`` through the api Lambda (the email form: a vote at
quorum 1, plus the result page) and the shared decide function every channel calls
(``handlers.runs.decisions.decide``, here as an API principal). Every sample needs its own live
task token. Instead of pausing hundreds of executions at once (their polling threads starve the
process, so the figures would measure moto), tokens come from a one-state machine
(``lambda:invoke.waitForTaskToken``) started in small batches, each batch measured before the next
starts. Then 50 concurrent quorum-2 pauses, each with 10 racing voters: each decided exactly once."""

from __future__ import annotations

import contextlib
import copy
import json
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from benchmarks.support import ACCOUNT, REGION, median_ms, moto_with_tables, quiet, verdict

SAMPLES = 500  # per path: the p99 is then the 5th-slowest sample, not the 2nd of 60
BATCH = 10
RACES, VOTERS = 50, 10
TARGET_RATIO = 3.0
_PAUSE_ONLY = {
    "StartAt": "Pause",
    "States": {
        "Pause": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "collector", "Payload": {"token.$": "$$.Task.Token"}},
            "TimeoutSeconds": 3600,
            "End": True,
        }
    },
}
PRINCIPALS = [f"voter{i}@example.com" for i in range(VOTERS)]


class Tokens:
    """Live task tokens, a few at a time, from executions of a one-state machine."""

    def __init__(self) -> None:
        import boto3

        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.arn = self.sfn.create_state_machine(
            name=f"pause-{uuid.uuid4().hex[:8]}",
            definition=json.dumps(_PAUSE_ONLY),
            roleArn="arn:aws:iam::123456789012:role/bench",
        )["stateMachineArn"]
        self.collected: list[str] = []

    def take(self, count: int) -> list[str]:
        from tests.support.orchestration import wait_until

        before = len(self.collected)
        for _ in range(count):
            self.sfn.start_execution(stateMachineArn=self.arn, name=str(uuid.uuid4()))
        wait_until(lambda: len(self.collected) >= before + count, timeout=120)
        taken = self.collected[before : before + count]
        assert len(taken) == count, f"only {len(taken)} of {count} executions paused"
        return taken


def _plan() -> dict[str, Any]:
    from tests.support.data import group_body, plan_body
    from tests.support.events import invoke_direct

    group = invoke_direct("create_protection_group", {"accountId": ACCOUNT, **group_body("Bench")})
    body = plan_body([group["groupId"]], approverPrincipals=PRINCIPALS)
    return dict(invoke_direct("create_recovery_plan", {"accountId": ACCOUNT, **body}))


def pause(plan: dict[str, Any], token: str, *, is_drill: bool = True) -> str:
    """An approval for ``token`` on an execution of ``plan`` (quorum 1 for drills, 2 for recoveries)."""
    from handlers.models.execution import Execution, WaveProgress
    from handlers.models.recovery_plan import RecoveryPlan
    from handlers.pauses.approvals import open_approval
    from handlers.repositories.executions import ExecutionRepository

    execution = Execution(
        executionId=str(uuid.uuid4()),
        planId=plan["planId"],
        planName=plan["planName"],
        accountId=ACCOUNT,
        isDrill=is_drill,
        startedBy="bench",
        startedVia="direct",
        startTime="2026-01-01T00:00:00Z",
        waves=[WaveProgress(**{k: v for k, v in w.items() if k != "hooks"}) for w in plan["waves"]],
    )
    ExecutionRepository().insert(execution)
    return open_approval(execution, 1, token, plan=RecoveryPlan.model_validate(plan)).approvalId


def _by_email(approval_id: str) -> float:
    from handlers.api import lambda_handler
    from tests.support.events import LambdaContext, api_event

    event = api_event(
        "POST", "/execution-callback", account=None, raw_body=f"action=resume&approval={approval_id}"
    )
    start = time.perf_counter()
    response = lambda_handler(event, LambdaContext())
    elapsed = time.perf_counter() - start
    assert response["statusCode"] == 200 and "Done" in response["body"], response["statusCode"]
    return elapsed


def _vote(approval_id: str, voter: int = 0) -> Any:
    from handlers.accounts.account_context import principal_key
    from handlers.models.approval import DecideApprovalRequest
    from handlers.pauses.approval_policy import Voter
    from handlers.runs import decisions

    who = Voter("api", PRINCIPALS[voter], principal_key(PRINCIPALS[voter]))  # a verified email's key
    request = DecideApprovalRequest(action="resume", approvalId=approval_id)
    return decisions.decide(request, by=who.by, via="api", account_id=ACCOUNT, voter=who)


def _by_function(approval_id: str) -> float:
    start = time.perf_counter()
    result = _vote(approval_id)
    elapsed = time.perf_counter() - start
    assert result.outcome == "decided", result.outcome
    return elapsed


def floor(
    table: Any,
    sfn: Any,
    token: str,
    item: dict[str, Any],
    execution: tuple[Any, str] | None = None,
    write: dict[str, Any] | None = None,
) -> float:
    """``item``: a stored approval, copied under a new id. ``execution``: (the executions table, an
    execution id) for a vote by execution id, which reads the execution first (strongly consistent).
    ``write``: a vote's own conditional ``UpdateItem`` (its parameters, :class:`VoteWrite`), made
    again on the copy; without it, a one-attribute conditional update returning the item."""
    key = {"approvalId": str(uuid.uuid4())}
    table.put_item(Item={**item, **key, "status": "PENDING"})
    update = {k: v for k, v in (write or {}).items() if k != "TableName"} or {
        "UpdateExpression": "SET #s = :d",
        "ConditionExpression": "#s = :p",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {":d": "RESUMED", ":p": "PENDING"},
        "ReturnValues": "ALL_NEW",
    }
    start = time.perf_counter()
    if execution is not None:
        executions, execution_id = execution
        executions.get_item(Key={"executionId": execution_id}, ConsistentRead=True)
    table.update_item(**{**update, "Key": key})
    sfn.send_task_success(taskToken=token, output="{}")
    return time.perf_counter() - start


_UPDATE_ITEM = "provide-client-params.dynamodb.UpdateItem"


class VoteWrite:
    """The parameters of the last conditional ``UpdateItem`` of ``table_name`` (a vote's write on
    its approval), captured as the product makes it (a botocore ``provide-client-params`` hook), so
    the floor makes the very same call."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.params: dict[str, Any] = {}

    def __enter__(self) -> VoteWrite:
        import boto3

        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register(_UPDATE_ITEM, self._capture)
        return self

    def __exit__(self, *_: object) -> None:
        import boto3

        if boto3.DEFAULT_SESSION is not None:
            boto3.DEFAULT_SESSION.events.unregister(_UPDATE_ITEM, self._capture)

    def _capture(self, params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == self.table_name and params.get("ConditionExpression"):
            self.params = copy.deepcopy(params)


def _latencies(tokens: Tokens, plan: dict[str, Any], table: Any) -> dict[str, list[float]]:
    with VoteWrite(table.name) as vote:
        return _interleaved(tokens, plan, table, vote)


def _interleaved(tokens: Tokens, plan: dict[str, Any], table: Any, vote: VoteWrite) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"email": [], "function": [], "floor": []}
    paths: dict[str, Callable[[str], float]] = {"email": _by_email, "function": _by_function}
    item: dict[str, Any] = {}
    for _ in range(SAMPLES // BATCH):
        batch = tokens.take(3 * BATCH)
        for i in range(BATCH):
            for offset, (name, path) in enumerate(paths.items()):
                approval_id = pause(plan, batch[3 * i + offset])
                item = item or table.get_item(Key={"approvalId": approval_id})["Item"]
                samples[name].append(path(approval_id))
            samples["floor"].append(floor(table, tokens.sfn, batch[3 * i + 2], item, write=vote.params))
    return samples


def _races(tokens: Tokens, plan: dict[str, Any]) -> dict[str, int]:
    """50 quorum-2 pauses at once, 10 voters racing on each: count Step Functions calls per token."""
    from botocore.client import BaseClient

    from handlers.core.errors import DomainError
    from handlers.repositories.approvals import ApprovalRepository

    approvals = [pause(plan, token, is_drill=False) for token in tokens.take(RACES)]
    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation in {"SendTaskSuccess", "SendTaskFailure"}:
            calls[params["taskToken"]] += 1
        return original(self, operation, params)

    barrier = threading.Barrier(RACES * VOTERS)

    def voter(approval_id: str, index: int) -> None:
        barrier.wait()
        with contextlib.suppress(DomainError):  # a loser's 409: counted below through the approvals
            _vote(approval_id, index)

    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        threads = [threading.Thread(target=voter, args=(a, i)) for a in approvals for i in range(VOTERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
    stored = [ApprovalRepository().get(a) for a in approvals]
    decided = sum(1 for a in stored if a and a.status == "RESUMED" and len(a.counted("resume")) == 2)
    once = sum(1 for a in stored if a and calls[a.taskToken] == 1)
    return {"pauses": RACES, "decided_with_two_votes": decided, "one_step_functions_call": once}


def measure() -> dict[str, float]:
    import boto3

    from sandbox.emulators.emulator_guarantees import make_dynamodb_writes_atomic
    from tests.support.inprocess import lambda_functions

    make_dynamodb_writes_atomic()  # as in the sandbox and the tests: DynamoDB's conditional writes are atomic
    with moto_with_tables() as tables, quiet():
        tokens = Tokens()
        with lambda_functions({"collector": lambda event, _: tokens.collected.append(event["token"])}):
            plan = _plan()
            table = boto3.resource("dynamodb", region_name=REGION).Table(tables["APPROVALS_TABLE"])
            samples = _latencies(tokens, plan, table)
            races = _races(tokens, plan)
    return {**latency_figures(samples), **{f"races_{k}": float(v) for k, v in races.items()}}


def latency_figures(samples: dict[str, list[float]]) -> dict[str, float]:
    """Each path's median and p99 (``<name>_ms``, ``<name>_p99_ms``) and, for every path but
    ``floor``, both as ratios to the floor's (``<name>_ratio``, ``<name>_p99_ratio``)."""
    figures: dict[str, float] = {}
    for name, values in samples.items():
        figures[f"{name}_ms"] = median_ms(values)
        figures[f"{name}_p99_ms"] = statistics.quantiles(values, n=100)[98] * 1000
    for name in samples.keys() - {"floor"}:
        figures[f"{name}_ratio"] = figures[f"{name}_ms"] / figures["floor_ms"]
        figures[f"{name}_p99_ratio"] = figures[f"{name}_p99_ms"] / figures["floor_p99_ms"]
    return figures


def main() -> dict[str, float]:
    figures = measure()
    print(f"[decisions] moto in process, {SAMPLES} votes per path, each on its own live task token")
    for name, label in (
        ("email", "POST /execution-callback (vote + result page)"),
        ("function", "decisions.decide (API principal's vote)"),
        ("floor", "floor: the vote's UpdateItem (ALL_NEW) + SendTaskSuccess, bare"),
    ):
        print(
            f"  {label:62s} {figures[f'{name}_ms']:6.2f} ms median, {figures[f'{name}_p99_ms']:7.2f} ms p99"
        )
    for name in ("email", "function"):
        ratio, p99 = figures[f"{name}_ratio"], figures[f"{name}_p99_ratio"]
        print(
            f"  {name}: median {ratio:.2f}x ({verdict(ratio, TARGET_RATIO)}), p99 {p99:.2f}x "
            f"({verdict(p99, TARGET_RATIO)}) of the floor (target <= {TARGET_RATIO}x)"
        )
    print(
        f"  {RACES} quorum-2 pauses x {VOTERS} racing voters: "
        f"{figures['races_decided_with_two_votes']:.0f} decided with exactly 2 votes, "
        f"{figures['races_one_step_functions_call']:.0f} with exactly one Step Functions call"
    )
    return figures


if __name__ == "__main__":
    main()
