"""The one place that reads the environment.

Every Lambda gets its configuration through :func:`get_settings`. Resource names are optional here
so one model serves every function; :meth:`Settings.require` turns a missing one into a clear
:class:`ConfigurationError` at the point of use.
"""

from __future__ import annotations

import functools

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigurationError(RuntimeError):
    """A setting the code needs is absent from the function's environment."""


class Settings(BaseSettings):
    # Its schema is built by the first get_settings(), not at import (cold start, as the models)
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", defer_build=True)

    aws_region: str = Field(default="us-east-1", validation_alias="AWS_REGION")
    environment: str = "dev"

    protection_groups_table: str | None = None
    recovery_plans_table: str | None = None
    server_claims_table: str | None = None
    executions_table: str | None = None
    approvals_table: str | None = None
    channel_settings_table: str | None = None
    notification_subscriptions_table: str | None = None

    execution_notifications_topic_arn: str | None = None
    operational_alerts_topic_arn: str | None = None
    state_machine_arn: str | None = None
    reports_bucket: str | None = None  # evidence reports of ended executions (cfn/data.yaml ReportsBucket)
    api_gateway_url: str | None = None
    # One-time schedules (handlers/aws/schedules.py): their group, the function they invoke, and the
    # role EventBridge Scheduler invokes it with.
    schedule_group_name: str | None = None
    orchestrator_function_arn: str | None = None
    scheduler_role_arn: str | None = None
    # The orchestrator's role: what runs DRS in the deployment's own account when a group names no
    # role (readiness simulates its permissions, handlers/readiness/readiness_permissions.py).
    orchestrator_role_arn: str | None = None

    approval_timeout_seconds: int = 86400
    drs_poll_seconds: int = 30  # the first polls of a running wave (handlers/core/run_limits.py)
    drs_poll_max_seconds: int = 300  # the poll interval backs off up to this
    # How long DRS may keep failing (throttling, 5xx, network) while a wave runs before the wave fails.
    drs_outage_seconds: int = 600
    # Drill cleanup (handlers/cleanup/cleanup.py): DRS terminates asynchronously, so a cleanup looks
    # again this long after requesting termination, backing off up to the max, and fails when
    # instances are still there this many minutes after the request.
    cleanup_check_seconds: int = 30
    cleanup_check_max_seconds: int = 300
    cleanup_limit_minutes: int = 30
    # The role assumed in a group's account when that account is not the deployment's own and
    # neither the group nor its plan names one: cfn/drs-target-role.yaml's default RoleName.
    drs_default_role_name: str = Field(
        default="drs-chatops-drs-access", pattern=r"^[A-Za-z0-9+=,.@_-]{1,64}$"
    )

    # Wave hooks (handlers/hooks/, docs/hooks.md): the Lambda functions a ``lambda`` hook may invoke
    # and the SSM documents (besides AWS-owned ``AWS-``/``AWSMigration-``) an ``ssmAutomation`` hook
    # may start, as shell-style patterns; the roles that run hooks allow only these
    # (cfn HookFunctionPattern, HookDocumentPattern).
    hook_function_pattern: str = Field(default="drs-chatops-hook-*", pattern=r"^[A-Za-z0-9_*?-]{1,64}$")
    hook_document_pattern: str = Field(default="drs-chatops-*", pattern=r"^[A-Za-z0-9_.*?-]{1,128}$")
    hook_poll_seconds: int = 15  # how often a running automation or status check is looked at
    # A hook's ``timeoutMinutes`` lasts this many seconds per minute: 60 in AWS; the sandbox and the
    # tests shorten it to play a timeout in seconds.
    hook_seconds_per_minute: int = Field(default=60, ge=1, le=60)
    # A wave's ``waitBeforeMinutes`` lasts this many seconds per minute: 60 in AWS; the tests shorten it.
    wave_wait_seconds_per_minute: int = Field(default=60, ge=1, le=60)

    enable_account_context_validation: bool = True
    require_account_id_for_direct_invocation: bool = True
    enable_notification_publishing: bool = True
    enable_pause_resume: bool = True

    # Slack (bot and notifier). The signing secret and bot token come from the JSON secret at
    # SLACK_SECRET_ARN ({"signingSecret", "botToken"}) or, for local use, from the two env vars.
    slack_secret_arn: str | None = None
    slack_signing_secret: str | None = None
    slack_bot_token: str | None = None
    slack_operator_ids: str = ""  # comma-separated Slack user ids
    slack_command: str = "/dr"
    slack_api_url: str = "https://slack.com/api/"
    slack_default_account_id: str | None = None  # for channels that never ran `/dr account <id>`

    def operator_ids(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.slack_operator_ids.split(",") if part.strip())

    def require(self, name: str) -> str:
        """Return the setting ``name`` or fail with the environment variable to set."""
        value = getattr(self, name)
        if not value:
            raise ConfigurationError(f"{name.upper()} is not set in this function's environment")
        return str(value)


@functools.cache
def get_settings() -> Settings:
    return Settings()
