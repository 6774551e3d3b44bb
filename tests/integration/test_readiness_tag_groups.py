"""Readiness resolves tag groups (``serverSelectionTags``) in DRS, in the group's account, the way a
run does (handlers/plans/group_servers.py), and checks every server they select: a tag group
that selects nothing FAILs naming it and its tags, a STALLED server selected by tags FAILs
``replication_healthy``, and a server in an id group and a tag group of one plan FAILs
``server_in_one_group``. ``POST /executions`` runs readiness first, so each start is refused
``NOT_READY`` and nothing is launched. On moto and the DRS emulator (tests/support/drs.py)."""

from __future__ import annotations

from typing import Any

from tests.conftest import ACCOUNT_A
from tests.support.data import group_body, plan_body, tag_group_body
from tests.support.drs import add_tagged_servers
from tests.support.events import call_api, invoke_direct


def _plan(*group_bodies: dict[str, Any]) -> dict[str, Any]:
    groups = []
    for body in group_bodies:
        status, group = call_api("POST", "/protection-groups", body)
        assert status == 201, group
        groups.append(group["groupId"])
    body = plan_body(groups)
    for wave in body["waves"]:
        wave["pauseBeforeExecution"] = False
    status, plan = call_api("POST", "/recovery-plans", body)
    assert status == 201, plan
    return dict(plan)


def _readiness(plan: dict[str, Any]) -> dict[str, Any]:
    status, readiness = call_api("GET", f"/recovery-plans/{plan['planId']}/readiness")
    assert status == 200, readiness
    return dict(readiness)


def _failures(readiness: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [c for c in readiness["checks"] if c["check"] == check and c["status"] == "FAIL"]


def _refused(aws: Any, plan: dict[str, Any]) -> dict[str, Any]:
    """A drill of ``plan`` asked for over REST: refused NOT_READY, nothing recorded or launched."""
    status, error = call_api("POST", "/executions", {"planId": plan["planId"]})
    assert (status, error["error"]) == (409, "NOT_READY"), error
    assert call_api("GET", "/executions")[1]["items"] == []
    assert aws.drs.started == []
    return dict(error)


def test_a_tag_group_that_selects_nothing_fails_readiness_naming_it_and_its_tags(aws):
    # Given a plan whose second wave is a tag group no server's tags match
    plan = _plan(group_body("Database tier"), tag_group_body("Ghost", {"App": "decommissioned"}))
    # When its readiness is read (REST and direct invocation)
    rest = _readiness(plan)
    direct = invoke_direct("check_readiness", {"accountId": ACCOUNT_A, "planId": plan["planId"]})
    # Then it is not ready: one FAIL naming the wave, the group, its tags and the account asked
    for readiness in (rest, direct):
        assert readiness["ready"] is False
        [failure] = _failures(readiness, "server_exists")
        assert failure["waveNumber"] == 2
        assert "protection group Ghost selects no source servers" in failure["message"]
        assert "App=decommissioned" in failure["message"] and ACCOUNT_A in failure["message"]
    # and a drill is refused before anything starts
    assert "Ghost selects no source servers" in _refused(aws, plan)["message"]


def test_a_stalled_server_selected_by_tags_fails_readiness_and_its_drill_is_refused(aws):
    # Given a tag group selecting a healthy server and one whose replication STALLED
    [healthy] = add_tagged_servers(aws.drs, ACCOUNT_A, 1, {"Tier": "web-stalled"})
    stalled = next(s for s in aws.drs.estate.unhealthy_server_ids() if aws.drs.estate.find(ACCOUNT_A, s))
    aws.drs.estate.retag(ACCOUNT_A, stalled, {"Tier": "web-stalled"})
    plan = _plan(tag_group_body("Web", {"Tier": "web-stalled"}))
    # When its readiness is read
    readiness = _readiness(plan)
    # Then the stalled server FAILs replication_healthy through its group, and the healthy one passes
    assert readiness["ready"] is False
    [failure] = _failures(readiness, "replication_healthy")
    assert failure["sourceServerId"] == stalled and "replication STALLED" in failure["message"]
    assert "group Web (wave 1)" in failure["message"]
    assert healthy not in str(readiness["checks"])
    # and its drill is refused NOT_READY naming it: nothing launches the stalled server
    assert stalled in str(_refused(aws, plan)["checks"])


def test_a_server_in_an_id_group_and_a_tag_group_of_one_plan_fails_server_in_one_group(aws):
    # Given a server held by a group of ids, and carrying the tags of another group of the plan
    [shared] = add_tagged_servers(aws.drs, ACCOUNT_A, 1, {"Tier": "db-shared"})
    others = add_tagged_servers(aws.drs, ACCOUNT_A, 2, {"Tier": "db-shared"})
    plan = _plan(
        {"groupName": "Database ids", "sourceServerIds": [shared]},
        tag_group_body("Database tags", {"Tier": "db-shared"}),
    )
    # When its readiness is read
    readiness = _readiness(plan)
    # Then that server FAILs server_in_one_group, naming both groups and waves; the others do not
    assert readiness["ready"] is False
    [failure] = _failures(readiness, "server_in_one_group")
    assert failure["sourceServerId"] == shared
    assert "group Database ids (wave 1)" in failure["message"]
    assert "group Database tags (wave 2)" in failure["message"]
    assert not any(s in str(readiness["checks"]) for s in others)
    # and a drill, which would launch it twice, is refused
    assert shared in str(_refused(aws, plan)["checks"])


def test_a_healthy_tag_group_is_ready_and_counts_its_servers_in_the_quotas(aws):
    servers = add_tagged_servers(aws.drs, ACCOUNT_A, 3, {"Tier": "web-healthy"})
    plan = _plan(tag_group_body("Web", {"Tier": "web-healthy"}))
    readiness = _readiness(plan)
    assert readiness["ready"] is True, readiness
    [quotas] = [c for c in readiness["checks"] if c["check"] == "quotas"]
    assert f"largest wave {len(servers)} servers" in quotas["message"]
