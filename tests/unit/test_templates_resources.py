"""What the deployment promises about its resources, read from the templates: durable encrypted
tables, encrypted topics, log groups with retention and X-Ray for every function, Cognito on every
route but the two that carry their own credential, stricter throttling on /execution-callback, and
the seed design's monitoring wired to the operational-alerts topic."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.cfn import load_template
from tests.support.templates import ALL_TEMPLATES, functions, resources

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
