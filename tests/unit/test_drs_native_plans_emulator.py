"""The DRS emulator's native recovery plans (``sandbox/emulators/drs_native_plans.py``), driven by a real
botocore ``drs`` client: botocore serializes each request (tag ARNs in the URL included) and parses
each answer, and every successful answer is checked against the operation's output shape the way
``botocore.stub.Stubber`` checks one (``tests/support/drs_model.py``). Executions advance per read
(``complete_after_polls=1``): no sleeps, no clock, except where a test sets the plans' clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox.data import drs_snapshots
from sandbox.data.drs_data import ACCOUNTS, REGION, Estate
from sandbox.data.drs_quotas import DrsQuotas
from sandbox.emulators.drs import DrsEmulator
from sandbox.emulators.drs_native_plans import MAX_STEPS, WAIT_MINUTE_SECONDS
from tests.support.drs_model import MODEL, assert_valid_output

OWN, OTHER = ACCOUNTS


class _Raw(BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> DrsEmulator:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", OWN)  # the deployment's own keys act in the first account
    return DrsEmulator(Estate.demo(), complete_after_polls=1)


@pytest.fixture
def drs(emulator: DrsEmulator) -> Any:
    """A botocore DRS client answered by the emulator; each 2xx answer is checked against the model."""
    client = botocore.session.Session().create_client(
        "drs",
        region_name=REGION,
        aws_access_key_id="AKIAOWN",
        aws_secret_access_key="secret",
        endpoint_url="https://drs.sandbox.test",
        config=Config(retries={"total_max_attempts": 1}),
    )
    respond = emulator.responder()

    def before_send(request: Any, event_name: str, **_: Any) -> AWSResponse:
        operation = event_name.split(".")[2]
        status, headers, body = respond(operation, request)
        if status < 300:
            assert status == MODEL.operation_model(operation).http.get("responseCode", 200)
            if MODEL.operation_model(operation).output_shape is None:  # TagResource, UntagResource
                assert json.loads(body or b"{}") == {}
            else:
                assert_valid_output(operation, json.loads(body or b"{}"))
        return AWSResponse(request.url, status, headers, _Raw(body))

    client.meta.events.register_first("before-send.drs", before_send)
    return client


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def _server_arns(emulator: DrsEmulator, count: int, *, healthy: bool = True) -> list[str]:
    ids = emulator.estate.healthy_server_ids(OWN) if healthy else emulator.estate.failing_server_ids()
    return [emulator.estate.servers[OWN][sid].arn for sid in ids[:count]]


def _servers(arns: list[str], impact: str = "CRITICAL") -> dict[str, Any]:
    return {"serverStepConfiguration": {"servers": [{"serverArn": a, "impactLevel": impact} for a in arns]}}


def _plan(drs: Any, name: str = "orders", *steps: dict[str, Any]) -> str:
    arn = str(drs.create_recovery_plan(name=name)["recoveryPlan"]["recoveryPlanArn"])
    for n, configuration in enumerate(steps, 1):
        drs.create_recovery_plan_step(recoveryPlanArn=arn, stepName=f"step {n}", configuration=configuration)
    return arn


def _steps(drs: Any, execution: str) -> list[tuple[str, str]]:
    """One read of the execution's steps: (name, status) each."""
    answer = drs.list_recovery_plan_execution_steps(recoveryPlanExecutionArn=execution)
    return [(s["stepName"], s["status"]) for s in answer["recoveryPlanExecutionSteps"]]


def _status(drs: Any, execution: str) -> str:
    return str(
        drs.get_recovery_plan_execution(recoveryPlanExecutionArn=execution)["recoveryPlanExecution"]["status"]
    )


def _run(drs: Any, plan: str, mode: str = "DRILL", **extra: Any) -> str:
    answer = drs.start_recovery_plan_execution(recoveryPlanArn=plan, mode=mode, **extra)
    return str(answer["recoveryPlanExecution"]["recoveryPlanExecutionArn"])


