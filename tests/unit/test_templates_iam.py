"""IAM least privilege, read from the templates (no AWS).

No ``Action: "*"``, no service-wide ``service:*``; ``Resource: "*"`` only for actions that accept
nothing narrower (the allow-list below, with the reason) and only with a comment in the template;
each function's role reaches only the tables, topics and state machine its code uses
(``handlers/core/function_settings.py``); ``sts:AssumeRole`` only on the DRS role-name pattern.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from handlers.core.function_settings import REQUIRED
from tests.support.cfn import CFN_DIR, load_template
from tests.support.templates import (
    ALL_TEMPLATES,
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
    "drs:DescribeReplicationConfigurationTemplates": "a Read action with no resource type",
    "drs:CreateRecoveryInstanceForDrs": "a permission-only action StartRecovery performs on instances "
    "it creates",
    "drs:ListRecoveryPlans": "a Read action with no resource type",
    "drs:CreateRecoveryPlan": "a Write action with no resource type; its statements condition it on the "
    "drs-chatops:planId request tag",
    "ec2:DescribeInstanceStatus": "a List action with no resource type",
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
    from handlers.core.settings import Settings

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


# Who may read a Step Functions execution, and why. The pause's task token is in the execution's
# history (GetExecutionHistory: the waiting task's input), so no role of the stack may read that: only
# operators, with their own credentials. DescribeExecution shows the execution's input and output,
# which never carry a token (test_the_task_token_never_enters_the_executions_state).
DESCRIBE_EXECUTION_ALLOWED = {
    ("api.yaml", "ApiFunctionRole"): "a start tells a stale plan lock by its run having ended",
    ("bot.yaml", "BotFunctionRole"): "a start tells a stale plan lock by its run having ended",
}


def _grants(statement: dict[str, Any], action: str) -> bool:
    """Whether the statement allows ``action`` by name or by any wildcard pattern."""
    from fnmatch import fnmatchcase

    if statement.get("Effect") != "Allow":
        return False
    return any(fnmatchcase(action.lower(), pattern.lower()) for pattern in _actions(statement))


def _managed_policies() -> list[tuple[str, str, str]]:
    return [
        (name, logical_id, str(arn))
        for name in ALL_TEMPLATES
        for logical_id, resource in load_template(name)["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role"
        for arn in resource["Properties"].get("ManagedPolicyArns", [])
    ]


def test_no_role_of_the_stack_may_read_an_executions_history() -> None:
    granted = [(t, o) for t, o, s in STATEMENTS if _grants(s, "states:GetExecutionHistory")]
    assert granted == [], f"these may read task tokens from Step Functions history: {granted}"
    # nor through an AWS managed policy (only API Gateway's logging role has one, and it is logs only)
    assert [(t, o) for t, o, _ in _managed_policies()] == [("api.yaml", "ApiGatewayLogsRole")]
    assert all("/AmazonAPIGatewayPushToCloudWatchLogs" in arn for _, _, arn in _managed_policies())


def test_only_the_roles_that_tell_a_runs_end_may_describe_an_execution() -> None:
    describing = {(t, o) for t, o, s in STATEMENTS if _grants(s, "states:DescribeExecution")}
    assert describing == set(DESCRIBE_EXECUTION_ALLOWED)
    for template, owner, statement in STATEMENTS:
        if _grants(statement, "states:DescribeExecution"):
            assert "execution:${ProjectName}-recovery-plan-" in str(statement["Resource"]), (template, owner)


def test_the_task_token_never_enters_the_executions_state() -> None:
    """``$$.Task.Token`` goes only into the pause tasks' Lambda payload (so it is in the history,
    never in the input or output DescribeExecution shows); what those tasks keep is the decision."""
    import json

    definition = json.loads((CFN_DIR / "statemachine" / "recovery-plan.asl.json").read_text())

    def states(container: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for state in container["States"].values():
            yield state
            for inner in ("ItemProcessor", "Iterator"):
                if inner in state:
                    yield from states(state[inner])
            for branch in state.get("Branches", []):
                yield from states(branch)

    nested = ("ItemProcessor", "Iterator", "Branches")
    own = [{k: v for k, v in s.items() if k not in nested} for s in states(definition)]
    holders = [s for s in own if "$$.Task.Token" in json.dumps(s)]
    assert len(holders) >= 2
    for state in holders:
        assert state["Resource"].endswith(".waitForTaskToken")
        assert state["Parameters"]["Payload"]["taskToken.$"] == "$$.Task.Token"
        assert "$$.Task.Token" not in json.dumps({k: v for k, v in state.items() if k != "Parameters"})
        assert state["ResultPath"] == "$.decision"
