"""IAM least privilege, read from the templates (no AWS).

No ``Action: "*"``, no service-wide ``service:*``; ``Resource: "*"`` only for actions that accept
nothing narrower (the allow-list below, with the reason) and only with a comment in the template;
each function's role reaches only the tables, topics and state machine its code uses
(``handlers/function_settings.py``); ``sts:AssumeRole`` only on the DRS role-name pattern.
"""

from __future__ import annotations

from typing import Any

import pytest

from handlers.function_settings import REQUIRED
from tests.support.cfn import CFN_DIR, load_template
from tests.support.templates import (
    all_permission_statements,
    as_list,
    functions,
    permission_statements,
    references,
    role_of,
)

# Actions IAM accepts only with Resource "*", and why.
STAR_RESOURCE_ALLOWED = {
    "xray:PutTraceSegments": "X-Ray has no resource-level permissions",
    "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions",
    "xray:GetSamplingRules": "X-Ray has no resource-level permissions",
    "xray:GetSamplingTargets": "X-Ray has no resource-level permissions",
    "drs:DescribeJobs": "a List action with no resource type",
    "drs:DescribeSourceServers": "a List action with no resource type",
    "drs:DescribeRecoveryInstances": "a List action with no resource type",
    "servicequotas:ListServiceQuotas": "a List action with no resource type",
    "drs:CreateRecoveryInstanceForDrs": "a permission-only action StartRecovery performs on instances "
    "it creates",
}

# Template parameters naming a resource, and the setting (env var) through which code uses it.
RESOURCE_SETTINGS = {
    "ProtectionGroupsTableArn": "protection_groups_table",
    "RecoveryPlansTableArn": "recovery_plans_table",
    "ServerClaimsTableArn": "server_claims_table",
    "ExecutionsTableArn": "executions_table",
    "ApprovalsTableArn": "approvals_table",
    "ChannelSettingsTableArn": "channel_settings_table",
    "NotificationSubscriptionsTableArn": "notification_subscriptions_table",
    "ExecutionNotificationsTopicArn": "execution_notifications_topic_arn",
    "OperationalAlertsTopicArn": "operational_alerts_topic_arn",
    "StateMachineArn": "state_machine_arn",
    "SlackSecretArn": "slack_secret_arn",
}
# A role reaching a resource without the matching setting, and why that is still needed.
REACHED_WITHOUT_SETTING = {
    ("OrchestratorFunction", "state_machine_arn"): "SendTaskSuccess when ENABLE_PAUSE_RESUME is off: the "
    "task token names the execution, so no ARN setting is read",
}


def _actions(statement: dict[str, Any]) -> list[str]:
    return [str(a) for a in as_list(statement.get("Action", []))]


def _reached(statement: dict[str, Any]) -> set[str]:
    """Settings whose resources a statement grants access to."""
    reached = {RESOURCE_SETTINGS[r] for r in references(statement.get("Resource")) if r in RESOURCE_SETTINGS}
    text = str(statement.get("Resource"))
    if (
        "stateMachine:${ProjectName}-recovery-plan" in text
        or "execution:${ProjectName}-recovery-plan" in text
    ):
        reached.add("state_machine_arn")
    return reached


STATEMENTS = list(all_permission_statements())


def test_every_template_has_been_read() -> None:
    assert {name for name, _, _ in STATEMENTS} >= {"api.yaml", "orchestration.yaml", "bot.yaml"}


@pytest.mark.parametrize(("template", "owner", "statement"), STATEMENTS)
def test_no_action_wildcards(template: str, owner: str, statement: dict[str, Any]) -> None:
    for action in _actions(statement):
        assert action != "*" and not action.endswith(":*"), f"{template} {owner}: {action}"
    assert "NotAction" not in statement and "NotResource" not in statement


@pytest.mark.parametrize(("template", "owner", "statement"), STATEMENTS)
def test_star_resource_only_for_actions_that_allow_nothing_narrower(
    template: str, owner: str, statement: dict[str, Any]
) -> None:
    if "*" not in as_list(statement.get("Resource")):
        return
    unjustified = [a for a in _actions(statement) if a not in STAR_RESOURCE_ALLOWED]
    assert not unjustified, f"{template} {owner}: Resource '*' for {unjustified}"
    lines = (CFN_DIR / template).read_text().splitlines()
    above = lines[max(0, statement.start_mark.line - 6) : statement.start_mark.line]  # type: ignore[attr-defined]
    assert any(line.strip().startswith("#") for line in above), (
        f"{template} {owner}: a Resource '*' statement needs a comment saying why (line "
        f"{statement.start_mark.line + 1})"  # type: ignore[attr-defined]
    )


