"""Tag groups resolved against DRS: across pages (1,000 servers), and again at each wave's start, so a
server retagged meanwhile is what the wave launches and records. The real ASL on moto, the
orchestrator in process, the DRS emulator."""

from __future__ import annotations

from handlers.aws import drs
from tests.conftest import ACCOUNT_A, ACCOUNT_B
from tests.integration.test_executions import execution_status, start
from tests.support.data import group_body, plan_body, tag_group_body
from tests.support.drs import add_tagged_servers
from tests.support.events import call_api


def _describe_calls(aws) -> list[str]:
    return [c.operation for c in aws.drs.calls if c.operation == "DescribeSourceServers"]


def test_tags_are_resolved_across_every_page_of_1000_servers(aws):
    # Given 1,000 servers tagged App=erp among the account's others (some carrying only part of the tags)
    erp = add_tagged_servers(aws.drs, ACCOUNT_A, 1000, {"App": "erp", "Env": "prod"})
    add_tagged_servers(aws.drs, ACCOUNT_A, 30, {"App": "erp", "Env": "test"})
    add_tagged_servers(aws.drs, ACCOUNT_B, 5, {"App": "erp", "Env": "prod"})  # another account's
    client = drs.client_for(drs.target(ACCOUNT_A, "us-east-1"), "resolve-test")
    # When the tags are resolved
    resolved = drs.resolve_tags(client, {"App": "erp", "Env": "prod"})
    # Then exactly those 1,000 are found, reading every page (200 a page: 6 pages for 1,054 servers)
    assert resolved == erp
    total = len(aws.drs.estate.in_account(ACCOUNT_A))
    assert len(_describe_calls(aws)) == -(-total // drs.DESCRIBE_PAGE_SIZE) >= 6


def test_a_drill_of_a_tag_group_of_1000_servers_launches_and_records_them_all(orchestration, aws):
    servers = add_tagged_servers(aws.drs, ACCOUNT_A, 1000, {"App": "big-estate"})
    _, group = call_api("POST", "/protection-groups", tag_group_body("Big", {"App": "big-estate"}))
    _, plan = call_api("POST", "/recovery-plans", plan_body([group["groupId"]]))
    execution = start(plan)
    done = execution_status(execution["executionId"], {"SUCCEEDED", "FAILED"}, timeout=60)
    assert done["status"] == "SUCCEEDED", done
    [wave] = done["waves"]
    assert sorted(s["sourceServerId"] for s in wave["servers"]) == servers
    assert wave["resolvedFromTags"] == {"App": "big-estate"}
    assert len(wave["jobIds"]) == 10  # 100 servers a job: DRS's default servers-per-job quota


def test_a_server_retagged_before_its_wave_starts_is_what_the_wave_launches_and_records(orchestration, aws):
    # Given a plan whose second wave is a tag group and pauses before it starts
    first, second, third = add_tagged_servers(aws.drs, ACCOUNT_A, 3, {"Tier": "web-retag"})
    _, ids_group = call_api("POST", "/protection-groups", group_body("Db"))
    _, tag_group = call_api("POST", "/protection-groups", tag_group_body("Web", {"Tier": "web-retag"}))
    _, plan = call_api("POST", "/recovery-plans", plan_body([ids_group["groupId"], tag_group["groupId"]]))
    listed = call_api("GET", f"/protection-groups/{tag_group['groupId']}/servers")[1]
    assert [s["sourceServerId"] for s in listed["items"]] == [first, second, third]
    execution = start(plan)
    execution_status(execution["executionId"], {"PAUSED"})
    # When, during the pause, one server loses the tag and another gains it
    aws.drs.estate.retag(ACCOUNT_A, first, {"Tier": "retired"})
    [newcomer] = add_tagged_servers(aws.drs, ACCOUNT_A, 1, {"Tier": "web-retag"})
    assert call_api("POST", f"/executions/{execution['executionId']}/resume", {})[0] == 200
    done = execution_status(execution["executionId"], {"SUCCEEDED", "FAILED"})
    # Then the wave launched what was true at its start, and its record says so
    assert done["status"] == "SUCCEEDED", done
    wave = done["waves"][1]
    assert sorted(s["sourceServerId"] for s in wave["servers"]) == sorted([second, third, newcomer])
    assert wave["resolvedFromTags"] == {"Tier": "web-retag"}
    launched = {s["sourceServerID"] for body in aws.drs.started for s in body["sourceServers"]}
    assert first not in launched and newcomer in launched
    # and a wave of ids records no tags
    assert "resolvedFromTags" not in done["waves"][0] or done["waves"][0]["resolvedFromTags"] is None


def test_a_tag_group_that_selects_nothing_at_its_wave_start_fails_the_wave_saying_why(orchestration, aws):
    # Given a tag group whose tags no server carries (accepted at create time)
    _, group = call_api("POST", "/protection-groups", tag_group_body("Ghost", {"App": "decommissioned"}))
    _, plan = call_api("POST", "/recovery-plans", plan_body([group["groupId"]]))
    # When a drill runs, forced past readiness (which FAILs a group that selects nothing)
    done = execution_status(start(plan, force=True)["executionId"], {"SUCCEEDED", "FAILED"})
    # Then it fails, the wave naming the tags and the account it looked in, and nothing was launched
    assert done["status"] == "FAILED"
    [wave] = done["waves"]
    assert wave["status"] == "FAILED" and wave["servers"] == []
    assert "selects no source servers" in wave["message"] and "App=decommissioned" in wave["message"]
    assert ACCOUNT_A in wave["message"]
    assert "selects no source servers" in done["statusReason"]
    assert aws.drs.started == []


def test_drs_refusing_the_lookup_at_wave_start_fails_the_wave_naming_drs(orchestration, aws):
    from sandbox.data.drs_calls import DrsError

    add_tagged_servers(aws.drs, ACCOUNT_A, 2, {"App": "denied"})
    _, group = call_api("POST", "/protection-groups", tag_group_body("Denied", {"App": "denied"}))
    _, plan = call_api("POST", "/recovery-plans", plan_body([group["groupId"]]))

    def deny_lookups(call, body):
        if call.operation == "DescribeSourceServers":
            raise DrsError(403, "AccessDeniedException", "not authorized to perform DescribeSourceServers")

    aws.drs.before = deny_lookups
    done = execution_status(start(plan, force=True)["executionId"], {"SUCCEEDED", "FAILED"})
    assert done["status"] == "FAILED"
    [wave] = done["waves"]
    assert wave["status"] == "FAILED" and wave["resolvedFromTags"] == {"App": "denied"}
    assert "DRS DescribeSourceServers failed: AccessDeniedException" in wave["message"]
    assert aws.drs.started == []


def test_a_forced_run_launches_a_server_two_waves_select_only_once(orchestration, aws):
    # Given a server held by a group of ids (wave 1) and carrying the tags of the group of wave 2
    [shared] = add_tagged_servers(aws.drs, ACCOUNT_A, 1, {"Tier": "db-twice"})
    others = add_tagged_servers(aws.drs, ACCOUNT_A, 2, {"Tier": "db-twice"})
    _, ids_group = call_api("POST", "/protection-groups", group_body("Db ids", sourceServerIds=[shared]))
    _, tag_group = call_api("POST", "/protection-groups", tag_group_body("Db tags", {"Tier": "db-twice"}))
    body = plan_body([ids_group["groupId"], tag_group["groupId"]])
    for wave in body["waves"]:
        wave["pauseBeforeExecution"] = False
    _, plan = call_api("POST", "/recovery-plans", body)
    # When a drill is forced past readiness (which FAILs server_in_one_group)
    done = execution_status(start(plan, force=True)["executionId"], {"SUCCEEDED", "FAILED"})
    # Then the server was launched once, by wave 1; wave 2 launched the others and says why not it
    assert done["status"] == "SUCCEEDED", done
    launched = [s["sourceServerID"] for body in aws.drs.started for s in body["sourceServers"]]
    assert launched.count(shared) == 1
    wave = done["waves"][1]
    assert sorted(s["sourceServerId"] for s in wave["servers"]) == sorted(others)
    assert f"{shared} (wave 1)" in wave["message"] and "not launched again" in wave["message"]
