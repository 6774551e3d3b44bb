"""The sandbox process: embedded AWS, hooks, deployed stacks, DRS emulator, web port.

``Sandbox.start()`` brings everything up in dependency order; ``Sandbox.stop()`` takes it down in
reverse. Both the CLI and the e2e tests (through the CLI, as a subprocess) use this.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.data.drs_data import ACCOUNTS, ORIGIN_REGION, SIMULATED_LABEL, Estate
from sandbox.data.names import (
    ENVIRONMENT,
    PROJECT,
    SLACK_BOT_TOKEN,
    SLACK_CHANNELS,
    SLACK_TEAM,
    SLACK_USER_EMAILS,
    SLACK_USER_GROUPS,
    SLACK_USERS,
)
from sandbox.data.outbox import Outbox
from sandbox.emulators import faults, hooks, iam_simulation, slack_fake
from sandbox.emulators.slack_fake import DEFAULT_CHANNEL as DEMO_CHANNEL
from sandbox.runtime import embedded_aws, hook_surfaces

if TYPE_CHECKING:  # imported in start(): moto must not be imported before the embedded AWS is set up
    from sandbox.emulators.drs_faults import FaultyDrsEmulator
    from sandbox.runtime.deploy import Deployment
    from sandbox.runtime.lambdas import LambdaRuntime
    from sandbox.runtime.scheduler import SchedulerRunner
    from sandbox.web.routes import WebServer

log = logging.getLogger("sandbox")
# Settings a template may leave to the code's production default that would make the sandbox slow
# (or, for the X-Ray tracer, talk to a daemon that is not there): applied to a function's
# environment only where its template sets no value.
FUNCTION_DEFAULTS = {
    "DRS_POLL_SECONDS": "2",
    "CLEANUP_CHECK_SECONDS": "2",  # the sandbox's DRS terminates in seconds (sandbox/emulators/drs.py)
    "POWERTOOLS_TRACE_DISABLED": "true",
}
FUNCTION_ROLES = {  # handler module -> key in /_sandbox/info "functions"
    "handlers.api": "api",
    "handlers.orchestrator": "orchestrator",
    "bot.app": "bot",
    "bot.notifier": "notifier",
}


@dataclass
class Sandbox:
    port: int
    aws_port: int
    host: str = "127.0.0.1"
    signing_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    estate: Estate = field(default_factory=Estate.demo)
    started_in: float = 0.0

    def __post_init__(self) -> None:
        self.base_url = f"http://{self.host}:{self.port}"
        self.aws_endpoint = embedded_aws.prepare_environment(self.aws_port)
        self.outbox = Outbox(self.base_url)
        self.slack = slack_fake.SlackRecorder(
            channels=SLACK_CHANNELS,
            users=[*SLACK_USERS.values(), slack_fake.BOT_USER],
            usergroups=SLACK_USER_GROUPS,
            emails=SLACK_USER_EMAILS,
        )
        self.aws: embedded_aws.EmbeddedAws | None = None
        self.web: WebServer | None = None
        self.runtime: LambdaRuntime | None = None
        self.drs_responder: hooks.Responder | None = None
        self.deployment: Deployment | None = None
        self.drs: FaultyDrsEmulator | None = None
        self.scheduler: SchedulerRunner | None = None
        self.functions: dict[str, str | None] = dict.fromkeys(("api", "orchestrator", "bot", "notifier"))
        self.slack_secret_arn = ""
        self.ready = False  # /_sandbox/info answers 503 until start() (and seeding) finished

    def start(self) -> None:
        began = time.monotonic()
        import boto3

        from sandbox.emulators import drs_faults
        from sandbox.runtime import deploy, drs_http, invoke_api, lambdas, scheduler, sns_delivery
        from sandbox.web import routes as web

        # Bind both ports first: a busy port must fail here, clearly, not after moto has started
        # (or, for the AWS port, silently share another sandbox's moto).
        faults.prepare()  # before any worker starts: they inherit its path from the environment
        embedded_aws.ensure_port_free(self.host, self.aws_port)
        self.web = web.WebServer(self)
        self.aws = embedded_aws.EmbeddedAws(self.aws_port, self.aws_endpoint)
        # The functions run in worker processes that reach AWS, Lambda Invoke and DRS over HTTP; the
        # hooks answer the same calls made in this process (moto's Step Functions engine, seeding).
        self.drs = drs_faults.FaultyDrsEmulator(self.estate)
        self.drs_responder = self.drs.responder()
        workers_environment = embedded_aws.client_environment(
            self.aws_endpoint, lambda_endpoint=self.base_url, drs_endpoint=self.base_url + drs_http.PREFIX
        )
        lambda_client = boto3.client("lambda")
        self.runtime = lambdas.LambdaRuntime(lambda_client, workers_environment, FUNCTION_DEFAULTS)
        hooks.install("lambda", invoke_api.responder(self.runtime))
        hooks.install("drs", self.drs_responder)
        faults.install_worker_hooks()
        # moto has no iam:SimulatePrincipalPolicy: answered here, where moto runs (the workers' IAM
        # calls reach this moto over HTTP), from the deployed roles' policies and deniedActions.
        iam_simulation.install(lambda: faults.current().deniedActions)
        hook_surfaces.install(self.drs.state, ACCOUNTS)  # SSM Automation, recovery instances' EC2 status
        self.aws.start()
        log.info("DRS: %s, accounts %s", SIMULATED_LABEL, ", ".join(ACCOUNTS))
        sns_delivery.SnsDelivery(self.outbox, self.runtime).install()
        self.web.start()
        self.slack_secret_arn = self._store_slack_secret(boto3.client("secretsmanager"))
        self.deployment = deploy.deploy_all(self.sandbox_values(), f"{PROJECT}-{ENVIRONMENT}")
        deploy.deploy_target_roles(self.deployment, list(ACCOUNTS[1:]), f"{PROJECT}-{ENVIRONMENT}")
        hook_surfaces.deploy_function()
        self._find_functions(lambda_client, self.deployment)
        group = self.deployment.outputs.get("ScheduleGroupName", f"{PROJECT}-{ENVIRONMENT}")
        self.scheduler = scheduler.SchedulerRunner(boto3.client("scheduler"), self.runtime, group)
        self.scheduler.start()
        self._bind_channels()
        self.started_in = time.monotonic() - began

    def stop(self) -> None:
        """Take everything down in reverse order, logging how long each part took, so a slow stop
        names the part that held it up."""
        parts = [
            ("scheduler", self.scheduler.stop if self.scheduler is not None else None),
            ("web port", self.web.stop if self.web is not None else None),
            ("Lambda workers", self.runtime.stop if self.runtime is not None else None),
            ("embedded AWS", self.aws.stop if self.aws is not None else None),
        ]
        for name, stop in parts:
            if stop is not None:
                began = time.monotonic()
                stop()
                log.info("stopped the %s in %.2f s", name, time.monotonic() - began)
        hooks.uninstall_all()
        iam_simulation.uninstall()
        hook_surfaces.uninstall()
        faults.discard()

    def sandbox_values(self) -> dict[str, str]:
        """Parameter values the sandbox supplies to the templates, by parameter name."""
        region = embedded_aws.REGION
        return {
            "ProjectName": PROJECT,
            "Environment": ENVIRONMENT,
            "CognitoUserPoolArn": f"arn:aws:cognito-idp:{region}:{ACCOUNTS[0]}:userpool/{region}_sandbox",
            "ApiGatewayUrl": f"{self.base_url}/api",
            "ApiUrl": f"{self.base_url}/api",
            "SlackSecretArn": self.slack_secret_arn,
            "SlackApiUrl": f"{self.base_url}/slack-api/",
            "SlackOperatorUserIds": SLACK_USERS["operator"],
            "OperatorUserIds": SLACK_USERS["operator"],
            "SlackTeamId": SLACK_TEAM,
            "SlackDefaultAccountId": ACCOUNTS[0],
            "SlackChannelId": DEMO_CHANNEL,
            "AlarmEmail": "ops@example.com",
            "DrsPollSeconds": "2",
        }

    def _bind_channels(self) -> None:
        """The second channel acts on the second account (the first acts on the default account),
        set as an operator sets it: ``/dr account`` typed there."""
        if self.web is not None and self.functions["bot"]:
            self.web.routes.slack_local.bind(list(SLACK_CHANNELS)[1], ACCOUNTS[1])

    def _store_slack_secret(self, secretsmanager: Any) -> str:
        """The Slack credentials as production keeps them: one JSON secret the bot reads at cold start."""
        value = {"signingSecret": self.signing_secret, "botToken": SLACK_BOT_TOKEN}
        name = f"{PROJECT}-{ENVIRONMENT}-slack"
        created = secretsmanager.create_secret(Name=name, SecretString=json.dumps(value))
        return str(created["ARN"])

    def started_runtime(self) -> LambdaRuntime:
        """The Lambda runtime the deployed functions run in, once :meth:`start` brought it up."""
        if self.runtime is None:
            raise RuntimeError("the sandbox has not started: no Lambda runtime yet")
        return self.runtime

    def _find_functions(self, lambda_client: Any, deployment: Deployment) -> None:
        for name in deployment.physical_ids("AWS::Lambda::Function").values():
            handler = lambda_client.get_function(FunctionName=name)["Configuration"]["Handler"]
            role = FUNCTION_ROLES.get(handler.rpartition(".")[0])
            if role:
                self.functions[role] = name

    def info(self) -> dict[str, Any]:
        outputs = self.deployment.outputs if self.deployment else {}
        resources = self.deployment.physical_ids if self.deployment else (lambda _: {})
        machines = list(resources("AWS::StepFunctions::StateMachine").values())
        return {
            "apiUrl": f"{self.base_url}/api",
            "slackEventsUrl": f"{self.base_url}/slack/events",
            "slackSigningSecret": self.signing_secret,
            "slackResponseUrl": f"{self.base_url}/slack-response",
            "slackUsers": dict(SLACK_USERS),
            "slackUserEmails": dict(SLACK_USER_EMAILS),
            "slackUserGroups": {group: list(members) for group, members in SLACK_USER_GROUPS.items()},
            "slackTeamId": SLACK_TEAM,
            "slackApiUrl": f"{self.base_url}/slack-api/",
            "slackChannelId": DEMO_CHANNEL,
            "slackChannels": {c["id"]: c["name"] for c in self.slack.channel_list()},
            "lambdaEndpoint": self.base_url,
            "awsEndpoint": self.aws_endpoint,
            "region": embedded_aws.REGION,
            "functions": dict(self.functions),
            "stateMachineArn": machines[0] if machines else None,
            "topicArn": outputs.get("ExecutionNotificationsTopicArn"),
            "reportsBucket": outputs.get("ReportsBucketName"),
            "tables": resources("AWS::DynamoDB::Table"),
            "accounts": list(ACCOUNTS),
            "sourceServers": self.estate.source_server_ids(),
            "onPremisesSourceServers": self.estate.on_premises_server_ids(),
            "regions": {"recovery": embedded_aws.REGION, "origin": ORIGIN_REGION},
            "failingSourceServers": self.estate.failing_server_ids(),
            "sourceServerTags": self.estate.tags(),
            "unhealthySourceServers": self.estate.unhealthy_server_ids(),
            "outboxUrl": f"{self.base_url}/outbox",
            "slackMessagesUrl": f"{self.base_url}/slack-local/messages.json",
            "faultsUrl": f"{self.base_url}/_sandbox/faults",
            "drs": {"simulated": True, "label": SIMULATED_LABEL},
            "drsStateUrl": f"{self.base_url}/_sandbox/drs-state",
            **hook_surfaces.info(),  # hookFunctions, automationDocuments
            "stacks": dict(self.deployment.stacks) if self.deployment else {},
            "startedInSeconds": round(self.started_in, 2),
        }