def _until_ended(drs: Any, execution: str, reads: int = 20) -> str:
    for _ in range(reads):
        status = _status(drs, execution)
        if status not in ("CREATED", "IN_PROGRESS", "CANCELLING"):
            return status
    raise AssertionError(f"{execution} still {status} after {reads} reads")


# -- plans and steps ------------------------------------------------------------------------------
def test_a_plan_is_invalid_until_it_has_a_server_step_and_lists_its_steps_in_order(
    drs: Any, emulator: DrsEmulator
) -> None:
    # Given a new plan with a wait step only
    plan = _plan(drs, "orders", {"waitStepConfiguration": {"waitDurationMinutes": 5}})
    assert drs.get_recovery_plan(recoveryPlanArn=plan)["recoveryPlan"]["status"] == "INVALID"
    # When a server step is inserted before it
    drs.create_recovery_plan_step(
        recoveryPlanArn=plan, stepName="db", stepOrder=1, configuration=_servers(_server_arns(emulator, 2))
    )
    # Then the plan is ACTIVE and its steps come db first, then the wait
    assert drs.get_recovery_plan(recoveryPlanArn=plan)["recoveryPlan"]["status"] == "ACTIVE"
    steps = drs.list_recovery_plan_steps(recoveryPlanArn=plan)["recoveryPlanSteps"]
    assert [(s["stepOrder"], s["stepName"]) for s in steps] == [(1, "db"), (2, "step 1")]
    assert steps[1]["configuration"] == {"waitStepConfiguration": {"waitDurationMinutes": 5}}
    [summary] = drs.list_recovery_plans()["recoveryPlans"]
    assert summary["recoveryPlanArn"] == plan and plan.startswith(
        f"arn:aws:drs:{REGION}:{OWN}:recovery-plan/"
    )


def test_the_documented_step_limits_are_refused_with_the_models_errors(
    drs: Any, emulator: DrsEmulator
) -> None:
    plan = _plan(drs)
    too_many = [emulator.estate.servers[OWN][sid].arn for sid in list(emulator.estate.servers[OWN])[:20]] * 6
    # 101 servers in a step, a wait of 121 minutes: ValidationException naming the field
    with pytest.raises(ClientError) as servers:
        drs.create_recovery_plan_step(
            recoveryPlanArn=plan, stepName="big", configuration=_servers(too_many[:101])
        )
    with pytest.raises(ClientError) as wait:
        drs.create_recovery_plan_step(
            recoveryPlanArn=plan,
            stepName="w",
            configuration={"waitStepConfiguration": {"waitDurationMinutes": 121}},
        )
    assert _code(servers) == _code(wait) == "ValidationException"
    assert wait.value.response["reason"] == "fieldValidationFailed"
    assert "waitDurationMinutes" in wait.value.response["fieldList"][0]["name"]
    # 20 steps are fine; a 21st is over the quota
    for n in range(MAX_STEPS):
        drs.create_recovery_plan_step(
            recoveryPlanArn=plan,
            stepName=f"w{n}",
            configuration={"waitStepConfiguration": {"waitDurationMinutes": 1}},
        )
    with pytest.raises(ClientError) as quota:
        drs.create_recovery_plan_step(
            recoveryPlanArn=plan,
            stepName="w21",
            configuration={"waitStepConfiguration": {"waitDurationMinutes": 1}},
        )
    assert _code(quota) == "ServiceQuotaExceededException"
    assert len(drs.list_recovery_plan_steps(recoveryPlanArn=plan)["recoveryPlanSteps"]) == MAX_STEPS


