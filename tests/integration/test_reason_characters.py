"""Reasons, names and actors are one line, shown as they read: no control characters (CR and LF
included) and no Unicode format characters (bidirectional overrides, zero-width characters), on
every channel (handlers/models/fields.py). A reason that forges a line of its own in the "Retrying
wave" email is a 400 naming the field, and nothing is decided. The real ASL on moto, the DRS
emulator, the orchestrator in process."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ACCOUNT_A
from tests.support.data import group_body, plan_body
from tests.support.events import call_api, call_page, invoke_direct
from tests.support.orchestration import wait_until

FORGED_LINE = "flaky NIC\r\n\r\nURGENT: re-approve at https://evil.example.com/approve"
HIDDEN = {
    "CRLF": FORGED_LINE,
    "LF": "first line\nsecond line",
    "right-to-left override": "approved by \u202egnikaerb\u202c",
    "zero-width space": "ok\u200bthen",
    "line separator": "one\u2028two",
}


def _paused(orchestration: Any, *, failing: bool) -> dict[str, Any]:
    """A drill paused before wave 2 or, ``failing``, after wave 1 failed (a ``wave_failed`` pause)."""
    first = group_body("Database tier")
    groups = [call_api("POST", "/protection-groups", b)[1]["groupId"] for b in (first, group_body("Web"))]
    body = plan_body(groups, notificationEmail="dr@example.com")
    if failing:
        for wave in body["waves"]:
            wave["pauseBeforeExecution"] = False
        orchestration.drs.failing.add(first["sourceServerIds"][1])
    status, plan = call_api("POST", "/recovery-plans", body)
    assert status == 201, plan
    status, execution = call_api("POST", "/executions", {"planId": plan["planId"]})
    assert status == 201, execution
    return dict(wait_until(lambda: _open_pause(execution["executionId"]), timeout=30))


def _open_pause(execution_id: str) -> dict[str, Any] | None:
    execution = call_api("GET", f"/executions/{execution_id}")[1]
    return execution if execution["status"] == "PAUSED" else None


def _unchanged(paused: dict[str, Any]) -> None:
    now = call_api("GET", f"/executions/{paused['executionId']}")[1]
    assert now["status"] == "PAUSED" and now["pendingApproval"]["votes"] == [] and now["decisions"] == []


def test_a_retry_reason_that_forges_a_line_in_the_email_is_a_400_and_decides_nothing(orchestration):
    # Given a drill paused because wave 1 failed
    paused = _paused(orchestration, failing=True)
    assert paused["pendingApproval"]["kind"] == "wave_failed"
    execution_id = paused["executionId"]
    # When a retry is asked with a reason carrying CR/LF and a line of its own, over REST and directly
    status, error = call_api("POST", f"/executions/{execution_id}/retry", {"reason": FORGED_LINE})
    direct = invoke_direct(
        "retry_wave", {"accountId": ACCOUNT_A, "executionId": execution_id, "reason": FORGED_LINE}
    )
    # Then both are refused naming the field, and the pause is still open with no vote
    assert (status, error["error"]) == (400, "VALIDATION_ERROR"), error
    assert error["message"].startswith("reason: must not contain control characters"), error
    assert direct["error"] == "VALIDATION_ERROR" and direct["message"].startswith("reason: "), direct
    _unchanged(paused)
    assert not [e for e in orchestration.events() if e.get("eventType") == "wave_retry"]


@pytest.mark.parametrize("action", ["resume", "cancel", "skip"])
def test_a_reason_with_a_line_break_or_a_format_character_is_refused_on_every_route(orchestration, action):
    # Given a paused drill (a skip needs a failed wave)
    paused = _paused(orchestration, failing=action == "skip")
    execution_id = paused["executionId"]
    operation = {"resume": "resume_execution", "cancel": "cancel_execution", "skip": "skip_wave"}[action]
    for case, reason in HIDDEN.items():
        # When the decision is asked with that reason through REST and by direct invocation
        status, error = call_api("POST", f"/executions/{execution_id}/{action}", {"reason": reason})
        body = {"accountId": ACCOUNT_A, "executionId": execution_id, "reason": reason}
        direct = invoke_direct(operation, body)
        # Then it is a 400 naming the reason, and nothing is decided
        assert (status, error["error"]) == (400, "VALIDATION_ERROR"), (case, error)
        assert error["message"].startswith("reason: must not contain"), (case, error)
        assert direct["error"] == "VALIDATION_ERROR" and direct["message"].startswith("reason: "), (
            case,
            direct,
        )
    _unchanged(paused)


def test_an_email_link_reason_with_a_line_break_is_a_page_naming_the_field(orchestration):
    paused = _paused(orchestration, failing=False)
    approval_id = _approval_id(orchestration, paused)
    form = f"action=cancel&approval={approval_id}&reason=drill%20over%0D%0AURGENT%3A%20re-approve"
    status, page, _ = call_page("POST", "/execution-callback", form)
    assert status == 400 and "reason: must not contain control characters" in page
    _unchanged(paused)


def _approval_id(orchestration: Any, paused: dict[str, Any]) -> str:
    item = orchestration.aws.client("dynamodb").get_item(
        TableName=orchestration.aws.tables["EXECUTIONS_TABLE"],
        Key={"executionId": {"S": paused["executionId"]}},
    )["Item"]
    return str(item["pendingApprovalId"]["S"])


@pytest.mark.parametrize("case", list(HIDDEN))
def test_a_name_with_a_line_break_or_a_format_character_is_a_400_naming_the_field(aws, case):
    # Given a group or plan name carrying a hidden character
    name = f"Payments {HIDDEN[case][:40]}"
    # When a group and a plan are created with it (REST), and a group by direct invocation
    status, error = call_api("POST", "/protection-groups", group_body(name))
    _, group = call_api("POST", "/protection-groups", group_body("Database tier"))
    plan_status, plan_error = call_api("POST", "/recovery-plans", plan_body([group["groupId"]], name=name))
    direct = invoke_direct("create_protection_group", {"accountId": ACCOUNT_A, **group_body(name)})
    # Then each is refused naming the field, and only the clean group exists
    assert (status, plan_status) == (400, 400), (error, plan_error)
    assert error["message"].startswith("groupName: must not contain"), error
    assert plan_error["message"].startswith("planName: must not contain"), plan_error
    assert direct["error"] == "VALIDATION_ERROR" and direct["message"].startswith("groupName: "), direct
    assert [g["groupName"] for g in call_api("GET", "/protection-groups")[1]["items"]] == ["Database tier"]


def test_a_description_keeps_its_line_breaks_but_no_format_character(aws):
    status, group = call_api("POST", "/protection-groups", group_body(description="Primary DB\nand replicas"))
    assert status == 201 and group["description"] == "Primary DB\nand replicas"
    status, error = call_api("POST", "/protection-groups", group_body("Web", description="web \u202etier"))
    assert status == 400 and error["message"].startswith("description: must not contain invisible format"), (
        error
    )
