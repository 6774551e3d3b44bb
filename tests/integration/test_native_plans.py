"""DRS native recovery plans both ways (docs/native-plans.md): list, import as
groups and a plan (all or nothing), export as the break-glass copy; on moto and the DRS emulator."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.data.drs_calls import DrsError
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.support.data import group_body, plan_body, server_id
from tests.support.events import call_api, invoke_direct

REGION = "us-east-1"


def _arn(account: str, sid: str) -> str:
    return f"arn:aws:drs:{REGION}:{account}:source-server/{sid}"


def native_plan(aws: Any, name: str, steps: list[Any], account: str = ACCOUNT_A) -> str:
    """A native plan made in the emulator as someone would in the console: ``steps`` are lists of
    (server id, impact) for a server step, or an int of minutes for a wait step."""
    plans = aws.drs.native_plans
    arn = str(plans.create_plan(account, {"name": name})["recoveryPlan"]["recoveryPlanArn"])
    for n, step in enumerate(steps, 1):
        if isinstance(step, int):
            configuration: dict[str, Any] = {"waitStepConfiguration": {"waitDurationMinutes": step}}
        else:
            servers = [{"serverArn": _arn(account, sid), "impactLevel": impact} for sid, impact in step]
            configuration = {"serverStepConfiguration": {"servers": servers}}
        plans.create_step(
            account, {"recoveryPlanArn": arn, "stepName": f"step {n}", "configuration": configuration}
        )
    return arn


def native_steps(aws: Any, arn: str, account: str = ACCOUNT_A) -> list[Any]:
    """A native plan's steps in the form :func:`native_plan` takes (server ids and impacts, or minutes)."""
    answer = aws.drs.native_plans.list_steps(account, {"recoveryPlanArn": arn})
    shown: list[Any] = []
    for step in sorted(answer["recoveryPlanSteps"], key=lambda s: s["stepOrder"]):
        configuration = step["configuration"]
        if "waitStepConfiguration" in configuration:
            shown.append(configuration["waitStepConfiguration"]["waitDurationMinutes"])
        else:
            servers = configuration["serverStepConfiguration"]["servers"]
            shown.append([(s["serverArn"].rsplit("/", 1)[1], s["impactLevel"]) for s in servers])
    return shown


def native_names(aws: Any, account: str = ACCOUNT_A) -> list[str]:
    return [p["name"] for p in aws.drs.native_plans.list_plans(account, {})["recoveryPlans"]]


def _servers(first: int, count: int) -> list[str]:
    return [server_id(first + n) for n in range(count)]


@pytest.fixture
def three_steps(aws: Any) -> tuple[str, list[Any]]:
    a, b, c = _servers(9_000, 3), _servers(9_100, 2), _servers(9_200, 1)
    steps: list[Any] = [
        [(a[0], "CRITICAL"), (a[1], "CRITICAL"), (a[2], "OPTIONAL")],
        15,
        [(b[0], "CRITICAL"), (b[1], "OPTIONAL")],
        5,
        10,
        [(c[0], "CRITICAL")],
    ]
    return native_plan(aws, "Payments", steps), steps


def test_list_shows_the_accounts_native_plans_and_their_steps(aws, three_steps):
    arn, _ = three_steps
    native_plan(aws, "Other account plan", [[(server_id(9_300), "CRITICAL")]], account=ACCOUNT_B)
    status, body = call_api("GET", "/native-recovery-plans")
    assert status == 200
    [plan] = body["items"]
    assert plan["arn"] == arn and plan["name"] == "Payments"
    assert [s["type"] for s in plan["steps"]] == ["server", "wait", "server", "wait", "wait", "server"]
    assert plan["steps"][0]["servers"][2] == {"sourceServerId": server_id(9_002), "impactLevel": "OPTIONAL"}
    assert plan["steps"][1]["waitMinutes"] == 15


def test_import_makes_a_group_per_server_step_and_a_wave_each_with_the_waits(aws, three_steps):
    arn, _ = three_steps
    status, body = call_api("POST", "/recovery-plans/import-native", {"recoveryPlanArn": arn})
    assert status == 201, body
    plan, groups = body["recoveryPlan"], body["protectionGroups"]
    assert plan["planName"] == "Payments" and plan["importedFrom"]["arn"] == arn
    assert [w["waitBeforeMinutes"] for w in plan["waves"]] == [0, 15, 15]
    assert [w["protectionGroupId"] for w in plan["waves"]] == [g["groupId"] for g in groups]
    assert groups[0]["sourceServerIds"] == _servers(9_000, 3)
    assert groups[0]["optionalSourceServerIds"] == [server_id(9_002)]
    assert groups[1]["optionalSourceServerIds"] == [server_id(9_101)]
    # the plan and its groups are stored like any others
    assert call_api("GET", f"/recovery-plans/{plan['planId']}")[1]["waves"] == plan["waves"]
    status, stored = call_api("GET", f"/protection-groups/{groups[2]['groupId']}")
    assert status == 200 and stored["sourceServerIds"] == [server_id(9_200)]