def test_a_server_the_account_does_not_have_is_refused(drs: Any, emulator: DrsEmulator) -> None:
    plan = _plan(drs)
    foreign = emulator.estate.servers[OTHER][sorted(emulator.estate.servers[OTHER])[0]].arn
    invented = f"arn:aws:drs:{REGION}:{OWN}:source-server/s-0123456789abcdef0"
    for arn in (foreign, invented):
        with pytest.raises(ClientError) as error:
            drs.create_recovery_plan_step(recoveryPlanArn=plan, stepName="x", configuration=_servers([arn]))
        assert _code(error) == "ResourceNotFoundException" and arn in error.value.response["Error"]["Message"]
    assert drs.list_recovery_plan_steps(recoveryPlanArn=plan)["recoveryPlanSteps"] == []


def test_another_accounts_plan_is_unknown(drs: Any, emulator: DrsEmulator) -> None:
    plan = _plan(drs, "orders", _servers(_server_arns(emulator, 1)))
    from sandbox.data.drs_calls import DrsError

    with pytest.raises(DrsError) as error:
        emulator.native_plans.get_plan(OTHER, {"recoveryPlanArn": plan})
    assert error.value.code == "ResourceNotFoundException"
    assert emulator.native_plans.list_plans(OTHER, {}) == {"recoveryPlans": []}


def test_steps_are_reordered_only_as_a_whole_and_names_are_unique(drs: Any, emulator: DrsEmulator) -> None:
    plan = _plan(
        drs,
        "orders",
        _servers(_server_arns(emulator, 1)),
        {"waitStepConfiguration": {"waitDurationMinutes": 3}},
    )
    first, second = [
        s["recoveryPlanStepArn"]
        for s in drs.list_recovery_plan_steps(recoveryPlanArn=plan)["recoveryPlanSteps"]
    ]
    with pytest.raises(ClientError) as partial:
        drs.reorder_recovery_plan_steps(recoveryPlanArn=plan, orderedStepArns=[second])
    with pytest.raises(ClientError) as same_name:
        drs.create_recovery_plan_step(
            recoveryPlanArn=plan,
            stepName="step 1",
            configuration={"waitStepConfiguration": {"waitDurationMinutes": 1}},
        )
    reordered = drs.reorder_recovery_plan_steps(recoveryPlanArn=plan, orderedStepArns=[second, first])
    assert (_code(partial), _code(same_name)) == ("ValidationException", "ConflictException")
    assert [s["recoveryPlanStepArn"] for s in reordered["recoveryPlanSteps"]] == [second, first]
    assert drs.get_recovery_plan_step(recoveryPlanStepArn=first)["recoveryPlanStep"]["stepOrder"] == 2


def test_a_steps_type_cannot_change_but_its_servers_can(drs: Any, emulator: DrsEmulator) -> None:
    plan = _plan(drs, "orders", _servers(_server_arns(emulator, 1)))
    [step] = drs.list_recovery_plan_steps(recoveryPlanArn=plan)["recoveryPlanSteps"]
    arn = step["recoveryPlanStepArn"]
    with pytest.raises(ClientError) as error:
        drs.update_recovery_plan_step(
            recoveryPlanStepArn=arn, configuration={"waitStepConfiguration": {"waitDurationMinutes": 1}}
        )
    updated = drs.update_recovery_plan_step(
        recoveryPlanStepArn=arn, stepName="db", configuration=_servers(_server_arns(emulator, 3), "OPTIONAL")
    )
    assert _code(error) == "ValidationException"
    servers = updated["recoveryPlanStep"]["configuration"]["serverStepConfiguration"]["servers"]
    assert len(servers) == 3 and {s["impactLevel"] for s in servers} == {"OPTIONAL"}
    assert drs.delete_recovery_plan_step(recoveryPlanStepArn=arn)["recoveryPlanStepArn"] == arn
    assert drs.get_recovery_plan(recoveryPlanArn=plan)["recoveryPlan"]["status"] == "INVALID"


