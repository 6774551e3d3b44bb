"""DRS native recovery plans both ways in the running sandbox (docs/native-plans.md):
a native plan made at the sandbox's DRS endpoint, as in the console; ``/dr import`` from the local
Slack; the "Export to DRS" button under ``/dr plan``; the exported plan started as a native DRILL
at the DRS endpoint, running to COMPLETED without this system (the break-glass path)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from sandbox.runtime.drs_http import PREFIX
from tests.e2e.conftest import RunningSandbox
from tests.e2e.runs import Plan, Runs, button, slack_local
from tests.e2e.waiting import slack_messages, wait_for

pytestmark = pytest.mark.e2e

EXPORT_ACTION = "export_native"  # bot/ids.py EXPORT_NATIVE
FAILED = "Something went wrong on our side"  # the bot's answer to an error (bot/listeners/common.py)


@pytest.fixture
def drs(sandbox: RunningSandbox) -> Iterator[Any]:
    """A ``drs`` client of the deployment's account at the sandbox's DRS endpoint (as the workers
    reach it); the native plans a test makes there are deleted afterwards."""
    client = boto3.client(
        "drs",
        endpoint_url=sandbox.info["lambdaEndpoint"] + PREFIX,
        region_name=sandbox.info["region"],
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
    )
    before = {p["recoveryPlanArn"] for p in client.list_recovery_plans()["recoveryPlans"]}
    yield client
    for made in client.list_recovery_plans()["recoveryPlans"]:
        if made["recoveryPlanArn"] not in before:
            client.delete_recovery_plan(recoveryPlanArn=made["recoveryPlanArn"])


def _server_step(sandbox: RunningSandbox, server: str) -> dict[str, Any]:
    account, region = sandbox.info["accounts"][0], sandbox.info["region"]
    arn = f"arn:aws:drs:{region}:{account}:source-server/{server}"
    return {"serverStepConfiguration": {"servers": [{"serverArn": arn, "impactLevel": "CRITICAL"}]}}


def _said(sandbox: RunningSandbox, seen: int, pattern: str) -> dict[str, Any]:
    """The bot's answer after the ``seen`` first messages: the first whose text matches ``pattern``,
    or a failure saying what the bot said instead (its apology for an error, at once)."""

    def found() -> dict[str, Any] | None:
        said = slack_messages(sandbox)[seen:]
        return next((m for m in said if re.search(pattern, m["text"]) or FAILED in m["text"]), None)

    message = wait_for(found, 15, f"a Slack message matching {pattern!r}")
    assert message is not None and re.search(pattern, message["text"]), message
    return message


def _command(sandbox: RunningSandbox, text: str) -> int:
    seen = len(slack_messages(sandbox))
    answer = slack_local(sandbox, "command", {"text": text})
    assert answer.status == 200 and answer.json()["ok"], answer.body
    return seen


def _native_plan(sandbox: RunningSandbox, runs: Runs, drs: Any) -> tuple[str, str]:
    """A native plan made at the DRS endpoint, as in the console: a server, a 1-minute wait, another
    server (servers no group holds). Its name and ARN."""
    first, second = runs.free_servers(2)
    name = f"native e2e {uuid.uuid4().hex[:8]}"
    arn = drs.create_recovery_plan(name=name)["recoveryPlan"]["recoveryPlanArn"]
    steps = [
        _server_step(sandbox, first),
        {"waitStepConfiguration": {"waitDurationMinutes": 1}},
        _server_step(sandbox, second),
    ]
    for n, configuration in enumerate(steps, 1):
        drs.create_recovery_plan_step(recoveryPlanArn=arn, stepName=f"step {n}", configuration=configuration)
    return name, str(arn)


def _imported(sandbox: RunningSandbox, runs: Runs, plan_id: str, name: str) -> dict[str, Any]:
    """The plan an import made (deleted with its groups after the test)."""
    plan = sandbox.api("GET", f"/recovery-plans/{plan_id}").json()
    runs.plans.append(Plan(plan_id, name, "", [w["protectionGroupId"] for w in plan["waves"]]))
    return dict(plan)


def test_dr_import_from_slack_makes_a_plan_with_the_native_plans_waits(
    sandbox: RunningSandbox, runs: Runs, drs: Any
) -> None:
    # Given a native plan made at the DRS endpoint
    name, native_arn = _native_plan(sandbox, runs, drs)

    # When an operator imports it with /dr import
    seen = _command(sandbox, f"/dr import {name}")
    reply = _said(sandbox, seen, rf"imported DRS native recovery plan {name} as recovery plan")

    # Then a plan of two waves is made, the wait before the second, recording where it came from
    plan_id = re.findall(rf"recovery plan {name} \(([0-9a-f-]+)\)", reply["text"])[0]
    plan = _imported(sandbox, runs, plan_id, name)
    assert [w["waitBeforeMinutes"] for w in plan["waves"]] == [0, 1]
    assert plan["importedFrom"]["arn"] == native_arn


def test_the_export_button_writes_a_copy_that_runs_from_drs_as_a_native_drill(
    sandbox: RunningSandbox, runs: Runs, drs: Any
) -> None:
    # Given a plan imported (through the API) from a native plan made at the DRS endpoint
    name, native_arn = _native_plan(sandbox, runs, drs)
    answer = sandbox.api("POST", "/recovery-plans/import-native", {"recoveryPlanArn": native_arn})
    assert answer.status == 201, answer.body
    plan_id = answer.json()["recoveryPlan"]["planId"]
    _imported(sandbox, runs, plan_id, name)

    # When an operator presses "Export to DRS" under /dr plan <name>
    seen = _command(sandbox, f"/dr plan {name}")

    def with_button() -> dict[str, Any] | None:
        return next((m for m in slack_messages(sandbox)[seen:] if button(m, EXPORT_ACTION, plan_id)), None)

    shown = wait_for(with_button, 15, "the Export to DRS button")
    assert shown is not None
    pressed = {"channel": shown["channel"], "ts": shown["ts"], "actionId": EXPORT_ACTION}
    clicked = slack_local(sandbox, "action", {**pressed, **(button(shown, EXPORT_ACTION, plan_id) or {})})
    assert clicked.status == 200 and clicked.json()["ok"], clicked.body
    exported = _said(sandbox, seen, rf"exported {name} to DRS as native recovery plan")

    # Then the channel is told the copy's ARN, the plan records it, and DRS holds its three steps
    copy_arn = sandbox.api("GET", f"/recovery-plans/{plan_id}").json()["nativeCopy"]["arn"]
    assert exported["text"].endswith(copy_arn) and copy_arn != native_arn
    copy = drs.get_recovery_plan(recoveryPlanArn=copy_arn)["recoveryPlan"]
    assert copy["tags"] == {"drs-chatops:planId": plan_id}
    assert len(drs.list_recovery_plan_steps(recoveryPlanArn=copy_arn)["recoveryPlanSteps"]) == 3

    # When the copy is started as a DRILL at the DRS endpoint (as from the console, this system aside)
    started = drs.start_recovery_plan_execution(recoveryPlanArn=copy_arn, mode="DRILL")
    execution_arn = started["recoveryPlanExecution"]["recoveryPlanExecutionArn"]

    # Then it runs its steps in order to COMPLETED
    def finished() -> dict[str, Any] | None:
        execution = drs.get_recovery_plan_execution(recoveryPlanExecutionArn=execution_arn)
        status = execution["recoveryPlanExecution"]["status"]
        return execution["recoveryPlanExecution"] if status in ("COMPLETED", "FAILED", "CANCELLED") else None

    done = wait_for(finished, 20, "the native drill finished")
    assert done is not None and done["status"] == "COMPLETED", done
    ran = drs.list_recovery_plan_execution_steps(recoveryPlanExecutionArn=execution_arn)
    by_order = sorted(ran["recoveryPlanExecutionSteps"], key=lambda s: s["stepIndex"])
    assert [s["status"] for s in by_order] == ["COMPLETED"] * 3
