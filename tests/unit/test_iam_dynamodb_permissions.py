"""The offline proof that each Lambda function's role may make the DynamoDB calls its code makes.

What each function needs is derived from the code (tests/support/iam_dynamodb.py): the table-binding
units (a repository names its table setting: ``aws.table("protection_groups_table")``), the
operations each repository method calls on its table (``put_item`` ... ``batch_get_item``; a
transaction as the actions of its items; a query through an index on that index), and which
methods the modules a function's entry module imports call. Each table's ARN is the one the
function's environment names for the setting (``!Ref <Table>Arn``). The IAM evaluator of the DRS
proof (tools/iam, tests/support/iam.py) decides each request against the role's policies.

Before this proof, ``ProtectionGroupRepository.get_many`` called BatchGetItem and no role granted it
(in AWS, readiness would have been AccessDenied); the bot's ``/dr import`` removed its plan on a
failed group write (handlers/native_plans/importing.py ``_undo``) without DeleteItem on the plans table.
"""

from __future__ import annotations

import ast
import copy
from typing import Any

import pytest

from handlers.core.function_settings import NOT_USED, REQUIRED
from tests.support import iam, iam_dynamodb
from tests.support.iam_dynamodb import TableCall, TableNeed
from tests.support.templates import as_list

FUNCTIONS = iam_dynamodb.functions()

# What a function's imports reach but its code never does, per (function, table setting, action or
# "action on index"), and why. Tables a function never uses at all are excused in
# handlers/core/function_settings.py NOT_USED (with their reasons) and left out here.
NOT_CALLED: dict[tuple[str, str, str], str] = {
    (
        "OrchestratorFunction",
        "approvals_table",
        "dynamodb:Query on tokenHash-index",
    ): "a decision by task token comes only through the API's decide_approval operation "
    "(handlers/entry/operations.py); the orchestrator opens, reads and expires approvals by id",
    (
        "OrchestratorFunction",
        "protection_groups_table",
        "dynamodb:PutItem",
    ): "the orchestrator reaches handlers/plans/protection_groups.py through handlers/plans/"
    "group_servers.py, which imports it for get_protection_group; creating a group is an API or bot act",
    (
        "OrchestratorFunction",
        "protection_groups_table",
        "dynamodb:DeleteItem",
    ): "as for PutItem: deleting a group is an API or bot act",
    (
        "OrchestratorFunction",
        "protection_groups_table",
        "dynamodb:Query on accountId-index",
    ): "as for PutItem: listing an account's groups (and the rule checks of a group's writes) are "
    "API or bot acts; a run reads its plan's groups by id",
    (
        "OrchestratorFunction",
        "recovery_plans_table",
        "dynamodb:Query on accountId-index",
    ): "handlers/plans/protection_groups.py lists an account's plans only to refuse deleting a group a "
    "plan uses (an API or bot act); a run reads its own plan by id",
    (
        "BotFunction",
        "approvals_table",
        "dynamodb:PutItem",
    ): "pauses are opened by the orchestrator (open_approval: handlers/runs/orchestration.py, "
    "wave_failures.py, hook_failures.py); the bot decides them",
    (
        "BotFunction",
        "approvals_table",
        "dynamodb:Query on tokenHash-index",
    ): "the bot decides a pause by its approval id (handlers/runs/decisions.py); a decision by task "
    "token comes only through the API's decide_approval operation",
    (
        "NotifierFunction",
        "recovery_plans_table",
        "dynamodb:PutItem",
    ): "bot/notifier.py reads the plan of an execution event (get_recovery_plan, without "
    "refresh_subscription); writing plans is an API or bot act",
    (
        "NotifierFunction",
        "recovery_plans_table",
        "dynamodb:UpdateItem",
    ): "as for PutItem: changing a plan or its subscription is an API or bot act",
    (
        "NotifierFunction",
        "recovery_plans_table",
        "dynamodb:DeleteItem",
    ): "as for PutItem: deleting a plan is an API or bot act",
    (
        "NotifierFunction",
        "recovery_plans_table",
        "dynamodb:Query on accountId-index",
    ): "as for PutItem: the notifier reads one plan by id, never an account's list",
}


def _key(function: str, need: TableNeed) -> tuple[str, str, str]:
    return function, need.setting, need.action + (f" on {need.index}" if need.index else "")


def _derived(function: str) -> set[TableNeed]:
    return iam_dynamodb.needs_of(REQUIRED[function][0])