def test_a_client_token_creates_a_plan_and_starts_an_execution_once(drs: Any, emulator: DrsEmulator) -> None:
    once = drs.create_recovery_plan(name="orders", clientToken="t-1")["recoveryPlan"]["recoveryPlanArn"]
    again = drs.create_recovery_plan(name="orders", clientToken="t-1")["recoveryPlan"]["recoveryPlanArn"]
    drs.create_recovery_plan_step(
        recoveryPlanArn=once, stepName="db", configuration=_servers(_server_arns(emulator, 1))
    )
    first = _run(drs, once, clientToken="s-1")
    second = _run(drs, once, clientToken="s-1")
    assert (once, first) == (again, second)
    assert len(drs.list_recovery_plans()["recoveryPlans"]) == 1
    assert len(drs.list_recovery_plan_executions()["recoveryPlanExecutions"]) == 1


def test_plans_come_in_pages(drs: Any) -> None:
    arns = [_plan(drs, f"plan {n}") for n in range(5)]
    first = drs.list_recovery_plans(maxResults=2)
    rest = drs.list_recovery_plans(maxResults=10, nextToken=first["nextToken"])
    assert [p["recoveryPlanArn"] for p in first["recoveryPlans"] + rest["recoveryPlans"]] == arns
    assert "nextToken" not in rest


# -- executions -----------------------------------------------------------------------------------
def test_a_drill_runs_its_steps_one_after_the_other_against_the_emulated_servers(
    drs: Any, emulator: DrsEmulator
) -> None:
    # Given a plan: 3 servers, a 2-minute wait, 2 more servers
    db, app = _server_arns(emulator, 3), _server_arns(emulator, 5)[3:]
    plan = _plan(
        drs, "orders", _servers(db), {"waitStepConfiguration": {"waitDurationMinutes": 2}}, _servers(app)
    )
    # When a DRILL starts and is read until it ends
    execution = _run(drs, plan, "DRILL")
    seen = [_steps(drs, execution) for _ in range(4)]
    # Then it was CREATED, each step ran in turn, one StartRecovery (isDrill) per server step
    assert seen == [
        [("step 1", "EXECUTING"), ("step 2", "NOT_STARTED"), ("step 3", "NOT_STARTED")],
        [("step 1", "COMPLETED"), ("step 2", "WAITING"), ("step 3", "NOT_STARTED")],
        [("step 1", "COMPLETED"), ("step 2", "COMPLETED"), ("step 3", "EXECUTING")],
        [("step 1", "COMPLETED"), ("step 2", "COMPLETED"), ("step 3", "COMPLETED")],
    ]
    ended = drs.get_recovery_plan_execution(recoveryPlanExecutionArn=execution)["recoveryPlanExecution"]
    assert ended["status"] == "COMPLETED" and "completedAt" in ended and ended["mode"] == "DRILL"
    launched = [[s["sourceServerID"] for s in body["sourceServers"]] for body in emulator.started]
    assert launched == [[a.rsplit("/", 1)[1] for a in db], [a.rsplit("/", 1)[1] for a in app]]
    assert all(body["isDrill"] is True for body in emulator.started)
    # And each server of a step names its job; the instances exist as drills
    [step] = drs.list_recovery_plan_execution_steps(
        recoveryPlanExecutionArn=execution, filter={"status": "COMPLETED"}, maxResults=1
    )["recoveryPlanExecutionSteps"]
    jobs = {s["jobID"] for s in step["configuration"]["executionServerStepConfiguration"]["servers"]}
    assert len(jobs) == 1 and jobs <= {j["jobID"] for j in emulator.state()[OWN]["jobs"]}
    assert {i["isDrill"] for i in emulator.state()[OWN]["recoveryInstances"]} == {True}


def test_the_first_answer_is_created_and_recovery_mode_launches_real_recoveries(
    drs: Any, emulator: DrsEmulator
) -> None:
    plan = _plan(drs, "orders", _servers(_server_arns(emulator, 2)))
    started = drs.start_recovery_plan_execution(recoveryPlanArn=plan, mode="RECOVERY", tags={"why": "test"})
    execution = started["recoveryPlanExecution"]
    assert execution["status"] == "CREATED" and emulator.started == []
    assert _until_ended(drs, execution["recoveryPlanExecutionArn"]) == "COMPLETED"
    assert [body["isDrill"] for body in emulator.started] == [False]
    assert drs.list_tags_for_resource(resourceArn=execution["recoveryPlanExecutionArn"])["tags"] == {
        "why": "test"
    }


