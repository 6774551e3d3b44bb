"""``drs-chatops doctor``: the deployment's self-check, run after deploying and before a drill.

``drs-chatops doctor --stack <name> [--region R]`` checks a deployed stack with the operator's AWS
credentials; ``drs-chatops doctor --sandbox <url>`` checks a running sandbox (its endpoints from
``/_sandbox/info``). Both read the same facts the same way: the functions' names (stack outputs, or
the sandbox's ``functions``), then each function's own environment (``GetFunctionConfiguration``) for
its tables, topic, bucket, schedule group, roles and Slack secret, so the check sees what the
functions see.

Checks, each PASS / WARN / FAIL with what to do:

- ``stack``: the stack (or sandbox) answers with the outputs doctor needs.
- ``function:<name>``: each function answers a harmless invocation - api: ``list_protection_groups``
  of an account with no groups; bot: an unsigned Slack request (it must answer 401); notifier: an SNS
  event with no records. The orchestrator has no harmless invocation (every task acts on an
  execution), so its check is ``GetFunction`` with ``State: Active``.
- ``slack``: the bot token works (``auth.test``) and the bot is a member of every channel bound to an
  account (``users.conversations``); channels it is not in are named.
- ``subscriptions``: every notification subscription is confirmed; pending ones are named.
- ``schedules``: the schedule group exists and the scheduler role may invoke the orchestrator
  (``iam:SimulatePrincipalPolicy``).
- ``reports``: the reports bucket accepts a write (a small object, deleted again).
- ``permissions:<account>`` / ``drs_initialized:<account>``: for every account that has groups, the
  api function's ``check_permissions`` - readiness's checks of the role each run would use there.

Output: a table, or ``--json``. Exit 0 when nothing FAILs, 1 when something does, 2 for bad
arguments (argparse's errors, a URL that is not http(s), ``--stack`` with ``--sandbox``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Status = Literal["PASS", "WARN", "FAIL"]
FUNCTIONS = ("api", "orchestrator", "bot", "notifier")
STACK_OUTPUTS = {  # function -> the root stack's output naming it
    "api": "ApiFunctionName",
    "orchestrator": "OrchestratorFunctionName",
    "bot": "BotFunctionName",
    "notifier": "NotifierFunctionName",
}
NO_GROUPS_ACCOUNT = "000000000000"  # a harmless list: no account has this id


class DoctorArgs(BaseModel):
    """What the command line asked for (argparse reads it, pydantic checks it)."""

    model_config = ConfigDict(extra="forbid")

    stack: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    sandbox: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$", max_length=2048)
    json_output: bool = False

    @model_validator(mode="after")
    def _one_target(self) -> DoctorArgs:
        if (self.stack is None) == (self.sandbox is None):
            raise ValueError("give exactly one of --stack <name> or --sandbox <url>")
        if self.sandbox is not None and self.region is not None:
            raise ValueError("--region goes with --stack (the sandbox says its own region)")
        return self


@dataclass
class Result:
    check: str
    status: Status
    message: str
    fix: str = ""


@dataclass
class Target:
    """Where the deployment is and how to reach it."""

    functions: dict[str, str]
    region: str
    client: Callable[..., Any]  # service -> boto3 client
    invoker: Any  # a Lambda client for Invoke
    accounts: list[str]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", help="the deployed root stack's name")
    parser.add_argument("--region", help="the stack's region (default: your AWS configuration's)")
    parser.add_argument(
        "--sandbox", metavar="URL", help="a running sandbox's URL, e.g. http://127.0.0.1:8080"
    )
    parser.add_argument("--json", dest="json_output", action="store_true", help="print JSON, not a table")


def run(args: argparse.Namespace) -> int:
    try:
        options = DoctorArgs.model_validate(
            {k: getattr(args, k) for k in ("stack", "region", "sandbox", "json_output")}
        )
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors()
        )
        print(f"drs-chatops doctor: bad arguments: {reasons}", file=sys.stderr)
        return 2
    results = diagnose(options)
    print(
        json.dumps({"results": [asdict(r) for r in results]}, indent=2)
        if options.json_output
        else table(results)
    )
    return 1 if any(r.status == "FAIL" for r in results) else 0


def table(results: list[Result]) -> str:
    width = max(len(r.check) for r in results)
    lines = [f"{'CHECK'.ljust(width)}  STATUS  WHAT"]
    for r in results:
        lines.append(f"{r.check.ljust(width)}  {r.status.ljust(6)}  {r.message}")
        if r.fix and r.status != "PASS":
            lines.append(f"{''.ljust(width)}          -> {r.fix}")
    return "\n".join(lines)


def diagnose(options: DoctorArgs) -> list[Result]:
    try:
        target = (
            _sandbox(str(options.sandbox)) if options.sandbox else _stack(str(options.stack), options.region)
        )
    except Exception as exc:  # any way the stack or sandbox cannot be read is this check's FAIL
        where = options.sandbox or options.stack
        return [
            Result("stack", "FAIL", f"{where} could not be read: {exc}", "deploy it, or check the name/URL")
        ]
    results = [Result("stack", "PASS", f"found, functions {', '.join(sorted(target.functions.values()))}")]
    environment: dict[str, dict[str, str]] = {}
    for role, name in target.functions.items():
        results.append(
            _guarded(f"function:{role}", lambda r=role, n=name: _function(target, r, n, environment))
        )
    api_env = environment.get("api", {})
    bot_env = environment.get("bot", {})
    results.append(_guarded("slack", lambda: _slack(target, bot_env)))
    results.append(_guarded("subscriptions", lambda: _subscriptions(target, api_env)))
    results.append(_guarded("schedules", lambda: _schedules(target, api_env)))
    results.append(_guarded("reports", lambda: _reports(target, api_env)))
    results += _permissions(target, api_env)
    return results


def _guarded(check: str, probe: Callable[[], Result]) -> Result:
    """A probe that raises is that check's FAIL, naming the error (doctor itself never crashes)."""
    try:
        return probe()
    except Exception as exc:  # the report names what failed; doctor goes on with the other checks
        return Result(check, "FAIL", f"could not be checked: {type(exc).__name__}: {exc}")


