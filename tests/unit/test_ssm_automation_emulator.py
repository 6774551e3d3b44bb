"""The sandbox's SSM Automation (sandbox/emulators/ssm_automation.py) and the recovery instances' EC2 status
(sandbox/emulators/ec2_status.py) answer only what botocore's ``ssm`` and ``ec2`` models accept, on every
status path, per account. (``ParamValidator`` checks shapes, not enum values: the statuses are
checked against the model's enums here.) The routing through moto is
``tests/integration/test_sandbox_hook_surfaces.py``; the hook function's answers are at the end."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from sandbox.data.drs_data import ACCOUNTS, Estate
from sandbox.emulators import ssm_automation
from sandbox.emulators.drs import DrsEmulator
from sandbox.emulators.ec2_status import Ec2Status, RecoveryInstance
from sandbox.emulators.ssm_automation import (
    FAILED_STEP,
    FAILING_DOCUMENT,
    SUCCEEDING_DOCUMENT,
    SsmAutomation,
    SsmError,
)
from sandbox.runtime import hook_function
from tests.support.aws_model import assert_valid_output, model, valid_input
from tests.support.drs_model import OwnKeysRequest

OWN, OTHER = ACCOUNTS
STATUSES = set(model("ssm").shape_for("AutomationExecutionStatus").enum)
START = {"DocumentName": SUCCEEDING_DOCUMENT, "Parameters": {"InstanceIds": ["i-0aaa", "i-0bbb"]}}


def _start(ssm: SsmAutomation, body: dict[str, Any], account: str = OWN) -> str:
    assert valid_input("ssm", "StartAutomationExecution", body)
    answer = ssm.start(account, body)
    assert_valid_output("ssm", "StartAutomationExecution", answer)
    return str(answer["AutomationExecutionId"])


def _read(ssm: SsmAutomation, execution_id: str, account: str = OWN) -> dict[str, Any]:
    answer = ssm.get(account, {"AutomationExecutionId": execution_id})
    assert_valid_output("ssm", "GetAutomationExecution", answer)
    execution = answer["AutomationExecution"]
    assert execution["AutomationExecutionStatus"] in STATUSES
    assert {s["StepStatus"] for s in execution["StepExecutions"]} <= STATUSES
    return dict(execution)


def test_the_check_document_reads_pending_then_in_progress_then_success() -> None:
    # Given an execution of the sandbox's check that ends on its third read
    ssm = SsmAutomation(complete_after_polls=3)
    execution_id = _start(ssm, START)

    # When it is read three times
    reads = [_read(ssm, execution_id) for _ in range(3)]

    # Then it went Pending, InProgress, Success, with its one step, and kept the parameters given
    assert [r["AutomationExecutionStatus"] for r in reads] == ["Pending", "InProgress", "Success"]
    assert [(s["StepName"], s["StepStatus"]) for s in reads[-1]["StepExecutions"]] == [
        ("checkInstances", "Success")
    ]
    assert reads[-1]["Parameters"] == {"InstanceIds": ["i-0aaa", "i-0bbb"]}
    assert "ExecutionEndTime" in reads[-1] and "ExecutionEndTime" not in reads[1]
    assert ssm.started[0].parameters == {"InstanceIds": ["i-0aaa", "i-0bbb"]}


def test_the_failing_document_fails_naming_its_failed_step() -> None:
    ssm = SsmAutomation(complete_after_polls=2)
    execution_id = _start(ssm, {**START, "DocumentName": FAILING_DOCUMENT})

    first, last = _read(ssm, execution_id), _read(ssm, execution_id)

    assert first["AutomationExecutionStatus"] == "Pending"
    assert last["AutomationExecutionStatus"] == "Failed"
    assert FAILED_STEP in last["FailureMessage"]
    [failed] = [s for s in last["StepExecutions"] if s["StepStatus"] == "Failed"]
    assert failed["StepName"] == FAILED_STEP and failed["FailureMessage"]


def test_an_execution_follows_the_clock_in_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the clock at 1000 s when a failing check starts
    now = [1000.0]
    monkeypatch.setattr(ssm_automation, "time", SimpleNamespace(time=lambda: now[0]))
    ssm = SsmAutomation()
    execution_id = _start(ssm, {"DocumentName": FAILING_DOCUMENT})

    # When it is read as time passes
    seen = []
    for at in (1000.2, 1002.5, 1000 + ssm_automation.FINISHED_AFTER_SECONDS + 0.1):
        now[0] = at
        seen.append(_read(ssm, execution_id))

    # Then it went Pending, InProgress (in its failing step), Failed a few seconds after its start
    assert [s["AutomationExecutionStatus"] for s in seen] == ["Pending", "InProgress", "Failed"]
    assert seen[1]["CurrentStepName"] == FAILED_STEP


def test_an_aws_owned_document_runs_as_a_check_that_succeeds_with_any_parameters() -> None:
    ssm = SsmAutomation(complete_after_polls=1)
    body = {"DocumentName": "AWS-RestartEC2Instance", "Parameters": {"InstanceId": ["i-0aaa"]}}

    execution = _read(ssm, _start(ssm, body))

    assert execution["AutomationExecutionStatus"] == "Success"
    assert execution["Parameters"] == {"InstanceId": ["i-0aaa"]}


def test_a_stopped_execution_is_cancelled_and_cannot_be_stopped_again() -> None:
    ssm = SsmAutomation(complete_after_polls=5)
    execution_id = _start(ssm, START)
    _read(ssm, execution_id)

    answer = ssm.stop(OWN, {"AutomationExecutionId": execution_id, "Type": "Cancel"})

    assert_valid_output("ssm", "StopAutomationExecution", answer)
    execution = _read(ssm, execution_id)
    assert execution["AutomationExecutionStatus"] == "Cancelled"
    assert [s["StepStatus"] for s in execution["StepExecutions"]] == ["Cancelled"]
    with pytest.raises(SsmError) as refused:
        ssm.stop(OWN, {"AutomationExecutionId": execution_id})
    assert refused.value.code == "InvalidAutomationStatusUpdateException"


def test_a_finished_execution_cannot_be_stopped() -> None:
    ssm = SsmAutomation(complete_after_polls=1)
    execution_id = _start(ssm, START)
    _read(ssm, execution_id)

    with pytest.raises(SsmError) as refused:
        ssm.stop(OWN, {"AutomationExecutionId": execution_id})

    assert refused.value.code == "InvalidAutomationStatusUpdateException"
    assert _read(ssm, execution_id)["AutomationExecutionStatus"] == "Success"


def test_an_unknown_document_is_refused_as_ssm_refuses_it() -> None:
    ssm = SsmAutomation(accounts=frozenset({OWN}))

    with pytest.raises(SsmError) as start:
        ssm.start(OWN, {"DocumentName": "drs-chatops-no-such-check"})
    with pytest.raises(SsmError) as describe:
        ssm.describe_document(OWN, {"Name": "drs-chatops-no-such-check"})
    with pytest.raises(SsmError) as elsewhere:  # the sandbox's documents exist in its accounts only
        ssm.describe_document("999999999999", {"Name": SUCCEEDING_DOCUMENT})

    assert start.value.code == "AutomationDefinitionNotFoundException"
    assert describe.value.code == elsewhere.value.code == "InvalidDocument"
    assert ssm.started == []


@pytest.mark.parametrize("name", [SUCCEEDING_DOCUMENT, FAILING_DOCUMENT, "AWS-RestartEC2Instance"])
def test_the_emulated_documents_are_described_in_the_ssm_model_shape(name: str) -> None:
    ssm = SsmAutomation(accounts=frozenset(ACCOUNTS))

    described = ssm.describe_document(OTHER, {"Name": name})
    got = ssm.get_document(OTHER, {"Name": name, "DocumentVersion": "$LATEST"})

    assert_valid_output("ssm", "DescribeDocument", described)
    assert_valid_output("ssm", "GetDocument", got)
    assert described["Document"]["DocumentType"] == got["DocumentType"] == "Automation"
    assert described["Document"]["Owner"] == ("Amazon" if name.startswith("AWS-") else OTHER)
    assert json.loads(got["Content"])["schemaVersion"] == "0.3"


def test_an_execution_of_one_account_is_unknown_in_another() -> None:
    ssm = SsmAutomation(accounts=frozenset(ACCOUNTS), complete_after_polls=1)
    execution_id = _start(ssm, START, account=OWN)

    with pytest.raises(SsmError) as read:
        ssm.get(OTHER, {"AutomationExecutionId": execution_id})
    with pytest.raises(SsmError) as stop:
        ssm.stop(OTHER, {"AutomationExecutionId": execution_id})

    assert read.value.code == stop.value.code == "AutomationExecutionNotFoundException"
    assert _read(ssm, execution_id, account=OWN)["AutomationExecutionStatus"] == "Success"


@pytest.mark.parametrize(
    ("parameters", "named"),
    [({"Targets": ["i-0aaa"]}, "Targets"), ({"InstanceIds": ["{{ instanceIds }}"]}, "{{instanceIds}}")],
)
def test_a_parameter_the_document_lacks_or_an_unexpanded_token_is_refused(
    parameters: dict[str, list[str]], named: str
) -> None:
    ssm = SsmAutomation()

    with pytest.raises(SsmError) as refused:
        ssm.start(OWN, {"DocumentName": SUCCEEDING_DOCUMENT, "Parameters": parameters})

    assert refused.value.code == "InvalidAutomationExecutionParametersException"
    assert named in refused.value.message
    assert ssm.started == []


def test_a_client_token_starts_one_execution() -> None:
    ssm = SsmAutomation()
    body = {**START, "ClientToken": "9b4c1a52-6f1e-4c4f-9d0e-1b2c3d4e5f60"}  # SSM: 36 characters

    first, again = _start(ssm, body), _start(ssm, body)

    assert first == again and len(ssm.started) == 1
    with pytest.raises(SsmError) as mismatch:
        ssm.start(OWN, {**body, "DocumentName": FAILING_DOCUMENT})
    assert mismatch.value.code == "IdempotentParameterMismatch"


# -- EC2 status of the recovery instances ------------------------------------------------------------
def _statuses(
    ec2: Ec2Status, instances: list[RecoveryInstance], include_all: bool = False
) -> list[dict[str, Any]]:
    statuses = ec2.statuses(instances, include_all, {})
    assert_valid_output("ec2", "DescribeInstanceStatus", {"InstanceStatuses": statuses})
    summary = set(model("ec2").shape_for("SummaryStatus").enum)
    assert {s["InstanceStatus"]["Status"] for s in statuses} | {
        s["SystemStatus"]["Status"] for s in statuses
    } <= summary
    return statuses


def test_a_recovery_instance_reads_initializing_then_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a recovery instance the DRS emulator launched (its job read once, so it completed)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", OWN)
    drs = DrsEmulator(Estate.demo(), complete_after_polls=1)
    respond = drs.responder()
    server = sorted(s for s in drs.estate.servers[OWN] if s not in drs.estate.failing_server_ids())[0]
    respond("StartRecovery", OwnKeysRequest({"sourceServers": [{"sourceServerID": server}]}))
    respond("DescribeJobs", OwnKeysRequest({}))
    [listed] = json.loads(respond("DescribeRecoveryInstances", OwnKeysRequest({}))[2])["items"]
    ec2 = Ec2Status(drs.state, ok_after_polls=2)

    # When its EC2 status is read twice
    known = ec2.recovery_instances(OWN)
    first, second = _statuses(ec2, list(known.values())), _statuses(ec2, list(known.values()))

    # Then its EC2 instance id is the one DRS reports, and its checks initialize, then pass
    assert list(known) == [listed["ec2InstanceID"]]
    assert [(s["InstanceStatus"]["Status"], s["SystemStatus"]["Status"]) for s in first] == [
        ("initializing", "initializing")
    ]
    assert [(s["InstanceStatus"]["Status"], s["SystemStatus"]["Status"]) for s in second] == [("ok", "ok")]
    assert ec2.recovery_instances(OTHER) == {}


def test_a_recovery_instance_shutting_down_is_listed_only_with_include_all() -> None:
    ec2 = Ec2Status(dict, ok_after_polls=1)
    ending = [RecoveryInstance("i-0ending", "SHUTTING-DOWN", 0.0)]

    assert _statuses(ec2, ending) == []
    [listed] = _statuses(ec2, ending, include_all=True)
    assert listed["InstanceState"]["Name"] == "shutting-down"
    assert listed["InstanceStatus"]["Status"] == "not-applicable"


# -- the hook function -------------------------------------------------------------------------------
EVENT = {
    "execution": {"executionId": "e-1", "planName": "p", "waveNumber": 2, "phase": "after"},
    "servers": [{"sourceServerId": "s-1", "ec2InstanceId": "i-0aaa"}],
}


@pytest.mark.parametrize(("payload", "status"), [({}, "PASSED"), ({"fail": True, "note": "x"}, "FAILED")])
def test_the_hook_function_passes_or_fails_as_its_payload_asks(payload: dict[str, Any], status: str) -> None:
    answer = hook_function.lambda_handler({**EVENT, "payload": payload}, None)

    assert answer["status"] == status
    assert "wave 2 (after) of e-1: 1 servers (i-0aaa)" in answer["message"]


def test_the_hook_function_raises_sleeps_or_answers_garbage_as_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(hook_function, "time", SimpleNamespace(sleep=slept.append))

    with pytest.raises(hook_function.SimulatedHookError):
        hook_function.lambda_handler({**EVENT, "payload": {"raise": True}}, None)
    garbage = hook_function.lambda_handler({**EVENT, "payload": {"garbage": True}}, None)
    passed = hook_function.lambda_handler({**EVENT, "payload": {"sleepSeconds": 3}}, None)

    assert not isinstance(garbage, dict)
    assert passed["status"] == "PASSED" and slept == [3]