def test_optional_servers_that_fail_do_not_fail_the_step_critical_ones_do(
    drs: Any, emulator: DrsEmulator
) -> None:
    failing = _server_arns(emulator, 2, healthy=False)
    healthy = _server_arns(emulator, 1)
    optional = {
        "serverStepConfiguration": {
            "servers": [
                {"serverArn": healthy[0], "impactLevel": "CRITICAL"},
                {"serverArn": failing[0], "impactLevel": "OPTIONAL"},
            ]
        }
    }
    plan = _plan(drs, "orders", optional, _servers([failing[1]]), _servers(_server_arns(emulator, 3)[1:]))
    execution = _run(drs, plan)
    # When it runs
    assert _until_ended(drs, execution) == "FAILED"
    # Then the step with an OPTIONAL failure completed, the CRITICAL one failed, the last never started
    assert _steps(drs, execution) == [
        ("step 1", "COMPLETED"),
        ("step 2", "FAILED"),
        ("step 3", "NOT_STARTED"),
    ]
    answer = drs.get_recovery_plan_execution(recoveryPlanExecutionArn=execution)["recoveryPlanExecution"]
    assert "step 2" in answer["errorDetail"]["message"]
    assert failing[1].rsplit("/", 1)[1] in answer["errorDetail"]["message"]
    assert len(emulator.started) == 2


def _failed_at_step_2(drs: Any, emulator: DrsEmulator) -> tuple[str, str]:
    """An execution FAILED at its second step (a CRITICAL server that fails, and a healthy one)."""
    failing, healthy = _server_arns(emulator, 1, healthy=False), _server_arns(emulator, 2)
    plan = _plan(
        drs, "orders", _servers(healthy[:1]), _servers([failing[0], healthy[1]]), _servers(healthy[:1])
    )
    execution = _run(drs, plan)
    assert _until_ended(drs, execution) == "FAILED"
    steps = drs.list_recovery_plan_execution_steps(recoveryPlanExecutionArn=execution)[
        "recoveryPlanExecutionSteps"
    ]
    return plan, steps[1]["recoveryPlanExecutionStepArn"]


def test_retrying_a_failed_step_relaunches_only_its_servers_that_did_not_launch_and_resumes(
    drs: Any, emulator: DrsEmulator
) -> None:
    _, step = _failed_at_step_2(drs, emulator)
    execution = step.split("/step/")[0]
    emulator.recovered = True  # the failing servers launch from now on
    # When the failed step is retried
    retried = drs.retry_recovery_plan_execution_step(recoveryPlanExecutionStepArn=step)[
        "recoveryPlanExecutionStep"
    ]
    # Then it runs again (attempt 2), one StartRecovery of the failed server only, and the run ends COMPLETED
    assert (retried["status"], retried["attempt"]) == ("EXECUTING", 2)
    assert [s["sourceServerID"] for s in emulator.started[-1]["sourceServers"]] == [
        emulator.estate.failing_server_ids()[0]
    ]
    assert _until_ended(drs, execution) == "COMPLETED"
    assert [status for _, status in _steps(drs, execution)] == ["COMPLETED"] * 3
    # And a completed step cannot be retried
    with pytest.raises(ClientError) as error:
        drs.retry_recovery_plan_execution_step(recoveryPlanExecutionStepArn=step)
    assert _code(error) == "ConflictException"