def test_importing_the_same_native_plan_twice_is_a_conflict_naming_the_plan_made_before(aws, three_steps):
    arn, _ = three_steps
    _, first = call_api("POST", "/recovery-plans/import-native", {"recoveryPlanArn": arn})
    status, error = call_api("POST", "/recovery-plans/import-native", {"recoveryPlanArn": arn})
    assert status == 409
    assert first["recoveryPlan"]["planId"] in error["message"] and "Payments" in error["message"]


def test_import_is_all_or_nothing_and_lists_every_problem(aws):
    # Given a native plan with a server another group holds, a server DRS does not know, and one twice
    _, holder = call_api(
        "POST", "/protection-groups", {"groupName": "Holder", "sourceServerIds": [server_id(9_500)]}
    )
    from tests.support.drs import add_tagged_servers

    [unknown] = add_tagged_servers(aws.drs, ACCOUNT_A, 1, {"App": "soon-gone"})
    arn = native_plan(
        aws,
        "Broken",
        [
            [(server_id(9_500), "CRITICAL"), (server_id(9_501), "CRITICAL")],
            [(unknown, "CRITICAL"), (server_id(9_501), "OPTIONAL")],
        ],
    )
    del aws.drs.estate.servers[ACCOUNT_A][unknown]  # gone from DRS since the native plan was made
    groups_before = call_api("GET", "/protection-groups")[1]["items"]
    # When it is imported
    status, error = call_api("POST", "/recovery-plans/import-native", {"recoveryPlanArn": arn})
    # Then a 409 names every problem, and nothing was created
    assert status == 409
    message = error["message"]
    assert "nothing was created" in message
    assert f"{server_id(9_500)} already belongs to protection group Holder" in message
    assert unknown in message and f"{server_id(9_501)} is in steps step 1 and step 2" in message
    assert call_api("GET", "/protection-groups")[1]["items"] == groups_before
    assert call_api("GET", "/recovery-plans")[1]["items"] == []
    # and the servers it could have claimed are free: a group may take them
    status, _ = call_api(
        "POST", "/protection-groups", {"groupName": "Free", "sourceServerIds": [server_id(9_501)]}
    )
    assert status == 201 and holder["groupId"]


def test_a_failed_write_midway_removes_what_the_import_wrote(aws, monkeypatch):
    arn = native_plan(aws, "Midway", [[(server_id(9_600), "CRITICAL")], [(server_id(9_601), "CRITICAL")]])
    from handlers.core.errors import ConflictError
    from handlers.plans import protection_groups

    real = protection_groups.insert_group
    calls = []

    def second_fails(group: Any) -> Any:
        calls.append(group.groupId)
        if len(calls) == 2:
            raise ConflictError(f"source server {server_id(9_601)} already belongs to protection group Racer")
        return real(group)

    monkeypatch.setattr(protection_groups, "insert_group", second_fails)
    status, error = call_api("POST", "/recovery-plans/import-native", {"recoveryPlanArn": arn})
    assert status == 409 and "nothing was created" in error["message"]
    assert call_api("GET", "/protection-groups")[1]["items"] == []
    assert call_api("GET", "/recovery-plans")[1]["items"] == []
    monkeypatch.setattr(protection_groups, "insert_group", real)
    assert call_api("POST", "/recovery-plans/import-native", {"recoveryPlanArn": arn})[0] == 201


@pytest.mark.parametrize(
    ("arn", "status", "says"),
    [
        ("not-an-arn", 400, "is not a DRS native recovery plan ARN"),
        (
            f"arn:aws:drs:{REGION}:{ACCOUNT_A}:source-server/s-00000000000000001",
            400,
            "not a DRS native recovery plan",
        ),
        (f"arn:aws:drs:eu-west-1:{ACCOUNT_A}:recovery-plan/rp-1", 400, "region eu-west-1"),
        (f"arn:aws:drs:{REGION}:{ACCOUNT_A}:recovery-plan/rp-gone", 404, "not found in account 111111111111"),
    ],
)
def test_an_arn_that_is_not_an_importable_native_plan_says_which(aws, arn, status, says):
    got, error = call_api("POST", "/recovery-plans/import-native", {"recoveryPlanArn": arn})
    assert got == status and says in error["message"], error


