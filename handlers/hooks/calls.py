"""What each type of hook calls in the plan's account, and how its answer maps to a hook status.

Every call is made with the credentials the wave's DRS calls use (handlers/aws/drs.py ``target_for``
and ``service_client``: the account's DRS role, or the deployment's own credentials in its own
account), so a hook acts in the plan's account and region and nowhere else. The mapping functions
are pure (tested without AWS, tests/unit/test_hook_results.py); the call functions hand them what
AWS answered."""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from handlers.models.hooks import INSTANCE_IDS_TOKEN, HookAnswer, HookEvent, HookStatus

# Lambda answers a synchronous invocation with at most 6 MB; a larger answer is a function error.
MAX_ANSWER_BYTES = 6 * 1024 * 1024
# SSM Automation statuses (botocore's ssm model, AutomationExecutionStatus) and what each means here.
PASSED_AUTOMATION = frozenset({"Success", "CompletedWithSuccess"})
FAILED_AUTOMATION = frozenset(
    {"Failed", "TimedOut", "Cancelled", "CompletedWithFailure", "Rejected", "Exited", "Cancelling"}
)


@dataclass(frozen=True)
class Outcome:
    """Where a hook's run stands after one look: RUNNING (look again later) or its end."""

    status: HookStatus
    message: str = ""
    detail: dict[str, str] = field(default_factory=dict)


def _short(text: object, limit: int = 500) -> str:
    return str(text).replace("\n", " ")[:limit]


# --- lambda -----------------------------------------------------------------------------------


def invoke_lambda(client: Any, function_name: str, event: HookEvent, seconds: float) -> Outcome:
    """Invoke ``function_name`` synchronously with ``event``; its answer within ``seconds``, or
    FAILED saying it did not answer in time. The call runs on a thread of its own, so a function that
    never answers costs this task ``seconds`` at most (botocore's own read timeout backs it up)."""
    answers: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)

    def call() -> None:
        try:
            answers.put(("ok", client.invoke(FunctionName=function_name, Payload=event.model_dump_json())))
        except (ClientError, BotoCoreError) as exc:
            answers.put(("error", exc))

    threading.Thread(target=call, name=f"hook-{function_name}", daemon=True).start()
    try:
        kind, answer = answers.get(timeout=seconds)
    except queue.Empty:
        return Outcome(
            "FAILED", f"the function {function_name} did not answer within {seconds:.0f} s (timeout)"
        )
    if kind == "error":
        return Outcome("FAILED", f"the function {function_name} could not be invoked: {_short(answer)}")
    payload = answer["Payload"].read(MAX_ANSWER_BYTES + 1)
    return lambda_outcome(function_name, answer.get("FunctionError"), payload)


def lambda_outcome(function_name: str, function_error: str | None, payload: bytes) -> Outcome:
    """A hook function's answer as a hook status: it raised, answered more than 6 MB, answered
    something that is not ``{"status": "PASSED"|"FAILED", "message"}``, or answered that."""
    if len(payload) > MAX_ANSWER_BYTES:
        return Outcome("FAILED", f"the function {function_name} answered more than 6 MB (Lambda's limit)")
    if function_error:
        try:
            error = json.loads(payload or b"{}")
        except ValueError:
            error = {}
        error = error if isinstance(error, dict) else {}
        what = f"{error.get('errorType', function_error)}: {error.get('errorMessage', '')}".rstrip(": ")
        return Outcome("FAILED", f"the function {function_name} raised an error ({_short(what, 300)})")
    try:
        answer = HookAnswer.model_validate_json(payload or b"null")
    except ValidationError:
        shown = _short(payload[:120].decode("utf-8", "replace"), 120)
        return Outcome(
            "FAILED",
            f'the function {function_name} answered garbage, not {{"status": "PASSED"|"FAILED", '
            f'"message"}}: {shown}',
        )
    message = answer.message or f"the function {function_name} answered {answer.status}"
    return Outcome(answer.status, message)


# --- ssmAutomation ----------------------------------------------------------------------------


def expand_parameters(parameters: dict[str, list[str]], instance_ids: list[str]) -> dict[str, list[str]]:
    """The hook's parameters with every ``{{instanceIds}}`` value replaced by the instance ids."""
    return {
        name: [i for value in values for i in (instance_ids if value == INSTANCE_IDS_TOKEN else [value])]
        for name, values in parameters.items()
    }


def client_token(*parts: object) -> str:
    """SSM's idempotency token for one attempt of one hook: a re-run of the task that started it
    (Step Functions retries a task whose Lambda failed) starts no second automation."""
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:64]


def start_automation(
    client: Any, document: str, parameters: dict[str, list[str]], token: str
) -> tuple[str | None, str]:
    """StartAutomationExecution: (its execution id, "") or (None, why it could not start)."""
    kwargs: dict[str, Any] = {"DocumentName": document, "ClientToken": token}
    if parameters:
        kwargs["Parameters"] = parameters
    try:
        return str(client.start_automation_execution(**kwargs)["AutomationExecutionId"]), ""
    except (ClientError, BotoCoreError) as exc:
        return None, f"SSM could not start the automation {document}: {_short(exc)}"