def test_skipping_a_failed_step_resumes_the_execution_and_skipping_is_all_that_can_be_set(
    drs: Any, emulator: DrsEmulator
) -> None:
    _, step = _failed_at_step_2(drs, emulator)
    execution = step.split("/step/")[0]
    with pytest.raises(ClientError) as other_status:
        drs.update_recovery_plan_execution_step(recoveryPlanExecutionStepArn=step, status="COMPLETED")
    skipped = drs.update_recovery_plan_execution_step(recoveryPlanExecutionStepArn=step, status="SKIPPED")
    assert _code(other_status) == "ValidationException"
    assert skipped["recoveryPlanExecutionStep"]["status"] == "SKIPPED"
    assert _until_ended(drs, execution) == "COMPLETED"
    assert [status for _, status in _steps(drs, execution)] == ["COMPLETED", "SKIPPED", "COMPLETED"]


def test_a_step_not_started_can_be_skipped_or_changed_and_a_running_one_cannot(
    drs: Any, emulator: DrsEmulator
) -> None:
    plan = _plan(
        drs,
        "orders",
        _servers(_server_arns(emulator, 1)),
        {"waitStepConfiguration": {"waitDurationMinutes": 9}},
        _servers(_server_arns(emulator, 2)[1:]),
    )
    execution = _run(drs, plan)
    # When one read has launched the first step
    read = drs.list_recovery_plan_execution_steps(recoveryPlanExecutionArn=execution)
    first, wait, last = [s["recoveryPlanExecutionStepArn"] for s in read["recoveryPlanExecutionSteps"]]
    assert read["recoveryPlanExecutionSteps"][0]["status"] == "EXECUTING"
    with pytest.raises(ClientError) as running:
        drs.update_recovery_plan_execution_step(recoveryPlanExecutionStepArn=first, status="SKIPPED")
    changed = drs.update_recovery_plan_execution_step(
        recoveryPlanExecutionStepArn=wait, waitDurationMinutes=1
    )
    drs.update_recovery_plan_execution_step(recoveryPlanExecutionStepArn=last, status="SKIPPED")
    assert _code(running) == "ConflictException"
    assert changed["recoveryPlanExecutionStep"]["configuration"] == {
        "waitStepConfiguration": {"waitDurationMinutes": 1}
    }
    assert _until_ended(drs, execution) == "COMPLETED"
    assert [s for _, s in _steps(drs, execution)] == ["COMPLETED", "COMPLETED", "SKIPPED"]
    assert len(emulator.started) == 1


def test_a_plan_has_one_execution_at_a_time_and_is_not_changed_or_deleted_under_it(
    drs: Any, emulator: DrsEmulator
) -> None:
    plan = _plan(drs, "orders", _servers(_server_arns(emulator, 1)))
    execution = _run(drs, plan)
    refused = []
    for attempt in (
        lambda: _run(drs, plan),
        lambda: drs.delete_recovery_plan(recoveryPlanArn=plan),
        lambda: drs.delete_recovery_plan_execution(recoveryPlanExecutionArn=execution),
        lambda: drs.create_recovery_plan_step(
            recoveryPlanArn=plan,
            stepName="w",
            configuration={"waitStepConfiguration": {"waitDurationMinutes": 1}},
        ),
    ):
        with pytest.raises(ClientError) as error:
            attempt()
        refused.append(_code(error))
    assert refused == ["ConflictException"] * 4
    # Once it ended, all of them are allowed
    assert _until_ended(drs, execution) == "COMPLETED"
    assert _until_ended(drs, _run(drs, plan)) == "COMPLETED"
    assert (
        drs.delete_recovery_plan_execution(recoveryPlanExecutionArn=execution)["recoveryPlanExecutionArn"]
        == execution
    )
    assert drs.delete_recovery_plan(recoveryPlanArn=plan)["recoveryPlanArn"] == plan


def test_an_invalid_plan_cannot_start(drs: Any) -> None:
    plan = _plan(drs, "waits", {"waitStepConfiguration": {"waitDurationMinutes": 1}})
    with pytest.raises(ClientError) as error:
        _run(drs, plan)
    assert _code(error) == "ConflictException" and "INVALID" in error.value.response["Error"]["Message"]