def test_another_accounts_native_plan_is_refused_naming_the_account_and_not_read(aws):
    arn = native_plan(aws, "Theirs", [[(server_id(9_700), "CRITICAL")]], account=ACCOUNT_B)
    before = len(aws.drs.calls)
    status, error = call_api("POST", "/recovery-plans/import-native", {"recoveryPlanArn": arn})
    assert status == 400 and f"account {ACCOUNT_B}" in error["message"]
    assert len(aws.drs.calls) == before  # nothing asked of DRS, in either account


def test_a_wait_longer_than_a_wave_may_wait_is_refused_naming_the_limit(aws):
    arn = native_plan(
        aws, "Long wait", [[(server_id(9_800), "CRITICAL")], 100, 30, [(server_id(9_801), "CRITICAL")]]
    )
    status, error = call_api("POST", "/recovery-plans/import-native", {"recoveryPlanArn": arn})
    assert status == 400 and "130 minutes" in error["message"] and "at most 120" in error["message"]


def test_bad_input_names_the_field(aws):
    status, error = call_api("POST", "/recovery-plans/import-native", {"recoveryPlanArn": "", "extra": 1})
    assert status == 400 and "recoveryPlanArn" in error["message"] and "extra" in error["message"]


def test_direct_invocation_imports_and_exports(aws, three_steps):
    arn, _ = three_steps
    imported = invoke_direct("import_native_recovery_plan", {"accountId": ACCOUNT_A, "recoveryPlanArn": arn})
    assert imported["recoveryPlan"]["createdBy"] == "runbook@example.com"
    plan_id = imported["recoveryPlan"]["planId"]
    exported = invoke_direct("export_native_recovery_plan", {"accountId": ACCOUNT_A, "planId": plan_id})
    assert exported["recoveryPlanArn"].startswith(f"arn:aws:drs:{REGION}:{ACCOUNT_A}:recovery-plan/")
    listed = invoke_direct("list_native_recovery_plans", {"accountId": ACCOUNT_A})
    assert {p["name"] for p in listed["items"]} == {"Payments", "drs-chatops Payments"}


# -- export ----------------------------------------------------------------------------------------


def test_round_trip_import_then_export_gives_the_same_steps_and_impacts(aws, three_steps):
    arn, steps = three_steps
    _, imported = call_api("POST", "/recovery-plans/import-native", {"recoveryPlanArn": arn})
    plan_id = imported["recoveryPlan"]["planId"]
    status, exported = call_api("POST", f"/recovery-plans/{plan_id}/export-native", {})
    assert status == 200, exported
    # the two waits before the last step come back as one wait of their sum
    assert native_steps(aws, exported["recoveryPlanArn"]) == [steps[0], 15, steps[2], 15, steps[5]]
    tags = aws.drs.native_plans.get_plan(ACCOUNT_A, {"recoveryPlanArn": exported["recoveryPlanArn"]})
    assert tags["recoveryPlan"]["tags"] == {"drs-chatops:planId": plan_id}
    assert any("fails" in n or "pauses" in n for n in exported["notExported"])


def test_export_says_what_a_native_plan_cannot_express(aws):
    _, ids = call_api("POST", "/protection-groups", group_body("Db"))
    _, tagged = call_api(
        "POST", "/protection-groups", {"groupName": "Web", "serverSelectionTags": {"App": "none-yet"}}
    )
    from tests.support.drs import add_tagged_servers

    add_tagged_servers(aws.drs, ACCOUNT_A, 3, {"App": "none-yet"})
    _, plan = call_api(
        "POST",
        "/recovery-plans",
        plan_body(
            [ids["groupId"], tagged["groupId"]],
            approvers=["U0123ABCD"],
            approvalQuorum={"drill": 1, "recovery": 1},
        ),
    )
    status, exported = call_api("POST", f"/recovery-plans/{plan['planId']}/export-native", {})
    assert status == 200, exported
    not_exported = exported["notExported"]
    assert "wave 2: pause before (native plans have no approval step)" in not_exported
    assert any(n.startswith("start: a recovery waits for its approvers") for n in not_exported)
    assert any(
        n.startswith("wave 2: tag selection (App=none-yet) exported as the 3 servers") for n in not_exported
    )
    assert [len(s) for s in native_steps(aws, exported["recoveryPlanArn"])] == [2, 3]