def _needs(function: str) -> set[TableNeed]:
    """What ``function`` must be allowed: derived, less the tables and calls it is excused."""
    return {
        n
        for n in _derived(function)
        if n.setting not in NOT_USED.get(function, {}) and _key(function, n) not in NOT_CALLED
    }


def _requests(function: str, template: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    f = FUNCTIONS[function]
    return iam_dynamodb.requests_for(f, _needs(function), None if template is None else f.policies(template))


def _calls(unit: str) -> set[tuple[str, str]]:
    setting, calls = iam_dynamodb.table_calls()[unit]
    return {(setting, c.action + (f" on {c.index}" if c.index else "")) for c in calls}


REPOSITORIES = "handlers.repositories"


def test_each_repository_method_calls_what_its_code_calls_on_its_table() -> None:
    groups = f"{REPOSITORIES}.protection_groups.ProtectionGroupRepository"
    assert _calls(f"{groups}.get_many") == {("protection_groups_table", "dynamodb:BatchGetItem")}
    # through handlers/repositories/dynamo.py's query_account(table, …): on the binding class's table
    assert _calls(f"{groups}.all_in_account") == {
        ("protection_groups_table", "dynamodb:Query on accountId-index")
    }
    assert _calls(f"{groups}.delete") == {("protection_groups_table", "dynamodb:DeleteItem")}
    claims = f"{REPOSITORIES}.server_claims.ServerClaimRepository"
    # a transaction of conditional puts is authorized as PutItem; a lost claim reads the owner
    assert _calls(f"{claims}.claim_all") == {
        ("server_claims_table", "dynamodb:PutItem"),
        ("server_claims_table", "dynamodb:GetItem"),
    }
    assert _calls(f"{claims}.owners") == {("server_claims_table", "dynamodb:BatchGetItem")}
    approvals = f"{REPOSITORIES}.approvals.ApprovalRepository"
    assert _calls(f"{approvals}.find_by_token") == {  # the index's item, then the approval itself
        ("approvals_table", "dynamodb:Query on tokenHash-index"),
        ("approvals_table", "dynamodb:GetItem"),
    }
    assert _calls(f"{REPOSITORIES}.channel_settings.ChannelSettingsRepository.all") == {
        ("channel_settings_table", "dynamodb:Scan")
    }
    # a binding function outside the repositories
    assert _calls("handlers.native_plans.exporting.record_copy") == {
        ("recovery_plans_table", "dynamodb:UpdateItem")
    }


def test_every_table_the_code_uses_is_bound_by_a_repository_or_a_named_function() -> None:
    # Only handlers/aws/__init__.py makes a DynamoDB resource: every table comes from aws.table("…")
    makers = [
        module
        for module, tree in iam._modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value == "dynamodb"
    ]
    assert makers == ["handlers.aws"]
    settings = {setting for setting, _ in iam_dynamodb.table_calls().values()}
    assert settings == {
        "protection_groups_table",
        "recovery_plans_table",
        "server_claims_table",
        "executions_table",
        "approvals_table",
        "channel_settings_table",
        "notification_subscriptions_table",
    }
    # Table calls no binding unit uses: only the backfill scripts' repository, which no function imports
    unbound = iam_dynamodb.unbound_calls()
    assert set(unbound) == {f"{REPOSITORIES}.legacy.LegacyItemRepository"}
    for entry, _ in REQUIRED.values():
        assert f"{REPOSITORIES}.legacy" not in iam.import_closure(entry)


def test_which_methods_a_module_calls_is_read_from_its_uses_of_the_class() -> None:
    # Given a module calling one method on a new instance, one on a named instance, and passing one on
    source = (
        "from handlers.repositories.recovery_plans import RecoveryPlanRepository as Plans\n"
        "from handlers.repositories.approvals import ApprovalRepository\n"
        "from handlers.repositories.executions import ExecutionRepository\n"
        "def read(plan_id: str, repo: ApprovalRepository) -> None:\n"
        "    Plans().get(plan_id)\n"
        "    plans, approvals = Plans(), ApprovalRepository()\n"
        "    plans.insert(plan_id)\n"
        "    approvals.get(plan_id)\n"
        "def keep() -> None:\n"
        "    remember(ExecutionRepository())\n"
    )
    called = iam_dynamodb.methods_in("handlers.example", ast.parse(source))
    # Then the calls are seen per class, an annotation is no use, and an instance passed on is every method
    assert called == {
        f"{REPOSITORIES}.recovery_plans.RecoveryPlanRepository": {"get", "insert"},
        f"{REPOSITORIES}.approvals.ApprovalRepository": {"get"},
        f"{REPOSITORIES}.executions.ExecutionRepository": {iam_dynamodb.ALL_METHODS},
    }


def test_the_derivation_finds_what_each_function_does() -> None:
    api = {_key("ApiFunction", n) for n in _needs("ApiFunction")}
    assert ("ApiFunction", "protection_groups_table", "dynamodb:BatchGetItem") in api  # readiness
    assert ("ApiFunction", "server_claims_table", "dynamodb:PutItem") in api  # a group's claims
    bot = {_key("BotFunction", n) for n in _needs("BotFunction")}
    assert ("BotFunction", "recovery_plans_table", "dynamodb:DeleteItem") in bot  # /dr import's undo
    assert ("BotFunction", "channel_settings_table", "dynamodb:Scan") in bot
    orchestrator = {_key("OrchestratorFunction", n) for n in _needs("OrchestratorFunction")}
    assert ("OrchestratorFunction", "approvals_table", "dynamodb:PutItem") in orchestrator  # a pause
    assert ("OrchestratorFunction", "executions_table", "dynamodb:PutItem") not in orchestrator
    notifier = {_key("NotifierFunction", n) for n in _needs("NotifierFunction")}
    assert notifier == {
        ("NotifierFunction", "recovery_plans_table", "dynamodb:GetItem"),
        ("NotifierFunction", "executions_table", "dynamodb:GetItem"),
        ("NotifierFunction", "executions_table", "dynamodb:UpdateItem"),
    }


def test_every_excused_call_is_one_the_derivation_still_finds() -> None:
    derived = {_key(f, n) for f in REQUIRED for n in _derived(f)}
    assert set(NOT_CALLED) - derived == set(), "stale NOT_CALLED entries: remove them"


@pytest.mark.parametrize("function", sorted(REQUIRED))
def test_the_function_and_its_environment_name_the_tables_it_needs(function: str) -> None:
    f = FUNCTIONS[function]
    assert f.entry == REQUIRED[function][0]
    missing = sorted({n.setting for n in _needs(function) if f.table_arn(n.setting) is None})
    assert missing == [], f"{function}'s environment names no table for {missing}"


@pytest.mark.parametrize("function", sorted(REQUIRED))
def test_every_function_role_may_make_the_dynamodb_calls_its_code_makes(function: str) -> None:
    # Given every (action, table or index) the function's code makes, as the function's role
    requests = _requests(function)
    assert requests
    assert all(":table/" in r["resource"] for r in requests)
    # When the evaluator decides them against the role's policies
    results = iam.evaluate(requests)
    # Then none is denied
    assert iam.denied(results) == []


def test_removing_batch_get_item_from_the_api_role_fails_the_proof() -> None:
    # Given an in-memory copy of api.yaml whose tables statement no longer grants BatchGetItem
    f = FUNCTIONS["ApiFunction"]
    template = copy.deepcopy(iam.templates()[f.template])
    removed = 0
    for policy in template["Resources"][f.role_id]["Properties"]["Policies"]:
        for statement in as_list(policy["PolicyDocument"]["Statement"]):
            actions = as_list(statement["Action"])
            if "dynamodb:BatchGetItem" in actions:
                statement["Action"] = [a for a in actions if a != "dynamodb:BatchGetItem"]
                removed += 1
    assert removed == 1
    # When the proof runs against it
    results = iam.evaluate(_requests("ApiFunction", template))
    # Then it fails on the batch reads of the groups and of the server claims
    denied = iam.denied(results)
    assert len(denied) == 2, denied
    assert all("dynamodb:BatchGetItem on arn:aws:dynamodb:" in d for d in denied)
    assert {d.split(" ")[1] for d in denied} == {"protection_groups_table", "server_claims_table"}


def test_a_table_call_is_mapped_to_its_iam_action() -> None:
    assert iam_dynamodb.OPERATIONS["batch_get_item"] == "dynamodb:BatchGetItem"
    assert TableCall("dynamodb:Query", "accountId-index") < TableCall("dynamodb:Scan")
    actions = set(iam_dynamodb.OPERATIONS.values()) | set(iam_dynamodb.TRANSACT_ITEMS.values())
    assert iam.evaluate([], actions)["unknownActions"] == []
