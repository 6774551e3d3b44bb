"""What the deployment promises about its resources, read from the templates: durable encrypted
tables, encrypted topics, log groups with retention and X-Ray for every function, reserved
concurrency for every function and a watched dead-letter queue for the asynchronous ones, Cognito on
every route but the two that carry their own credential, stricter throttling on /execution-callback
and a per-client WAF limit there, access logs on every stage, and the seed design's monitoring wired
to the operational-alerts topic."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.cfn import load_template
from tests.support.templates import (
    ALL_TEMPLATES,
    functions,
    invoked_asynchronously,
    permission_statements,
    references,
    resources,
)

SEED_METRICS = {
    "ProtectionGroupCreationCount",
    "RecoveryPlanCreationCount",
    "NotificationDeliverySuccess",
    "NotificationDeliveryFailure",
    "CallbackSuccessCount",
    "CallbackFailureCount",
    "AccountValidationErrors",
}
UNAUTHENTICATED_PATHS = {"execution-callback", "events"}  # approval id / Slack signature instead
MONITORING = load_template("monitoring.yaml")


@pytest.mark.parametrize("table_id", sorted(resources(load_template("data.yaml"), "AWS::DynamoDB::Table")))
def test_tables_are_durable_and_encrypted(table_id: str) -> None:
    table = load_template("data.yaml")["Resources"][table_id]
    props = table["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_topics_are_encrypted() -> None:
    topics = resources(load_template("notifications.yaml"), "AWS::SNS::Topic")
    assert len(topics) == 2
    assert all(t["Properties"].get("KmsMasterKeyId") for t in topics.values())


def test_cloudwatch_alarms_may_use_the_alerts_topic_key() -> None:
    """With the AWS-managed aws/sns key every alarm action fails: CloudWatch may not use that key."""
    body = load_template("notifications.yaml")
    (key_id,) = references(body["Resources"]["OperationalAlertsTopic"]["Properties"]["KmsMasterKeyId"])
    key = body["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    (grant,) = [
        s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(grant["Action"])


FUNCTIONS = list(functions())


@pytest.mark.parametrize(("template", "function", "resource", "body"), FUNCTIONS, ids=lambda v: str(v)[:40])
def test_every_function_has_a_log_group_with_retention_and_tracing(
    template: str, function: str, resource: dict[str, Any], body: dict[str, Any]
) -> None:
    props = resource["Properties"]
    log_group = body["Resources"][props["LoggingConfig"]["LogGroup"]["Ref"]]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert props["TracingConfig"] == {"Mode": "Active"}
    statements = [
        s
        for p in body["Resources"][props["Role"]["Fn::GetAtt"][0]]["Properties"]["Policies"]
        for s in p["PolicyDocument"]["Statement"]
    ]
    assert any("xray:PutTraceSegments" in s["Action"] for s in statements), f"{function} cannot send traces"


def test_state_machine_and_stages_are_traced() -> None:
    machine = resources(load_template("orchestration.yaml"), "AWS::StepFunctions::StateMachine")
    assert all(m["Properties"]["TracingConfiguration"]["Enabled"] for m in machine.values())
    for name in ("api.yaml", "bot.yaml"):
        for stage in resources(load_template(name), "AWS::ApiGateway::Stage").values():
            assert stage["Properties"]["TracingEnabled"] is True


def _path_parts(template: dict[str, Any], resource_id: str) -> str:
    return str(template["Resources"][resource_id]["Properties"]["PathPart"])


@pytest.mark.parametrize("name", ["api.yaml", "bot.yaml"])
def test_cognito_on_every_route_except_the_callback_and_slack(name: str) -> None:
    template = load_template(name)
    for method_id, method in resources(template, "AWS::ApiGateway::Method").items():
        props = method["Properties"]
        path = _path_parts(template, props["ResourceId"]["Ref"])
        if path in UNAUTHENTICATED_PATHS:
            assert props["AuthorizationType"] == "NONE", method_id
        else:
            assert props["AuthorizationType"] == "COGNITO_USER_POOLS", method_id
            assert props["AuthorizerId"] == {"Ref": "CognitoAuthorizer"}, method_id


STAGES = [
    (name, stage_id, stage)
    for name in ("api.yaml", "bot.yaml")
    for stage_id, stage in resources(load_template(name), "AWS::ApiGateway::Stage").items()
]


def test_both_stages_of_the_rest_api_are_checked() -> None:
    assert [(name, stage_id) for name, stage_id, _ in STAGES] == [
        ("api.yaml", "Stage"),
        ("bot.yaml", "SlackStage"),
    ]


@pytest.mark.parametrize(("template", "stage_id", "stage"), STAGES, ids=lambda v: str(v)[:20])
def test_execution_callback_is_throttled_harder_than_the_rest(
    template: str, stage_id: str, stage: dict[str, Any]
) -> None:
    """Every stage deploys the whole REST API (the bot's stage too), so each must throttle the
    email-link route harder."""
    settings = {s["ResourcePath"]: s for s in stage["Properties"]["MethodSettings"]}
    callback, default = settings["/~1execution-callback"], settings["/*"]
    assert callback["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
    assert callback["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"]


def test_the_callback_route_is_rate_limited_per_client_by_waf() -> None:
    """One anonymous client must not be able to keep every approval link answering 429."""
    (acl,) = resources(load_template("api.yaml"), "AWS::WAFv2::WebACL").values()
    assert acl["Properties"]["Scope"] == "REGIONAL"
    (rule,) = [r for r in acl["Properties"]["Rules"] if "RateBasedStatement" in r["Statement"]]
    rate = rule["Statement"]["RateBasedStatement"]
    assert rate["AggregateKeyType"] == "IP"
    assert rate["Limit"] == {"Ref": "CallbackRateLimitPer5Minutes"}
    match = rate["ScopeDownStatement"]["ByteMatchStatement"]
    assert match["FieldToMatch"] == {"UriPath": {}}
    assert match["SearchString"] == "/execution-callback"
    assert match["PositionalConstraint"] == "CONTAINS"  # WAF sees /<stage>/execution-callback
    assert "Block" in rule["Action"]


@pytest.mark.parametrize(("template", "stage_id", "stage"), STAGES, ids=lambda v: str(v)[:20])
def test_every_stage_of_the_rest_api_is_behind_the_web_acl(
    template: str, stage_id: str, stage: dict[str, Any]
) -> None:
    """Each stage serves /execution-callback, so each needs the per-client limit."""
    body = load_template(template)
    associations = resources(body, "AWS::WAFv2::WebACLAssociation").values()
    protecting = [a for a in associations if stage_id in references(a["Properties"]["ResourceArn"])]
    assert len(protecting) == 1, f"{template}: no web ACL on {stage_id}"
    assert "ApiWebAcl" in references(protecting[0]["Properties"]["WebACLArn"])


@pytest.mark.parametrize(("template", "stage_id", "stage"), STAGES, ids=lambda v: str(v)[:20])
def test_every_stage_writes_access_logs_saying_who_called_what(
    template: str, stage_id: str, stage: dict[str, Any]
) -> None:
    setting = stage["Properties"]["AccessLogSetting"]
    (group_id,) = references(setting["DestinationArn"])
    group = load_template(template)["Resources"][group_id]
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    log_format = str(setting["Format"])
    for variable in ("identity.sourceIp", "authorizer.claims.sub", "resourcePath", "httpMethod", "status"):
        assert f"$context.{variable}" in log_format, variable
    # An email link's approval id travels in the query string: never log it.
    assert "querystring" not in log_format.lower() and "$input" not in log_format


@pytest.mark.parametrize(("template", "function", "resource", "body"), FUNCTIONS, ids=lambda v: str(v)[:40])
def test_every_function_has_reserved_concurrency_from_a_parameter(
    template: str, function: str, resource: dict[str, Any], body: dict[str, Any]
) -> None:
    (parameter,) = references(resource["Properties"]["ReservedConcurrentExecutions"])
    spec = body["Parameters"][parameter]
    assert spec["Type"] == "Number" and spec["Default"] >= spec["MinValue"] >= 1


ASYNC_FUNCTIONS = [f for f in FUNCTIONS if invoked_asynchronously(f[3], f[1], f[2])]


def test_the_asynchronous_functions_are_the_bot_and_the_notifier() -> None:
    assert sorted(f[1] for f in ASYNC_FUNCTIONS) == ["BotFunction", "NotifierFunction"]


@pytest.mark.parametrize(
    ("template", "function", "resource", "body"), ASYNC_FUNCTIONS, ids=lambda v: str(v)[:40]
)
def test_asynchronous_functions_keep_failed_events_in_a_watched_dead_letter_queue(
    template: str, function: str, resource: dict[str, Any], body: dict[str, Any]
) -> None:
    """A lost Slack notification or lazy command must be visible, not dropped after retries."""
    (queue_id,) = references(resource["Properties"]["DeadLetterConfig"]["TargetArn"])
    assert body["Resources"][queue_id]["Type"] == "AWS::SQS::Queue"
    role = resource["Properties"]["Role"]["Fn::GetAtt"][0]
    assert any(
        "sqs:SendMessage" in str(s["Action"]) and queue_id in references(s["Resource"])
        for s in permission_statements(body, role)
    ), f"{function}'s role cannot send to {queue_id}"
    (output,) = [k for k, o in body["Outputs"].items() if references(o["Value"]) == {queue_id}]
    alarms = resources(MONITORING, "AWS::CloudWatch::Alarm").values()
    watching = [
        a["Properties"]
        for a in alarms
        if {"Name": "QueueName", "Value": {"Ref": output}} in a["Properties"].get("Dimensions", [])
    ]
    assert [(a["Namespace"], a["MetricName"], a["Threshold"]) for a in watching] == [
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", 0)
    ]


def test_every_checkov_skip_in_the_templates_gives_its_reason() -> None:
    """`make checkov` fails on findings; a finding may only be skipped with a reason beside it."""
    for name in ALL_TEMPLATES:
        for logical_id, resource in load_template(name)["Resources"].items():
            for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip", []):
                assert str(skip["id"]).startswith("CKV"), (name, logical_id, skip)
                assert len(str(skip.get("comment", "")).strip()) > 20, (name, logical_id, skip)


def test_every_alarm_goes_to_the_operational_alerts_topic() -> None:
    alarms = resources(MONITORING, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 8
    for alarm_id, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "OperationalAlertsTopicArn"}], alarm_id


def test_the_seed_alarms_exist_on_the_seed_metrics() -> None:
    alarms = resources(MONITORING, "AWS::CloudWatch::Alarm")
    assert alarms["NotificationFailureAlarm"]["Properties"]["MetricName"] == "NotificationDeliveryFailure"
    assert alarms["CallbackFailureAlarm"]["Properties"]["MetricName"] == "CallbackFailureCount"
    alarmed = {a["Properties"].get("MetricName") for a in alarms.values()}
    assert {"NotificationDeliveryFailure", "CallbackFailureCount", "AccountValidationErrors"} <= alarmed


def test_one_event_that_could_not_be_announced_raises_the_alarm() -> None:
    # Given the notification-failures alarm (publishing retries before it counts a failure)
    alarm = resources(MONITORING, "AWS::CloudWatch::Alarm")["NotificationFailureAlarm"]["Properties"]
    # Then a single failure in a period is enough: a lost pause announcement must page someone
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Sum",
        "GreaterThanThreshold",
        0,
    )
    assert alarm["TreatMissingData"] == "notBreaching"


def test_the_dashboard_shows_every_seed_metric() -> None:
    (dashboard,) = resources(MONITORING, "AWS::CloudWatch::Dashboard").values()
    body = str(dashboard["Properties"]["DashboardBody"])
    assert all(f'"{metric}"' in body for metric in SEED_METRICS)


def test_the_seed_log_queries_are_saved_against_our_log_messages() -> None:
    queries = {
        k: str(q["Properties"]["QueryString"])
        for k, q in resources(MONITORING, "AWS::Logs::QueryDefinition").items()
    }
    assert "AccountValidationErrors" in queries["AccountValidationErrorsQuery"]
    assert 'message = "notification failed"' in queries["NotificationFailuresQuery"]
    assert 'message = "approval decided"' in queries["ApprovalDecisionsQuery"]
    assert "@duration" in queries["CallbackDurationQuery"]


def test_alarm_email_subscribes_to_the_operational_alerts_topic() -> None:
    subscription = MONITORING["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "OperationalAlertsTopicArn"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }


def test_every_template_is_covered_by_these_checks() -> None:
    assert set(ALL_TEMPLATES) == {
        "api.yaml",
        "bot.yaml",
        "data.yaml",
        "drs-target-role.yaml",
        "monitoring.yaml",
        "notifications.yaml",
        "orchestration.yaml",
        "root.yaml",
    }


def test_the_reports_bucket_is_versioned_encrypted_private_tls_only_and_expires_old_versions() -> None:
    body = load_template("data.yaml")
    bucket = body["Resources"]["ReportsBucket"]
    props = bucket["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    (lifecycle,) = props["LifecycleConfiguration"]["Rules"]
    assert lifecycle["Status"] == "Enabled" and lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    assert bucket["DeletionPolicy"] == "Retain"
    policy = body["Resources"]["ReportsBucketPolicy"]["Properties"]["PolicyDocument"]
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize(
    ("template", "role"),
    [
        ("api.yaml", "ApiFunctionRole"),
        ("orchestration.yaml", "OrchestratorFunctionRole"),
        ("bot.yaml", "BotFunctionRole"),
    ],
)
def test_functions_that_end_executions_may_only_put_reports(template: str, role: str) -> None:
    statements = [
        s
        for policy in load_template(template)["Resources"][role]["Properties"]["Policies"]
        for s in policy["PolicyDocument"]["Statement"]
        if any(
            str(a).startswith("s3:") for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        )
    ]
    (statement,) = statements
    assert statement["Action"] == "s3:PutObject"
    assert statement["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ReportsBucketName}/reports/*"}


ANY_VERBS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")


def _full_path(template: dict[str, Any], resource_id: str) -> str:
    """``/executions/{executionId}/report`` for a resource, walking its ParentId chain to the root."""
    parts: list[str] = []
    while True:
        props = template["Resources"][resource_id]["Properties"]
        parts.append(props["PathPart"])
        parent = props["ParentId"]
        if not isinstance(parent, dict) or "Ref" not in parent:
            return "/" + "/".join(reversed(parts))
        resource_id = parent["Ref"]


def test_every_route_the_api_function_serves_is_deployed_in_api_gateway() -> None:
    # Given the routes handlers/api.py answers and the methods cfn/api.yaml deploys
    from handlers.api import app

    template = load_template("api.yaml")
    methods = resources(template, "AWS::ApiGateway::Method")
    deployed: set[tuple[str, str]] = set()
    for props in (m["Properties"] for m in methods.values()):
        path = _full_path(template, props["ResourceId"]["Ref"])
        verbs = ANY_VERBS if props["HttpMethod"] == "ANY" else (props["HttpMethod"],)
        deployed |= {(verb, path) for verb in verbs}
    served = {
        (route.method, route.path.replace("<", "{").replace(">", "}"))
        for route in [*app._static_routes, *app._dynamic_routes]
    }
    # Then API Gateway forwards every one of them, and the deployment waits for every method
    assert served - deployed == set()
    depends = set(template["Resources"]["Deployment"]["DependsOn"])
    assert set(methods) <= depends


def test_a_decision_made_outside_drs_chatops_raises_the_alarm_at_once() -> None:
    # Given the metric the orchestrator counts when a task token is used behind the approvals' back
    from handlers.runs.decision_record import OUTSIDE_METRIC

    alarm = resources(MONITORING, "AWS::CloudWatch::Alarm")["DecisionOutsideAlarm"]["Properties"]
    # Then one such decision in a minute pages the operators, and the dashboard shows it
    assert (alarm["Namespace"], alarm["MetricName"]) == ("DRSOrchestration", OUTSIDE_METRIC)
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "drs-chatops"}]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Sum",
        "GreaterThanThreshold",
        0,
    )
    (dashboard,) = resources(MONITORING, "AWS::CloudWatch::Dashboard").values()
    assert f'"{OUTSIDE_METRIC}"' in str(dashboard["Properties"]["DashboardBody"])
