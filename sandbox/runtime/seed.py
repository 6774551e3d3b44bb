"""Demo data, created through the api Lambda (direct invocation), never by writing tables:
three Protection Groups in the first demo account and a three-wave plan that pauses before wave 2,
with an email subscriber and the demo Slack channel."""

from __future__ import annotations

import json
import logging
from typing import Any

from sandbox.data.drs_data import ACCOUNTS, Estate
from sandbox.emulators.slack_fake import DEFAULT_CHANNEL

log = logging.getLogger("sandbox.runtime.seed")
SUBSCRIBER = "dr-team@example.com"
# (name, first index among the account's healthy servers): each group's servers carry the matching
# ``Tier`` tag (sandbox/data/drs_data.py: app 0-7, web 8-15, db 16-23).
TIERS = (("Database tier", 16), ("Application tier", 0), ("Web tier", 8))
SERVERS_PER_GROUP = 4


class SeedError(RuntimeError):
    pass


def seed(runtime: Any, api_function: str, estate: Estate) -> dict[str, Any]:
    account = ACCOUNTS[0]
    servers = estate.healthy_server_ids(account)

    def call(operation: str, body: dict[str, Any]) -> dict[str, Any]:
        result = runtime.invoke(
            api_function,
            {"operation": operation, "body": {"accountId": account, "requestedBy": "sandbox seed", **body}},
        )
        payload = json.loads(result.payload)
        if result.function_error or (isinstance(payload, dict) and "error" in payload):
            raise SeedError(f"seeding {operation} failed: {payload}")
        return dict(payload)

    groups = [
        call(
            "create_protection_group",
            {
                "groupName": name,
                "description": "demo group (simulated DRS source servers)",
                "sourceServerIds": servers[start : start + SERVERS_PER_GROUP],
            },
        )
        for name, start in TIERS
    ]
    waves = [
        {"waveNumber": n, "protectionGroupId": g["groupId"], "pauseBeforeExecution": n == 2}
        for n, g in enumerate(groups, start=1)
    ]
    plan = call(
        "create_recovery_plan",
        {
            "planName": "Payments failover",
            "description": "demo: database, then (after approval) application, then web",
            "waves": waves,
            "notificationEmail": SUBSCRIBER,
            "slackChannelId": DEFAULT_CHANNEL,
            "targetRtoMinutes": 30,
        },
    )
    log.info("seeded %d groups and plan %r in account %s", len(groups), plan.get("planName"), account)
    return {"groups": groups, "plan": plan}
