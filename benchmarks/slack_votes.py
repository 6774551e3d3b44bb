"""A vote through the Slack bot vs its floor, measured in the same run, moto in process. Targets:
median and p99 each <= 3x the floor's, over ``SAMPLES`` votes.

Each sample: an approver's Resume click opens the reason form; the signed ``view_submission`` goes
through ``bot.app.lambda_handler``, whose ack checks the form, and Bolt's lazy self-invocation
(``lambda.Invoke``, answered in process). Timed: that lazy invocation, which reads the channel's
account, the execution (with its pause's approval id) and the approval once each, checks the
approver, votes (one conditional write) and hands the decision to Step Functions, then tells the
voter in an ephemeral message on a local fake Slack Web API (tests/support/fake_slack.py). The pause
message is the notifier's to update, from the decision's announcement (bot/notifier.py); like the
email link's, the vote leaves recording the decision to the orchestrator. Quorum 1, so every vote
decides. The whole submission (ack + lazy) is reported too.

The floor makes the same AWS calls bare, with clients created up front: a strongly consistent read
of the execution, the vote's own conditional ``UpdateItem`` (its parameters captured from the vote,
made again on a copy of the approval as it was before the vote, returning it), and SendTaskSuccess
(benchmarks/decisions.py ``floor``). moto's cost of an update grows with its expression, so a
simpler write would make a floor no vote can reach."""

from __future__ import annotations

import os
import time
from typing import Any

from benchmarks import decisions
from benchmarks.support import ACCOUNT, REGION, moto_with_tables, quiet, verdict

SAMPLES = 500
BATCH = 10


def _bot_environment(fake: Any) -> None:
    from tests.support.slack_requests import OPERATOR, SIGNING_SECRET

    os.environ.update(
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_BOT_TOKEN="xoxb-bench-token",  # noqa: S106 - the local fake Slack's
        SLACK_API_URL=fake.base_url,
        SLACK_OPERATOR_IDS=OPERATOR,
    )
    from bot import app, credentials, delivery
    from handlers import aws
    from handlers.core.settings import get_settings

    for cached in (app.request_handler, credentials.slack_credentials, delivery.web_client):
        cached.cache_clear()
    get_settings.cache_clear()
    aws.reset()


def _plan() -> dict[str, Any]:
    from tests.support.data import ONE_APPROVER, group_body, plan_body
    from tests.support.events import invoke_direct
    from tests.support.slack_requests import APPROVER, CHANNEL

    group = invoke_direct("create_protection_group", {"accountId": ACCOUNT, **group_body("Bench Slack")})
    body = plan_body(
        [group["groupId"]], approvers=[APPROVER], approvalQuorum=ONE_APPROVER, slackChannelId=CHANNEL
    )
    return dict(invoke_direct("create_recovery_plan", {"accountId": ACCOUNT, **body}))


LAZY: list[float] = []  # durations of the bot's lazy self-invocations, in order