def test_cancelling_during_a_wait_skips_the_rest_at_once(drs: Any, emulator: DrsEmulator) -> None:
    plan = _plan(
        drs,
        "orders",
        _servers(_server_arns(emulator, 1)),
        {"waitStepConfiguration": {"waitDurationMinutes": 60}},
        _servers(_server_arns(emulator, 2)[1:]),
    )
    execution = _run(drs, plan)
    _steps(drs, execution), _steps(drs, execution)  # step 1 launched, then the wait began
    cancelled = drs.cancel_recovery_plan_execution(recoveryPlanExecutionArn=execution)[
        "recoveryPlanExecution"
    ]
    assert cancelled["status"] == "CANCELLED" and "completedAt" in cancelled
    assert [s for _, s in _steps(drs, execution)] == ["COMPLETED", "SKIPPED", "SKIPPED"]
    assert len(emulator.started) == 1
    with pytest.raises(ClientError) as again:
        drs.cancel_recovery_plan_execution(recoveryPlanExecutionArn=execution)
    assert _code(again) == "ConflictException"


def test_cancelling_during_a_launch_waits_for_its_job_then_ends_cancelled(
    drs: Any, emulator: DrsEmulator
) -> None:
    plan = _plan(drs, "orders", _servers(_server_arns(emulator, 1)), _servers(_server_arns(emulator, 2)[1:]))
    execution = _run(drs, plan)
    assert _steps(drs, execution)[0] == ("step 1", "EXECUTING")
    cancelling = drs.cancel_recovery_plan_execution(recoveryPlanExecutionArn=execution)[
        "recoveryPlanExecution"
    ]
    assert cancelling["status"] == "CANCELLING"
    assert _until_ended(drs, execution) == "CANCELLED"
    assert [s for _, s in _steps(drs, execution)] == ["COMPLETED", "SKIPPED"]
    assert len(emulator.started) == 1  # DRS does not stop a launch, and starts no other


def test_a_cancelled_created_execution_launches_nothing(drs: Any, emulator: DrsEmulator) -> None:
    plan = _plan(drs, "orders", _servers(_server_arns(emulator, 1)))
    execution = _run(drs, plan)
    assert (
        drs.cancel_recovery_plan_execution(recoveryPlanExecutionArn=execution)["recoveryPlanExecution"][
            "status"
        ]
        == "CANCELLED"
    )
    assert _steps(drs, execution) == [("step 1", "SKIPPED")] and emulator.started == []


def test_snapshot_pins_reach_start_recovery_and_bad_pins_are_refused(drs: Any, emulator: DrsEmulator) -> None:
    [arn] = _server_arns(emulator, 1)
    server = arn.rsplit("/", 1)[1]
    plan = _plan(drs, "orders", _servers([arn]))
    taken = drs_snapshots.snapshot_times(datetime.now(UTC))[-3]
    pit = drs_snapshots.snapshot_id(server, taken)
    other = emulator.estate.healthy_server_ids(OWN)[5]
    refusals = []
    for pins in (
        [{"sourceServerID": other, "recoverySnapshotID": pit}],  # not in the plan
        [{"sourceServerID": server, "recoverySnapshotID": "pit-0123456789abcdef0"}],  # no such snapshot
        [{"sourceServerID": server, "recoverySnapshotID": pit}] * 201,  # over the 200 pins
    ):
        with pytest.raises(ClientError) as error:
            _run(drs, plan, sourceServers=pins)
        refusals.append(_code(error))
    assert refusals == ["ValidationException", "ResourceNotFoundException", "ValidationException"]
    execution = _run(drs, plan, sourceServers=[{"sourceServerID": server, "recoverySnapshotID": pit}])
    assert _until_ended(drs, execution) == "COMPLETED"
    assert emulator.started == [
        {"sourceServers": [{"sourceServerID": server, "recoverySnapshotID": pit}], "isDrill": True}
    ]


