"""DRS native plans in Slack: ``/dr import <native plan name>`` and the "Export to DRS" button under
``/dr plan <name>``, operators only (handlers/native_plans/, docs/native-plans.md)."""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from tests.conftest import ACCOUNT_A
from tests.integration.test_native_plans import native_names, native_plan, native_steps
from tests.support.data import server_id
from tests.support.events import call_api
from tests.support.slack_requests import OPERATOR, VIEWER


def _buttons(reply: dict[str, Any]) -> dict[str, dict[str, Any]]:
    blocks = reply.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def test_an_operator_imports_a_native_plan_by_name_and_exports_it_back(aws: Any, bot: Any) -> None:
    steps: list[Any] = [
        [(server_id(7_000), "CRITICAL"), (server_id(7_001), "OPTIONAL")],
        10,
        [(server_id(7_002), "CRITICAL")],
    ]
    native_plan(aws, "Ledger", steps)
    # When an operator imports it by name
    bot.command("import ledger", user=OPERATOR)
    reply = bot.last_reply()
    assert "imported DRS native recovery plan Ledger" in reply and "waits 10 min first" in reply
    [plan] = call_api("GET", "/recovery-plans")[1]["items"]
    assert plan["importedFrom"]["arn"]
    # Then /dr plan offers Export to DRS, behind a confirm dialog
    bot.command("plan Ledger", user=OPERATOR)
    button = _buttons(bot.responses()[-1])[ids.EXPORT_NATIVE]
    assert button["value"] == plan["planId"] and button["confirm"]["confirm"]["text"] == "Export"
    # and pressing it writes the native copy with the same steps
    bot.click(ids.EXPORT_NATIVE, plan["planId"], user=OPERATOR)
    assert "exported Ledger to DRS as native recovery plan drs-chatops Ledger" in bot.last_reply()
    assert sorted(native_names(aws)) == ["Ledger", "drs-chatops Ledger"]
    stored = call_api("GET", f"/recovery-plans/{plan['planId']}")[1]
    assert native_steps(aws, stored["nativeCopy"]["arn"]) == steps


def test_a_viewer_may_neither_import_nor_export(aws: Any, bot: Any) -> None:
    native_plan(aws, "Ledger", [[(server_id(7_100), "CRITICAL")]])
    bot.command("import Ledger", user=VIEWER)
    assert call_api("GET", "/recovery-plans")[1]["items"] == []
    _, imported = call_api(
        "POST",
        "/recovery-plans/import-native",
        {"recoveryPlanArn": native_plan(aws, "Other", [[(server_id(7_101), "CRITICAL")]])},
    )
    bot.click(ids.EXPORT_NATIVE, imported["recoveryPlan"]["planId"], user=VIEWER)
    assert "operator" in bot.last_reply().lower()
    assert sorted(native_names(aws, ACCOUNT_A)) == ["Ledger", "Other"]


def test_an_unknown_native_plan_name_lists_the_accounts_native_plans(aws: Any, bot: Any) -> None:
    native_plan(aws, "Ledger", [[(server_id(7_200), "CRITICAL")]])
    bot.command("import Payroll", user=OPERATOR)
    assert "native recovery plan 'Payroll' not found" in bot.last_reply() and "Ledger" in bot.last_reply()


def test_a_plan_form_saved_in_slack_exports_the_native_copy_again_and_a_refused_save_does_not(
    aws: Any, bot: Any
) -> None:
    from tests.integration.slack.test_hook_form import _errors, _open, _plan, _stored, _submit

    # Given a plan that keeps a DRS native copy, exported when it was saved through the API
    plan = _plan()
    status, saved = call_api(
        "PUT", f"/recovery-plans/{plan['planId']}", {"version": plan["version"], "exportNative": True}
    )
    assert status == 200 and saved["nativeExport"]["recoveryPlanArn"], saved
    before = _stored(plan)
    assert before["nativeCopy"]["planVersion"] == before["version"]
    # When a refused Slack save (a bad field) is submitted, nothing is exported
    assert _errors(_submit(bot, _open(bot, before), function="payroll-prod-delete"))
    assert _stored(plan)["nativeCopy"] == before["nativeCopy"]
    # When an operator adds a hook through the Slack form (saved in the form's ack)
    _submit(bot, _open(bot, before))
    # Then the saved version is in the native copy too, as after a REST save, in place of the old
    after = _stored(plan)
    assert after["version"] == before["version"] + 1 and after["waves"][0]["hooks"]["after"]
    assert after["nativeCopy"]["planVersion"] == after["version"]
    assert after["nativeCopy"]["exportedAt"] > before["nativeCopy"]["exportedAt"]
    assert native_names(aws).count("drs-chatops Payments failover") == 1
