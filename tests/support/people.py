"""One person behind several identities (a Slack user, a Cognito user with or without a verified
email, a direct invocation's ``decidedBy``): a two-wave plan naming approvers both ways, its drill
paused before wave 2, and API requests carrying exactly the Cognito claims a test gives."""

from __future__ import annotations

import json
from typing import Any

from tests.support.data import group_body, plan_body
from tests.support.events import LambdaContext, api_event, call_api


def plan_naming(*, approvers: list[str], principals: list[str], quorum: int = 2, **fields: Any) -> str:
    """A two-wave plan naming Slack ``approvers`` and API ``principals``, a drill needing ``quorum``
    votes: its id."""
    groups = [call_api("POST", "/protection-groups", group_body(f"Tier {i}"))[1]["groupId"] for i in range(2)]
    policy = {
        "approvers": approvers,
        "approverPrincipals": principals,
        "approvalQuorum": {"drill": quorum, "recovery": 2},
    }
    status, plan = call_api("POST", "/recovery-plans", plan_body(groups, **policy, **fields))
    assert status == 201, plan
    return str(plan["planId"])


def start_through_the_api(plan_id: str, user: str) -> str:
    status, execution = call_api("POST", "/executions", {"planId": plan_id}, user=user)
    assert status == 201, execution
    return str(execution["executionId"])


def votes_on(execution_id: str) -> list[str]:
    """Who has voted on the execution's open pause (``by`` of each vote), as the API shows it."""
    pending = call_api("GET", f"/executions/{execution_id}")[1].get("pendingApproval") or {}
    return [v["by"] for v in pending.get("votes", [])]


def call_with_claims(method: str, path: str, claims: dict[str, Any], body: Any = None) -> tuple[int, Any]:
    """An API Gateway request whose Cognito claims are exactly ``claims`` (plus the account claim),
    through ``handlers.api.lambda_handler``."""
    from handlers.api import lambda_handler

    event = api_event(method, path, body)
    account = event["requestContext"]["authorizer"]["claims"]["custom:accountId"]
    event["requestContext"]["authorizer"]["claims"] = {"custom:accountId": account, **claims}
    response = lambda_handler(event, LambdaContext())
    payload = response.get("body")
    return response["statusCode"], json.loads(payload) if payload else None