def test_a_refused_launch_fails_the_step_with_drs_s_error(drs: Any, emulator: DrsEmulator) -> None:
    plan = _plan(drs, "orders", _servers(_server_arns(emulator, 3)))
    emulator.quotas = DrsQuotas(servers_per_job=2)  # a job of 3 servers is over the quota
    execution = _run(drs, plan)
    assert _until_ended(drs, execution) == "FAILED"
    [step] = drs.list_recovery_plan_execution_steps(recoveryPlanExecutionArn=execution)[
        "recoveryPlanExecutionSteps"
    ]
    assert step["errorDetail"]["code"] == "ServiceQuotaExceededException"


def test_recovery_plans_are_tagged_listed_and_untagged_by_arn(drs: Any) -> None:
    plan = drs.create_recovery_plan(name="orders", tags={"team": "dr"})["recoveryPlan"]["recoveryPlanArn"]
    drs.tag_resource(resourceArn=plan, tags={"drs-chatops:planId": "p-1"})
    assert drs.list_tags_for_resource(resourceArn=plan)["tags"] == {"team": "dr", "drs-chatops:planId": "p-1"}
    drs.untag_resource(resourceArn=plan, tagKeys=["team"])
    assert drs.get_recovery_plan(recoveryPlanArn=plan)["recoveryPlan"]["tags"] == {
        "drs-chatops:planId": "p-1"
    }
    with pytest.raises(ClientError) as error:
        drs.list_tags_for_resource(
            resourceArn=f"arn:aws:drs:{REGION}:{OWN}:recovery-plan/rp-0123456789abcdef0"
        )
    assert _code(error) == "ResourceNotFoundException"


def test_a_wait_minute_lasts_a_second_of_the_sandbox_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the sandbox's emulator (jobs and waits by the clock) and a plan clock we move by hand
    monkeypatch.setenv("MOTO_ACCOUNT_ID", OWN)
    emulator = DrsEmulator(Estate.demo())
    now = [1_000.0]
    emulator.native_plans.clock = lambda: now[0]
    plans = emulator.native_plans
    [server] = [emulator.estate.servers[OWN][sid].arn for sid in emulator.estate.healthy_server_ids(OWN)[:1]]
    plan = plans.create_plan(OWN, {"name": "clock"})["recoveryPlan"]["recoveryPlanArn"]
    plans.create_step(
        OWN,
        {
            "recoveryPlanArn": plan,
            "stepName": "w",
            "configuration": {"waitStepConfiguration": {"waitDurationMinutes": 3}},
        },
    )
    plans.create_step(OWN, {"recoveryPlanArn": plan, "stepName": "s", "configuration": _servers([server])})
    execution = plans.start_execution(OWN, {"recoveryPlanArn": plan, "mode": "DRILL"})[
        "recoveryPlanExecution"
    ]["recoveryPlanExecutionArn"]

    def wait_status() -> str:
        return str(
            plans.list_execution_steps(OWN, {"recoveryPlanExecutionArn": execution})[
                "recoveryPlanExecutionSteps"
            ][0]["status"]
        )

    # When the clock passes just under, then at, 3 scaled minutes
    assert wait_status() == "WAITING"
    now[0] += 3 * WAIT_MINUTE_SECONDS - 0.01
    assert wait_status() == "WAITING"
    now[0] += 0.01
    # Then the wait is over and the server step launches
    assert wait_status() == "COMPLETED" and len(emulator.started) == 1


def test_drs_state_shows_native_plans_and_their_executions(drs: Any, emulator: DrsEmulator) -> None:
    plan = _plan(drs, "orders", _servers(_server_arns(emulator, 1)))
    execution = _run(drs, plan)
    state = emulator.state()[OWN]
    assert [p["recoveryPlanArn"] for p in state["recoveryPlans"]] == [plan]
    assert state["recoveryPlans"][0]["steps"][0]["stepName"] == "step 1"
    [shown] = state["recoveryPlanExecutions"]
    assert shown["recoveryPlanExecutionArn"] == execution and shown["steps"][0]["status"] == "EXECUTING"
    assert emulator.state()[OTHER]["recoveryPlans"] == []