def automation_outcome(execution: dict[str, Any]) -> Outcome:
    """GetAutomationExecution's ``AutomationExecution`` as a hook status; a failure names the step
    that failed and SSM's message."""
    status = str(execution.get("AutomationExecutionStatus", ""))
    detail = {
        "automationExecutionId": str(execution.get("AutomationExecutionId", "")),
        "automationStatus": status,
    }
    document = execution.get("DocumentName", "the automation")
    if status in PASSED_AUTOMATION:
        return Outcome("PASSED", f"{document} ended {status}", detail)
    if status not in FAILED_AUTOMATION:
        return Outcome("RUNNING", f"{document} is {status or 'starting'}", detail)
    failed = [s for s in execution.get("StepExecutions", []) if s.get("StepStatus") in FAILED_AUTOMATION]
    step = f" at step {failed[-1].get('StepName')}" if failed else ""
    why = execution.get("FailureMessage") or (failed[-1].get("FailureMessage") if failed else "")
    message = f"{document} ended {status}{step}" + (f": {_short(why, 300)}" if why else "")
    return Outcome("FAILED", message, detail)


def read_automation(client: Any, execution_id: str) -> Outcome:
    try:
        answer = client.get_automation_execution(AutomationExecutionId=execution_id)
    except (ClientError, BotoCoreError) as exc:  # looked at again on the next poll, until the timeout
        return Outcome("RUNNING", f"SSM did not answer about {execution_id}: {_short(exc, 200)}")
    return automation_outcome(answer["AutomationExecution"])


def stop_automation(client: Any, execution_id: str) -> str:
    """StopAutomationExecution; what happened, for the record."""
    try:
        client.stop_automation_execution(AutomationExecutionId=execution_id, Type="Cancel")
    except (ClientError, BotoCoreError) as exc:
        return f"stopping it failed: {_short(exc, 200)}"
    return "stopped (StopAutomationExecution)"


# --- instanceStatus ---------------------------------------------------------------------------


def instance_status_outcome(instance_ids: list[str], statuses: list[dict[str, Any]]) -> Outcome:
    """PASSED when every instance's instance and system status checks read ``ok``, else RUNNING
    naming the ones that do not yet."""
    if not instance_ids:
        return Outcome("FAILED", "no launched recovery instance in the wave to check")
    ok = {
        s["InstanceId"]
        for s in statuses
        if s.get("InstanceStatus", {}).get("Status") == "ok"
        and s.get("SystemStatus", {}).get("Status") == "ok"
    }
    waiting = [i for i in instance_ids if i not in ok]
    detail = {"instanceIds": ",".join(instance_ids)}
    if not waiting:
        return Outcome("PASSED", f"{len(instance_ids)} instance(s) pass their EC2 status checks", detail)
    return Outcome("RUNNING", f"status checks not ok yet: {', '.join(waiting)}", detail)


def read_instance_status(client: Any, instance_ids: list[str]) -> Outcome:
    statuses: list[dict[str, Any]] = []
    try:
        for start in range(0, len(instance_ids), 100):
            pages = client.get_paginator("describe_instance_status").paginate(
                InstanceIds=instance_ids[start : start + 100], IncludeAllInstances=True
            )
            for page in pages:
                statuses.extend(page.get("InstanceStatuses", []))
    except (ClientError, BotoCoreError) as exc:
        return Outcome("RUNNING", f"EC2 did not answer DescribeInstanceStatus: {_short(exc, 200)}")
    return instance_status_outcome(instance_ids, statuses)


# --- launchActions ----------------------------------------------------------------------------

RunState = Literal["IN_PROGRESS", "SUCCEEDED", "FAILED"]


def launch_actions_outcome(jobs: list[dict[str, Any]]) -> Outcome:
    """Every post-launch action of category VALIDATION on the jobs' servers SUCCEEDED: PASSED; one
    FAILED: FAILED naming it and its server; some still IN_PROGRESS: RUNNING."""
    runs = [
        (server.get("sourceServerID", "?"), run)
        for job in jobs
        for server in job.get("participatingServers", [])
        for run in (server.get("launchActionsStatus") or {}).get("runs", [])
        if (run.get("action") or {}).get("category") == "VALIDATION"
    ]
    if not runs:
        return Outcome("PASSED", "no VALIDATION post-launch action is set on the wave's servers")
    failed = [
        f"{(r.get('action') or {}).get('name', '?')} on {s}" for s, r in runs if r.get("status") == "FAILED"
    ]
    if failed:
        reasons = "; ".join(
            _short(r.get("failureReason", ""), 200) for _, r in runs if r.get("status") == "FAILED"
        )
        return Outcome(
            "FAILED",
            f"VALIDATION post-launch action failed: {', '.join(failed)}"
            + (f" ({reasons})" if reasons.strip("; ") else ""),
        )
    running = [s for s, r in runs if r.get("status") != "SUCCEEDED"]
    if running:
        return Outcome(
            "RUNNING", f"VALIDATION post-launch actions still running on {', '.join(sorted(set(running)))}"
        )
    return Outcome("PASSED", f"{len(runs)} VALIDATION post-launch action(s) SUCCEEDED")
