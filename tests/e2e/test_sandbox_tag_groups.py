"""A tag group through the sandbox: created over ``/api/…`` as ``Tier=web``, listed with its servers,
run in a drill that succeeds, the execution recording the servers the tags resolved to."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import RunningSandbox
from tests.e2e.waiting import wait_until_finished

pytestmark = pytest.mark.e2e


def test_a_drill_of_a_tier_web_tag_group_succeeds_and_records_the_resolved_servers(
    sandbox: RunningSandbox,
) -> None:
    # Given the servers the sandbox tags Tier=web in the first account
    account = sandbox.info["accounts"][0]
    tags = sandbox.info["sourceServerTags"]
    web = sorted(s for s in sandbox.info["sourceServers"][account] if tags[s].get("Tier") == "web")
    assert web and not set(web) & set(sandbox.info["failingSourceServers"])
    # When a tag group selecting Tier=web is created over the REST API
    name = f"web by tag {uuid.uuid4().hex[:6]}"
    created = sandbox.api(
        "POST", "/protection-groups", {"groupName": name, "serverSelectionTags": {"Tier": "web"}}
    )
    assert created.status == 201, created.body
    group = created.json()
    # Then its servers are listed with hostname and replication state
    listed = sandbox.api("GET", f"/protection-groups/{group['groupId']}/servers").json()
    assert [s["sourceServerId"] for s in listed["items"]] == web
    assert all(s["hostname"].startswith("web-") and s["replicationState"] for s in listed["items"])
    # When a one-wave plan of it runs as a drill
    body = {"planName": name, "waves": [{"waveNumber": 1, "protectionGroupId": group["groupId"]}]}
    plan = sandbox.api("POST", "/recovery-plans", body)
    assert plan.status == 201, plan.body
    started = sandbox.api("POST", "/executions", {"planId": plan.json()["planId"], "isDrill": True})
    assert started.status == 201, started.body
    final = wait_until_finished(sandbox, started.json()["executionId"], timeout=60)
    # Then it succeeded, and the execution records the ids the tags resolved to at the wave's start
    assert final["status"] == "SUCCEEDED", final
    [wave] = final["waves"]
    assert wave["resolvedFromTags"] == {"Tier": "web"}
    assert sorted(s["sourceServerId"] for s in wave["servers"]) == web
    assert {s["launchStatus"] for s in wave["servers"]} == {"LAUNCHED"}