# -- where ----------------------------------------------------------------------------------------
def _stack(name: str, region: str | None) -> Target:
    import boto3

    session = boto3.session.Session(region_name=region)
    cloudformation = session.client("cloudformation")
    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in cloudformation.describe_stacks(StackName=name)["Stacks"][0].get("Outputs", [])
    }
    missing = [key for key in STACK_OUTPUTS.values() if key not in outputs]
    if missing:
        raise ValueError(f"stack {name} lacks the outputs {', '.join(missing)} (is it cfn/root.yaml?)")
    functions = {role: outputs[key] for role, key in STACK_OUTPUTS.items()}
    account = session.client("sts").get_caller_identity()["Account"]
    return Target(functions, str(session.region_name), session.client, session.client("lambda"), [account])


def _sandbox(url: str) -> Target:
    import boto3

    with urllib.request.urlopen(url.rstrip("/") + "/_sandbox/info", timeout=10) as answer:  # noqa: S310 - http(s) checked
        info = json.loads(answer.read())
    region = str(info["region"])
    keys = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox", "region_name": region}

    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=info["awsEndpoint"], **keys)  # type: ignore[call-overload]

    functions = {role: str(name) for role, name in info["functions"].items() if name}
    invoker = boto3.client("lambda", endpoint_url=info["lambdaEndpoint"], **keys)  # type: ignore[call-overload]
    return Target(functions, region, client, invoker, list(info.get("accounts") or []))


# -- checks ---------------------------------------------------------------------------------------
def _invoke(target: Target, function: str, payload: dict[str, Any]) -> tuple[Any, str]:
    answer = target.invoker.invoke(FunctionName=function, Payload=json.dumps(payload).encode())
    return json.loads(answer["Payload"].read() or b"null"), str(answer.get("FunctionError") or "")


HARMLESS: dict[str, tuple[dict[str, Any], Callable[[Any], bool], str]] = {
    "api": (
        {"operation": "list_protection_groups", "body": {"accountId": NO_GROUPS_ACCOUNT}},
        lambda r: isinstance(r, dict) and "items" in r,
        "list_protection_groups answered",
    ),
    "bot": (
        {
            "httpMethod": "POST",
            "path": "/slack/events",
            "resource": "/slack/events",
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            "body": "",
            "isBase64Encoded": False,
            "requestContext": {"httpMethod": "POST", "resourcePath": "/slack/events"},
        },
        lambda r: isinstance(r, dict) and r.get("statusCode") == 401,
        "refused an unsigned Slack request (401), as it must",
    ),
    "notifier": ({"Records": []}, lambda r: r == {"notified": 0}, "an SNS event with no records answered"),
}


def _function(target: Target, role: str, name: str, environment: dict[str, dict[str, str]]) -> Result:
    check = f"function:{role}"
    configuration = target.client("lambda").get_function(FunctionName=name)["Configuration"]
    environment[role] = dict((configuration.get("Environment") or {}).get("Variables") or {})
    if role not in HARMLESS:
        state = configuration.get("State", "Active")
        if state != "Active":
            return Result(check, "FAIL", f"{name} is {state}", "see the function's StateReason and redeploy")
        return Result(check, "PASS", f"{name} is Active (GetFunction: it has no harmless invocation)")
    payload, accepts, said = HARMLESS[role]
    result, error = _invoke(target, name, payload)
    if error or not accepts(result):
        text = json.dumps(result)[:300]
        return Result(check, "FAIL", f"{name} answered {error or 'unexpectedly'}: {text}", "read its logs")
    return Result(check, "PASS", f"{name}: {said}")