def test_export_again_replaces_the_copy_in_order_and_keeps_one(aws):
    groups = [
        call_api("POST", "/protection-groups", group_body(f"T{i}", servers=1))[1]["groupId"] for i in range(3)
    ]
    _, plan = call_api("POST", "/recovery-plans", plan_body(groups[:2]))
    first = call_api("POST", f"/recovery-plans/{plan['planId']}/export-native", {})[1]
    waves = [
        {"waveNumber": 1, "protectionGroupId": groups[2], "waitBeforeMinutes": 3},
        {"waveNumber": 2, "protectionGroupId": groups[0]},
    ]
    call_api("PUT", f"/recovery-plans/{plan['planId']}", {"waves": waves})
    status, second = call_api("POST", f"/recovery-plans/{plan['planId']}/export-native", {})
    assert status == 200
    assert native_names(aws) == ["drs-chatops Payments failover"]
    steps = native_steps(aws, second["recoveryPlanArn"])
    assert steps[0] == 3 and len(steps) == 3
    assert second["planVersion"] == 2 and first["planVersion"] == 1
    stored = call_api("GET", f"/recovery-plans/{plan['planId']}")[1]
    assert (
        stored["nativeCopy"]["arn"] == second["recoveryPlanArn"] and stored["nativeCopy"]["planVersion"] == 2
    )


def test_a_failed_export_midway_leaves_the_copy_as_it_was(aws):
    groups = [
        call_api("POST", "/protection-groups", group_body(f"T{i}", servers=1))[1]["groupId"] for i in range(3)
    ]
    _, plan = call_api("POST", "/recovery-plans", plan_body(groups[:1]))
    first = call_api("POST", f"/recovery-plans/{plan['planId']}/export-native", {})[1]
    before = native_steps(aws, first["recoveryPlanArn"])
    waves = [{"waveNumber": n, "protectionGroupId": g} for n, g in enumerate(reversed(groups), 1)]
    call_api("PUT", f"/recovery-plans/{plan['planId']}", {"waves": waves})
    # When DRS refuses the second of the next export's three steps (not a throttle: for good)
    written: list[dict[str, Any]] = []

    def refuse_second_step(call: Any, body: dict[str, Any]) -> None:
        if call.operation == "CreateRecoveryPlanStep":
            written.append(body)
            if body["stepOrder"] == 2:
                raise DrsError(400, "ValidationException", "refused by the test")

    aws.drs.before = refuse_second_step
    status, error = call_api("POST", f"/recovery-plans/{plan['planId']}/export-native", {})
    aws.drs.before = None
    # Then the export fails saying where, the old copy is as it was, and no partial copy is left
    assert status == 502 and "step 2 of 3 failed" in error["message"], error
    assert f"the native plan {first['recoveryPlanArn']} is as it was" in error["message"]
    assert [b["stepOrder"] for b in written] == [1, 2]
    assert native_steps(aws, first["recoveryPlanArn"]) == before
    assert native_names(aws) == ["drs-chatops Payments failover"]
    stored = call_api("GET", f"/recovery-plans/{plan['planId']}")[1]
    assert (
        stored["nativeCopy"]["arn"] == first["recoveryPlanArn"] and stored["nativeCopy"]["planVersion"] == 1
    )


def test_drs_throttling_during_an_export_is_retried(aws):
    groups = [
        call_api("POST", "/protection-groups", group_body(f"T{i}", servers=1))[1]["groupId"] for i in range(4)
    ]
    _, plan = call_api("POST", "/recovery-plans", plan_body(groups))
    throttled = []

    def throttle_twice(call: Any, body: dict[str, Any]) -> None:
        if call.operation == "CreateRecoveryPlanStep" and len(throttled) < 2:
            throttled.append(body)
            raise DrsError(429, "ThrottlingException", "rate exceeded")

    aws.drs.before = throttle_twice
    status, exported = call_api("POST", f"/recovery-plans/{plan['planId']}/export-native", {})
    aws.drs.before = None
    assert status == 200 and len(throttled) == 2
    assert len(native_steps(aws, exported["recoveryPlanArn"])) == 4


def test_over_a_native_limit_the_export_is_refused_naming_it(aws):
    _, big = call_api("POST", "/protection-groups", group_body("Big", servers=101))
    _, plan = call_api("POST", "/recovery-plans", plan_body([big["groupId"]]))
    status, error = call_api("POST", f"/recovery-plans/{plan['planId']}/export-native", {})
    assert status == 400 and "at most 100" in error["message"]
    assert native_names(aws) == []