def test_assume_role_only_on_the_drs_role_pattern() -> None:
    # the orchestrator runs recoveries in other accounts; the api looks their servers up (read-only);
    # the api, the bot and the orchestrator (on schedule) clean drills up there (cleanup session policy)
    assuming = [(t, o, s) for t, o, s in STATEMENTS if "sts:AssumeRole" in _actions(s)]
    assert sorted((t, o) for t, o, _ in assuming) == [
        ("api.yaml", "ApiFunctionRole"),
        ("bot.yaml", "BotFunctionRole"),
        ("orchestration.yaml", "OrchestratorFunctionRole"),
    ]
    for _, _, statement in assuming:
        assert _actions(statement) == ["sts:AssumeRole"]
        (resource,) = as_list(statement["Resource"])
        assert references(resource) >= {"DrsRoleNamePattern"}
        assert ":role/${DrsRoleNamePattern}" in str(resource["Fn::Sub"])


FUNCTIONS = [(t, f, r, tpl) for t, f, r, tpl in functions()]


def test_every_function_is_in_the_settings_table() -> None:
    assert sorted(f for _, f, _, _ in FUNCTIONS) == sorted(REQUIRED)


@pytest.mark.parametrize(("template", "function", "resource", "body"), FUNCTIONS, ids=lambda v: str(v)[:40])
def test_each_role_reaches_only_what_its_function_uses(
    template: str, function: str, resource: dict[str, Any], body: dict[str, Any]
) -> None:
    statements = permission_statements(body, role_of(resource))
    reached = set().union(*(_reached(s) for s in statements))
    needed = {s for s in REQUIRED[function][1] if s in RESOURCE_SETTINGS.values()}
    excused = {s for f, s in REACHED_WITHOUT_SETTING if f == function}
    assert reached - needed - excused == set(), f"{function} reaches more than its code uses"
    missing = needed - reached
    if "slack_secret_arn" in missing and _secret_policy_is_conditional(body, role_of(resource)):
        missing.discard("slack_secret_arn")
    assert missing == set(), f"{function}'s role cannot reach {missing}"


@pytest.mark.parametrize(("template", "function", "resource", "body"), FUNCTIONS, ids=lambda v: str(v)[:40])
def test_each_role_writes_logs_only_to_its_own_log_group(
    template: str, function: str, resource: dict[str, Any], body: dict[str, Any]
) -> None:
    log_group = resource["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    for statement in permission_statements(body, role_of(resource)):
        if any(a.startswith("logs:") for a in _actions(statement)):
            assert statement["Resource"] == {"Fn::GetAtt": [log_group, "Arn"]}


def _secret_policy_is_conditional(body: dict[str, Any], role_id: str) -> bool:
    """The Slack secret policy exists only when a secret is given (else env vars carry the values)."""
    for policy in body["Resources"].values():
        props = policy.get("Properties", {})
        if policy["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in props.get("Roles", []):
            return "Condition" in policy and "SlackSecretArn" in references(props["PolicyDocument"])
    return False


def test_the_target_account_role_trusts_only_the_stacks_two_roles_with_an_external_id() -> None:
    role = load_template("drs-target-role.yaml")["Resources"]["DrsAccessRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {
        "AWS": [{"Ref": "OrchestratorRoleArn"}, {"Ref": "ApiRoleArn"}, {"Ref": "BotRoleArn"}]
    }
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    assert load_template("drs-target-role.yaml")["Parameters"]["RoleName"]["Default"].startswith(
        load_template("orchestration.yaml")["Parameters"]["DrsRoleNamePattern"]["Default"].rstrip("*")
    )


def test_the_default_role_name_is_the_target_roles_name_everywhere() -> None:
    from handlers.settings import Settings

    name = load_template("drs-target-role.yaml")["Parameters"]["RoleName"]["Default"]
    assert Settings().drs_default_role_name == name
    for template in ("root.yaml", "api.yaml", "orchestration.yaml"):
        assert load_template(template)["Parameters"]["DrsDefaultRoleName"]["Default"] == name


def test_the_orchestrators_own_credentials_start_recoveries_only_in_its_own_account() -> None:
    statements = [s for t, o, s in STATEMENTS if o == "OrchestratorFunctionRole"]
    for action in ("drs:StartRecovery", "drs:TagResource"):
        [statement] = [s for s in statements if action in _actions(s)]
        assert ":${AWS::AccountId}:" in str(statement["Resource"]["Fn::Sub"]), action
    # It reads source servers (a tag group is resolved at each wave's start), and only reads them
    [describe] = [s for s in statements if "drs:DescribeSourceServers" in _actions(s)]
    assert all(
        a.startswith("drs:Describe") or a == "drs:CreateRecoveryInstanceForDrs" for a in _actions(describe)
    )