def _slack(target: Target, bot_env: dict[str, str]) -> Result:
    from slack_sdk import WebClient

    token = bot_env.get("SLACK_BOT_TOKEN", "")
    if bot_env.get("SLACK_SECRET_ARN"):
        secret = target.client("secretsmanager").get_secret_value(SecretId=bot_env["SLACK_SECRET_ARN"])
        token = json.loads(secret["SecretString"]).get("botToken", "")
    if not token:
        return Result("slack", "FAIL", "the bot has no Slack token", "set the Slack secret's botToken")
    client = WebClient(token=token, base_url=bot_env.get("SLACK_API_URL") or "https://slack.com/api/")
    identity = client.auth_test()
    member: set[str] = set()
    cursor = ""
    while True:
        page = client.users_conversations(
            user=identity["user_id"], types="public_channel,private_channel", cursor=cursor, limit=200
        )
        member |= {c["id"] for c in page.get("channels", [])}
        cursor = (page.get("response_metadata") or {}).get("next_cursor", "")
        if not cursor:
            break
    bound = _scan(target, bot_env.get("CHANNEL_SETTINGS_TABLE", ""), "channelId")
    missing = sorted(bound - member)
    if missing:
        return Result(
            "slack",
            "FAIL",
            f"the bot is not in the bound channel(s) {', '.join(missing)}",
            "/invite the bot there",
        )
    return Result(
        "slack",
        "PASS",
        f"token works (team {identity.get('team_id')}); the bot is in all {len(bound)} bound channel(s)",
    )


def _subscriptions(target: Target, api_env: dict[str, str]) -> Result:
    topic = api_env["EXECUTION_NOTIFICATIONS_TOPIC_ARN"]
    sns = target.client("sns")
    pending: list[str] = []
    total = 0
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic):
        for subscription in page.get("Subscriptions", []):
            total += 1
            if subscription.get("SubscriptionArn") in {"PendingConfirmation", "Deleted"}:
                pending.append(str(subscription.get("Endpoint")))
    if pending:
        return Result(
            "subscriptions",
            "WARN",
            f"{len(pending)} subscription(s) not confirmed: {', '.join(sorted(pending))}",
            "ask each address to click the link in AWS's confirmation email",
        )
    return Result("subscriptions", "PASS", f"all {total} notification subscription(s) confirmed")


def _schedules(target: Target, api_env: dict[str, str]) -> Result:
    group, role, orchestrator = (
        api_env["SCHEDULE_GROUP_NAME"],
        api_env["SCHEDULER_ROLE_ARN"],
        api_env["ORCHESTRATOR_FUNCTION_ARN"],
    )
    target.client("scheduler").get_schedule_group(Name=group)
    results = target.client("iam").simulate_principal_policy(
        PolicySourceArn=role, ActionNames=["lambda:InvokeFunction"], ResourceArns=[orchestrator]
    )["EvaluationResults"]
    if not results or any(r["EvalDecision"] != "allowed" for r in results):
        return Result(
            "schedules",
            "FAIL",
            f"the scheduler role {role} may not invoke {orchestrator}",
            "redeploy cfn/orchestration.yaml's scheduler role",
        )
    return Result("schedules", "PASS", f"schedule group {group} exists; {role} may invoke the orchestrator")


def _reports(target: Target, api_env: dict[str, str]) -> Result:
    bucket = api_env["REPORTS_BUCKET"]
    s3 = target.client("s3")
    key = f"doctor/{int(time.time())}.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"drs-chatops doctor write check\n")
    s3.delete_object(Bucket=bucket, Key=key)
    return Result("reports", "PASS", f"bucket {bucket} accepted a write")


def _permissions(target: Target, api_env: dict[str, str]) -> list[Result]:
    try:
        accounts = sorted(_scan(target, api_env["PROTECTION_GROUPS_TABLE"], "accountId"))
    except Exception as exc:  # the table cannot be read: say so, go on
        return [Result("permissions", "FAIL", f"the groups could not be listed: {type(exc).__name__}: {exc}")]
    if not accounts:
        return [
            Result("permissions", "WARN", "no account has groups yet: nothing to check", "create a group")
        ]
    results: list[Result] = []
    for account in accounts:
        answer, error = _invoke(
            target,
            target.functions["api"],
            {"operation": "check_permissions", "body": {"accountId": account}},
        )
        if error or "checks" not in answer:
            results.append(
                Result(
                    f"permissions:{account}", "FAIL", f"check_permissions failed: {json.dumps(answer)[:300]}"
                )
            )
            continue
        for check in answer["checks"]:
            fix = "" if check["status"] == "PASS" else "see the message; the run would fail the same way"
            results.append(Result(f"{check['check']}:{account}", check["status"], check["message"], fix))
    return results


def _scan(target: Target, table: str, attribute: str) -> set[str]:
    found: set[str] = set()
    for page in (
        target.client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=table, ProjectionExpression=attribute)
    ):
        found |= {str(item[attribute]["S"]) for item in page.get("Items", []) if attribute in item}
    return found