def test_another_accounts_plan_is_not_found_and_nothing_is_exported(aws):
    _, group = call_api("POST", "/protection-groups", group_body("Db"))
    _, plan = call_api("POST", "/recovery-plans", plan_body([group["groupId"]]))
    status, error = call_api("POST", f"/recovery-plans/{plan['planId']}/export-native", {}, account=ACCOUNT_B)
    assert status == 404 and error["message"] == f"recovery plan {plan['planId']} not found"
    assert native_names(aws, ACCOUNT_A) == [] and native_names(aws, ACCOUNT_B) == []


def test_export_native_on_save_keeps_the_copy_current(aws):
    _, group = call_api("POST", "/protection-groups", group_body("Db"))
    _, plan = call_api("POST", "/recovery-plans", plan_body([group["groupId"]], exportNative=True))
    assert plan["nativeExport"]["recoveryPlanArn"]
    _, updated = call_api(
        "PUT",
        f"/recovery-plans/{plan['planId']}",
        {"waves": [{"waveNumber": 1, "protectionGroupId": group["groupId"], "waitBeforeMinutes": 7}]},
    )
    assert native_steps(aws, updated["nativeExport"]["recoveryPlanArn"])[0] == 7
    assert native_names(aws) == ["drs-chatops Payments failover"]


def test_readiness_warns_when_the_native_copy_is_stale(aws, monkeypatch):
    _, group = call_api("POST", "/protection-groups", group_body("Db"))
    _, plan = call_api("POST", "/recovery-plans", plan_body([group["groupId"]], exportNative=True))

    def native_check():
        checks = call_api("GET", f"/recovery-plans/{plan['planId']}/readiness")[1]["checks"]
        return [c for c in checks if c["check"] == "native_copy"]

    [fresh] = native_check()
    assert fresh["status"] == "PASS" and plan["nativeExport"]["recoveryPlanArn"] in fresh["message"]
    # When a save's export fails (DRS refuses), the save stands and the copy is stale
    aws.drs.before = lambda call, body: (_ for _ in ()).throw(  # not retried: no minutes of back-off
        DrsError(403, "AccessDeniedException", "denied")
    )
    status, updated = call_api("PUT", f"/recovery-plans/{plan['planId']}", {"description": "changed"})
    aws.drs.before = None
    assert status == 200 and "error" in updated["nativeExport"] and updated["version"] == 2
    [stale] = native_check()
    assert stale["status"] == "WARN" and "holds version 1 of the plan, not 2" in stale["message"]
    # A plan without exportNative has no such check
    _, other = call_api("POST", "/recovery-plans", plan_body([group["groupId"]], name="Other"))
    checks = call_api("GET", f"/recovery-plans/{other['planId']}/readiness")[1]["checks"]
    assert "native_copy" not in {c["check"] for c in checks}


def test_the_exported_plan_runs_as_a_native_execution_when_drs_chatops_is_not_there(aws):
    # Given a plan with a wait before its second wave, exported
    groups = [call_api("POST", "/protection-groups", group_body(f"T{i}", servers=2))[1] for i in range(2)]
    waves = [
        {"waveNumber": 1, "protectionGroupId": groups[0]["groupId"]},
        {"waveNumber": 2, "protectionGroupId": groups[1]["groupId"], "waitBeforeMinutes": 2},
    ]
    _, plan = call_api("POST", "/recovery-plans", {"planName": "Break glass", "waves": waves})
    arn = call_api("POST", f"/recovery-plans/{plan['planId']}/export-native", {})[1]["recoveryPlanArn"]
    started_before = len(aws.drs.started)
    # When someone starts it from the DRS console (here: the emulator, as DRS would be called)
    native = aws.drs.native_plans
    execution = native.start_execution(ACCOUNT_A, {"recoveryPlanArn": arn, "mode": "DRILL"})
    execution_arn = execution["recoveryPlanExecution"]["recoveryPlanExecutionArn"]
    status = ""
    for _ in range(60):  # the emulator moves an execution on as it is read
        status = native.get_execution(ACCOUNT_A, {"recoveryPlanExecutionArn": execution_arn})[
            "recoveryPlanExecution"
        ]["status"]
        if status not in ("CREATED", "IN_PROGRESS"):
            break
    # Then it completes, launching each wave's servers as a drill, wave by wave
    assert status == "COMPLETED"
    launched = aws.drs.started[started_before:]
    assert [sorted(s["sourceServerID"] for s in job["sourceServers"]) for job in launched] == [
        sorted(g["sourceServerIds"]) for g in groups
    ]
    assert all(job["isDrill"] for job in launched)
