"""``drs-chatops config export|import``, with ``lambda.Invoke`` routed in process to the api Lambda.

moto's Lambda wants Docker, so a botocore ``before-send.lambda.Invoke`` handler on the default boto3
session hands the request to ``handlers.api.lambda_handler`` (docs/architecture.md)."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from scripts.cli import main
from tests.conftest import ACCOUNT_A
from tests.support.data import group_body, server_id
from tests.support.drs import drs_emulator
from tests.support.events import LambdaContext, invoke_direct


class _Body(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


@pytest.fixture
def invocations(aws, monkeypatch) -> Iterator[list[str]]:
    """Route lambda.Invoke to the api Lambda in process; yields the URLs invoked."""
    from handlers.api import lambda_handler

    calls: list[str] = []

    def route(request: Any, **_: Any) -> AWSResponse:
        calls.append(request.url)
        result = lambda_handler(json.loads(request.body), LambdaContext())
        return AWSResponse(request.url, 200, {}, _Body(json.dumps(result).encode()))

    monkeypatch.setenv("DRS_API_FUNCTION", "drs-chatops-api-test")
    boto3.setup_default_session(region_name="us-east-1")
    boto3.DEFAULT_SESSION.events.register_first("before-send.lambda.Invoke", route)
    with drs_emulator(aws.drs, boto3.DEFAULT_SESSION):  # the new session's clients reach DRS too
        yield calls
    boto3.DEFAULT_SESSION = None


def _config(*args: str) -> int:
    return main(["config", *args, "--account-id", ACCOUNT_A])


def _group_count() -> int:
    return len(invoke_direct("list_protection_groups", {"accountId": ACCOUNT_A})["items"])


def _document(groups: list[dict[str, Any]]) -> dict[str, Any]:
    return {"formatVersion": 1, "accountId": ACCOUNT_A, "protectionGroups": groups, "recoveryPlans": []}


def _group_item(name: str = "Imported") -> dict[str, Any]:
    return {
        "groupId": str(uuid.uuid4()),
        "groupName": name,
        "accountId": ACCOUNT_A,
        "region": "us-east-1",
        "sourceServerIds": [server_id()],
    }


def test_export_writes_the_accounts_document_to_the_file(invocations, tmp_path, capsys):
    # Given a group in account A
    group = invoke_direct("create_protection_group", {"accountId": ACCOUNT_A, **group_body("Db")})
    target = tmp_path / "config.json"
    # When the operator exports
    code = _config("export", str(target))
    # Then the file holds the group, the DRS_API_FUNCTION function was invoked, a summary printed
    assert code == 0
    assert json.loads(target.read_text())["protectionGroups"] == [group]
    assert invocations and "drs-chatops-api-test" in invocations[0]
    assert "Exported 1 protection group(s) and 0 recovery plan(s)" in capsys.readouterr().out


def test_import_prints_what_it_created_updated_and_skipped(invocations, tmp_path, capsys):
    # Given an exported group, renamed in the file, plus a new group
    invoke_direct("create_protection_group", {"accountId": ACCOUNT_A, **group_body("Old name")})
    source = tmp_path / "config.json"
    _config("export", str(source))
    document = json.loads(source.read_text())
    document["protectionGroups"][0]["groupName"] = "New name"
    new = _group_item()
    document["protectionGroups"].append(new)
    source.write_text(json.dumps(document))
    capsys.readouterr()
    # When the operator imports it
    code = _config("import", str(source))
    # Then both changes are applied and the summary names them
    assert code == 0
    out = capsys.readouterr().out
    assert "protection groups: 1 created, 1 updated, 0 skipped" in out
    assert f"created {new['groupId']}" in out
    assert _group_count() == 2


def test_dry_run_writes_nothing(invocations, tmp_path, capsys):
    # Given a file with one new group
    source = tmp_path / "config.json"
    source.write_text(json.dumps(_document([_group_item()])))
    # When it is imported with --dry-run
    code = _config("import", str(source), "--dry-run")
    # Then it reports the creation as a dry run and nothing is stored
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("Dry run (nothing was written)") and "1 created" in out
    assert _group_count() == 0


def test_a_file_that_is_not_json_exits_2_without_calling_the_function(invocations, tmp_path, capsys):
    # Given a file that is not JSON
    source = tmp_path / "broken.json"
    source.write_text("{not json")
    # When it is imported
    code = _config("import", str(source))
    # Then the command says so, exits 2 and never invoked the function
    assert code == 2
    assert "broken.json is not valid JSON" in capsys.readouterr().err
    assert invocations == []


def test_an_invalid_document_exits_2_naming_the_field(invocations, tmp_path, capsys):
    # Given a document with a malformed source server id
    item = _group_item()
    item["sourceServerIds"] = ["bogus"]
    source = tmp_path / "config.json"
    source.write_text(json.dumps(_document([item])))
    # When it is imported
    code = _config("import", str(source))
    # Then exit 2, the message names the field, nothing invoked or stored
    assert code == 2
    assert "protectionGroups.0.sourceServerIds" in capsys.readouterr().err
    assert invocations == [] and _group_count() == 0


def test_a_document_the_function_refuses_exits_2_with_its_reasons(invocations, tmp_path, capsys):
    # Given a well-formed document whose plan uses a group that exists nowhere
    plan = {
        "planId": "p-1",
        "planName": "Orphan",
        "accountId": ACCOUNT_A,
        "waves": [{"waveNumber": 1, "protectionGroupId": "missing-group"}],
    }
    source = tmp_path / "config.json"
    source.write_text(json.dumps({**_document([]), "recoveryPlans": [plan]}))
    # When it is imported
    code = _config("import", str(source))
    # Then the function's reason is shown and the exit code is 2
    assert code == 2
    assert "missing-group" in capsys.readouterr().err


def test_a_file_of_another_account_exits_2(invocations, tmp_path, capsys):
    # Given a document of another account
    source = tmp_path / "config.json"
    source.write_text(json.dumps({**_document([]), "accountId": "222222222222"}))
    # When it is imported for account A
    code = _config("import", str(source))
    # Then it is refused before any call
    assert code == 2 and invocations == []
    assert "--account-id" in capsys.readouterr().err


@pytest.mark.parametrize("account", ["12345", "12345678901a", "1234567890123"])
def test_an_account_id_that_is_not_12_digits_exits_2(invocations, tmp_path, capsys, account):
    # When the operator passes a malformed account id
    code = main(["config", "export", str(tmp_path / "out.json"), "--account-id", account])
    # Then the command refuses naming the argument
    assert code == 2 and "account_id" in capsys.readouterr().err
    assert invocations == []


def test_a_missing_function_name_exits_2_saying_how_to_give_one(invocations, tmp_path, capsys, monkeypatch):
    # Given neither --function-name nor DRS_API_FUNCTION
    monkeypatch.delenv("DRS_API_FUNCTION")
    # When the operator exports
    code = _config("export", str(tmp_path / "out.json"))
    # Then the refusal says where the name comes from
    assert code == 2 and "DRS_API_FUNCTION" in capsys.readouterr().err


def test_function_name_flag_wins_over_the_environment(invocations, tmp_path):
    # When the operator names the function explicitly
    _config("export", str(tmp_path / "out.json"), "--function-name", "other-api")
    # Then that function is invoked
    assert "other-api" in invocations[0]
