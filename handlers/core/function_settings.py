"""Which settings each Lambda needs in its environment, next to the settings model.

:class:`handlers.core.settings.Settings` is one model for every function, so its resource names are
optional and a missing one fails only when used (``Settings.require``). This table says, per
function, what its code actually uses, so a deploy cannot ship a function without it:
``tests/unit/test_templates_settings.py`` checks it against the code (every ``require("…")`` and
``aws.table("…")`` reachable from the entry point is listed here or excused below) and against the
templates (each function's ``Environment.Variables`` sets everything listed here, and its IAM role
reaches exactly the tables/topics/state machine listed here).

Nothing imports this module at run time.
"""

from __future__ import annotations

# function (cfn logical id) -> (entry module, settings its code needs set)
REQUIRED: dict[str, tuple[str, frozenset[str]]] = {
    "ApiFunction": (
        "handlers.api",
        frozenset(
            {
                "protection_groups_table",
                "recovery_plans_table",
                "server_claims_table",
                "executions_table",
                "approvals_table",
                "notification_subscriptions_table",  # plan writes keep each address's subscription
                "execution_notifications_topic_arn",
                "state_machine_arn",
                "api_gateway_url",  # callback links in notifications a cancel publishes
                "schedule_group_name",  # one-time schedules of drill cleanup
                "orchestrator_function_arn",
                "scheduler_role_arn",
            }
        ),
    ),
    "OrchestratorFunction": (
        "handlers.orchestrator",
        frozenset(
            {
                "protection_groups_table",
                "recovery_plans_table",
                "executions_table",
                "approvals_table",
                "execution_notifications_topic_arn",
                "api_gateway_url",  # Resume / Cancel links in pause emails
                "schedule_group_name",  # one-time schedules of drill cleanup
                "orchestrator_function_arn",
                "scheduler_role_arn",
            }
        ),
    ),
    "BotFunction": (
        "bot.app",
        frozenset(
            {
                "protection_groups_table",
                "server_claims_table",  # /dr import creates groups and claims their servers
                "recovery_plans_table",
                "executions_table",
                "approvals_table",
                "channel_settings_table",
                "notification_subscriptions_table",  # /dr subscribe and unsubscribe
                "execution_notifications_topic_arn",
                "state_machine_arn",
                "slack_secret_arn",
                "schedule_group_name",  # one-time schedules of drill cleanup
                "orchestrator_function_arn",
                "scheduler_role_arn",
            }
        ),
    ),
    "NotifierFunction": (
        "bot.notifier",
        frozenset(
            {
                "recovery_plans_table",
                "executions_table",
                "operational_alerts_topic_arn",
                "slack_secret_arn",
            }
        ),
    ),
}

# Settings reachable through imports (shared service modules) that a function never uses, and why.
NOT_USED: dict[str, dict[str, str]] = {
    "OrchestratorFunction": {
        "server_claims_table": "the orchestrator reads groups to resolve their servers; claims change only "
        "when a group is created, changed or deleted",
    },
    "NotifierFunction": {
        "protection_groups_table": "the notifier reads only the plan and the execution",
        "execution_notifications_topic_arn": "the notifier consumes execution events, never publishes them",
        "notification_subscriptions_table": "the notifier never changes a plan's notification address",
    },
}

# Settings with an alternative: the Slack credentials come from the secret or from two variables.
ALTERNATIVES: dict[str, frozenset[str]] = {
    "slack_secret_arn": frozenset({"slack_signing_secret", "slack_bot_token"}),
}