def _timed(handler: Any) -> Any:
    def lazy(event: Any, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return handler(event, context)
        finally:
            LAZY.append(time.perf_counter() - start)

    return lazy


def _vote_in_slack(fake: Any, approval_id: str) -> tuple[float, float]:
    """(the lazy vote, the whole submission) in seconds."""
    from bot import ids
    from bot.app import lambda_handler
    from handlers.repositories.approvals import ApprovalRepository
    from sandbox.data.slack_requests import view_submission
    from tests.support.slack_requests import APPROVER, BotContext, action_body, signed_event

    approval = ApprovalRepository().get(approval_id)
    assert approval is not None
    value = f"{approval.executionId}:{approval.waveNumber}"
    opened = len(fake.calls_to("views.open"))
    click = action_body(ids.APPROVAL_RESUME, value, user=APPROVER, response_url=fake.response_url())
    lambda_handler(signed_event(click), BotContext())
    assert len(fake.calls_to("views.open")) == opened + 1, "the reason form did not open"
    view = fake.calls_to("views.open")[-1]["view"]
    field = {"type": "plain_text_input", "value": "benchmark"}
    body = view_submission(
        user_id=APPROVER, user_name="bench", view=view, values={ids.BLOCK_REASON: {ids.ELEMENT: field}}
    )
    lazy_before = len(LAZY)
    start = time.perf_counter()
    response = lambda_handler(signed_event(body), BotContext())
    elapsed = time.perf_counter() - start
    decided = ApprovalRepository().get(approval_id)
    assert response["statusCode"] == 200 and decided is not None and decided.status == "RESUMED"
    assert len(LAZY) == lazy_before + 1, "the submission ran no lazy invocation"
    return LAZY[-1], elapsed


def measure() -> dict[str, float]:
    import boto3

    from bot.app import lambda_handler as bot_handler
    from handlers.accounts.channel_settings import set_channel_account
    from sandbox.emulators.emulator_guarantees import make_dynamodb_writes_atomic
    from tests.support.fake_slack import FakeSlack
    from tests.support.inprocess import lambda_functions
    from tests.support.slack_requests import CHANNEL, BotContext

    make_dynamodb_writes_atomic()
    samples: dict[str, list[float]] = {"slack": [], "submission": [], "floor": []}
    with moto_with_tables() as tables, quiet(), FakeSlack() as fake:
        _bot_environment(fake)
        set_channel_account(CHANNEL, ACCOUNT, by="@bench")
        tokens = decisions.Tokens()
        functions = {
            "collector": lambda event, _: tokens.collected.append(event["token"]),
            BotContext.function_name: _timed(bot_handler),
        }
        with lambda_functions(functions), decisions.VoteWrite(tables["APPROVALS_TABLE"]) as vote:
            plan = _plan()
            dynamodb = boto3.resource("dynamodb", region_name=REGION)
            table = dynamodb.Table(tables["APPROVALS_TABLE"])
            executions = dynamodb.Table(tables["EXECUTIONS_TABLE"])
            item: dict[str, Any] = {}
            for _ in range(SAMPLES // BATCH):
                batch = tokens.take(2 * BATCH)
                for i in range(BATCH):
                    approval_id = decisions.pause(plan, batch[2 * i])
                    item = item or table.get_item(Key={"approvalId": approval_id})["Item"]
                    lazy, whole = _vote_in_slack(fake, approval_id)
                    samples["slack"].append(lazy)
                    samples["submission"].append(whole)
                    read = (executions, str(item["executionId"]))
                    token = batch[2 * i + 1]
                    floor = decisions.floor(table, tokens.sfn, token, item, read, vote.params)
                    samples["floor"].append(floor)
    return decisions.latency_figures(samples)


def main() -> dict[str, float]:
    figures = measure()
    print(
        f"[slack votes] moto in process, fake Slack Web API, {SAMPLES} samples per path "
        "(each vote on its own live task token)"
    )
    for name, label in (
        ("slack", "the bot's lazy vote"),
        ("submission", "the whole submission (ack + lazy)"),
    ):
        print(
            f"  {label:55s} {figures[f'{name}_ms']:6.2f} ms median, {figures[f'{name}_p99_ms']:7.2f} ms p99"
        )
    floor = "floor: the same GetItem, UpdateItem, SendTaskSuccess, bare"
    print(f"  {floor:55s} {figures['floor_ms']:6.2f} ms median, {figures['floor_p99_ms']:7.2f} ms p99")
    ratio, p99 = figures["slack_ratio"], figures["slack_p99_ratio"]
    print(
        f"  median {ratio:.2f}x ({verdict(ratio, decisions.TARGET_RATIO)}), p99 {p99:.2f}x "
        f"({verdict(p99, decisions.TARGET_RATIO)}) of the floor (target <= {decisions.TARGET_RATIO}x)"
    )
    return figures


if __name__ == "__main__":
    main()
