"""Executions call DRS only in the group's account (issue 9), and a half-started wave stays tracked.

End to end in process (tests/support/orchestration.py): the real ASL on moto, the orchestrator, and
the sandbox's DRS emulator, which knows servers per account and which account each call acted in."""

from __future__ import annotations

import pytest

from handlers.models.protection_group import ProtectionGroup
from handlers.repositories.protection_groups import ProtectionGroupRepository
from sandbox.emulators.drs import Call, DrsError
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.support.data import group_body, plan_body, server_id
from tests.support.events import call_api
from tests.support.orchestration import wait_until
from tests.support.quotas import set_drs_quotas

TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT"}
DEFAULT_ROLE = "drs-chatops-drs-access"


@pytest.fixture
def deployed_in_account_a(monkeypatch):
    """The deployment's own account is A (as in the sandbox): moto answers as A for its credentials."""
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT_A)


def _drill(group_ids: list[str], account: str, **start: object) -> str:
    status, plan = call_api("POST", "/recovery-plans", plan_body(group_ids), account=account)
    assert status == 201, plan
    body = {"planId": plan["planId"], **start}
    status, execution = call_api("POST", "/executions", body, account=account)
    assert status == 201, execution
    return str(execution["executionId"])


def _finished(execution_id: str, account: str) -> dict:
    def probe():
        current = call_api("GET", f"/executions/{execution_id}", account=account)[1]
        return current if current["status"] in TERMINAL else None

    found = wait_until(probe, 40)
    assert found, "the execution never finished"
    return found


def test_a_drill_of_bs_group_calls_drs_only_in_b_through_bs_role(orchestration):
    # Given account B's group without a role name
    status, group = call_api("POST", "/protection-groups", group_body("B tier"), account=ACCOUNT_B)
    assert status == 201
    # When B drills it
    finished = _finished(_drill([group["groupId"]], ACCOUNT_B), ACCOUNT_B)
    # Then it succeeded, and every DRS call acted in B through the default role of B
    assert finished["status"] == "SUCCEEDED"
    calls = orchestration.drs.calls
    assert {c.operation for c in calls} >= {"DescribeSourceServers", "StartRecovery", "DescribeJobs"}
    assert {(c.account, c.role_arn) for c in calls} == {
        (ACCOUNT_B, f"arn:aws:iam::{ACCOUNT_B}:role/{DEFAULT_ROLE}")
    }


def test_bs_legacy_group_naming_the_deployments_servers_launches_nothing_there(
    deployed_in_account_a, orchestration
):
    # Given the deployment runs in account A, and a group of account B (written before groups were
    # checked) that names servers of A
    a_servers = sorted(orchestration.drs.estate.servers[ACCOUNT_A])[:2]
    body = group_body("Stolen", sourceServerIds=a_servers)
    group = ProtectionGroup(
        groupId="legacy-b-group",
        groupName=body["groupName"],
        accountId=ACCOUNT_B,
        region="us-east-1",
        sourceServerIds=a_servers,
        createdAt="2025-01-01T00:00:00Z",
        updatedAt="2025-01-01T00:00:00Z",
        createdBy="legacy",
    )
    ProtectionGroupRepository().insert(group)
    # When B drills it (forced past readiness, which finds no such servers in B)
    finished = _finished(_drill([group.groupId], ACCOUNT_B, force=True), ACCOUNT_B)
    # Then the drill failed in B, and DRS was never called in A or with the deployment's credentials
    assert finished["status"] == "FAILED"
    assert all(c.account == ACCOUNT_B and c.role_arn for c in orchestration.drs.calls)
    assert orchestration.drs.state().get(ACCOUNT_A, {}).get("jobs", []) == []


def _fail_the_second_start_recovery(call: Call, body: dict) -> None:
    if call.operation == "StartRecovery" and len(body["sourceServers"]) < 200:
        raise DrsError(400, "ValidationException", "simulated: the second call fails")


def test_a_failed_second_start_recovery_keeps_the_first_calls_jobs_on_the_wave(orchestration):
    # Given a group of 201 servers (two StartRecovery calls), the second of which will fail
    servers = [server_id() for _ in range(201)]
    status, group = call_api("POST", "/protection-groups", group_body("Big", sourceServerIds=servers))
    assert status == 201
    set_drs_quotas(orchestration.aws, 200, 20, 500)  # the account's DRS takes 200 per job
    orchestration.drs.before = _fail_the_second_start_recovery
    # When it is drilled
    finished = _finished(_drill([group["groupId"]], ACCOUNT_A), ACCOUNT_A)
    # Then the execution failed, and its wave still names the job that did start and its servers
    assert finished["status"] == "FAILED"
    [wave] = finished["waves"]
    [first_job] = wave["jobIds"]
    assert first_job.startswith("drsjob-") and wave["status"] == "FAILED"
    launching = [s["sourceServerId"] for s in wave["servers"] if s["launchStatus"] == "PENDING"]
    assert launching == servers[:200]
    assert "200 of 201" in wave["message"] and first_job in wave["message"]
    assert [len(c["sourceServers"]) for c in orchestration.drs.started] == [200]
