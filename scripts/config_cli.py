"""``drs-chatops config export FILE`` / ``drs-chatops config import FILE [--dry-run]``.

Both call the api Lambda by direct invocation (``{"operation": ..., "body": {...}}``,
docs/architecture.md 3.1) through the Lambda Invoke API, so they work against AWS and against the
local sandbox (``--endpoint-url``). An import file is checked here first (valid JSON, the same
pydantic model the Lambda uses) so a broken file fails fast without a call; the Lambda checks it
again against the tables. Exit codes: 0 done, 1 the call failed, 2 bad arguments or a document that
is not valid.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic_settings import BaseSettings, SettingsConfigDict

from handlers.core.validation import describe
from handlers.models.configuration import ConfigurationDocument
from handlers.models.fields import ACCOUNT_ID_PATTERN

EXIT_FAILED = 1
EXIT_INVALID = 2
# Who acts, as recorded in the audit trail of what an import creates (createdBy).
ACTOR = "drs-chatops config CLI"


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class CliEnvironment(BaseSettings):
    """The one environment variable this command reads."""

    model_config = SettingsConfigDict(extra="ignore")
    drs_api_function: str | None = None


class ConfigCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["export", "import"]
    file: Path
    account_id: Annotated[str, StringConstraints(pattern=ACCOUNT_ID_PATTERN)]
    function_name: Annotated[str, StringConstraints(min_length=1, max_length=170)]
    region: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")] | None = None
    endpoint_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = None
    dry_run: bool = Field(default=False)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="write the account's groups and plans to FILE")
    imported = actions.add_parser("import", help="create/update groups and plans from FILE")
    imported.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    for sub in (export, imported):
        sub.add_argument("file", help="the JSON document")
        sub.add_argument("--account-id", required=True, help="the 12-digit account to export/import")
        sub.add_argument("--function-name", help="the api Lambda (default: $DRS_API_FUNCTION)")
        sub.add_argument("--region", help="AWS region (default: the AWS configuration's)")
        sub.add_argument("--endpoint-url", help="Lambda endpoint, e.g. the sandbox's lambdaEndpoint")


def run(args: argparse.Namespace) -> int:
    try:
        command = _command(args)
        if command.action == "export":
            return _export(command)
        return _import(command)
    except CliError as exc:
        print(f"drs-chatops config {args.action}: {exc}", file=sys.stderr)
        return exc.exit_code


def _command(args: argparse.Namespace) -> ConfigCommand:
    try:
        return ConfigCommand(
            action=args.action,
            file=Path(args.file),
            account_id=args.account_id,
            function_name=args.function_name or CliEnvironment().drs_api_function or "",
            region=args.region,
            endpoint_url=args.endpoint_url,
            dry_run=getattr(args, "dry_run", False),
        )
    except pydantic.ValidationError as exc:
        message = describe(exc).replace(
            "function_name: ", "function_name (--function-name or DRS_API_FUNCTION): "
        )
        raise CliError(f"invalid arguments: {message}", EXIT_INVALID) from exc


def _export(command: ConfigCommand) -> int:
    document = invoke(command, "export_configuration", {})
    try:
        command.file.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    except OSError as exc:
        raise CliError(f"cannot write {command.file}: {exc.strerror}") from exc
    groups, plans = len(document.get("protectionGroups", [])), len(document.get("recoveryPlans", []))
    print(
        f"Exported {groups} protection group(s) and {plans} recovery plan(s) "
        f"of account {command.account_id} to {command.file}"
    )
    return 0


def _import(command: ConfigCommand) -> int:
    document = read_document(command.file, command.account_id)
    result = invoke(command, "import_configuration", {"document": document, "dryRun": command.dry_run})
    print(summary(command, result))
    return 0


def read_document(path: Path, account_id: str) -> dict[str, Any]:
    """The file as JSON, checked with the Lambda's own model; any problem is an exit-2 error."""
    try:
        document = json.loads(path.read_text())
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", EXIT_INVALID) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CliError(f"{path} is not valid JSON: {exc}", EXIT_INVALID) from exc
    try:
        parsed = ConfigurationDocument.model_validate(document)
    except pydantic.ValidationError as exc:
        raise CliError(f"{path} is not a valid configuration document: {describe(exc, limit=20)}", 2) from exc
    if parsed.accountId != account_id:
        raise CliError(f"{path} holds account {parsed.accountId}, not --account-id {account_id}", 2)
    return dict(document)


def invoke(command: ConfigCommand, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    """Call the api Lambda directly; the function's error object becomes a :class:`CliError`."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    event = {"operation": operation, "body": {"accountId": command.account_id, "requestedBy": ACTOR, **body}}
    try:
        client = boto3.client("lambda", region_name=command.region, endpoint_url=command.endpoint_url)
        response = client.invoke(FunctionName=command.function_name, Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read() or b"null")
    except (BotoCoreError, ClientError) as exc:
        raise CliError(f"could not invoke {command.function_name}: {exc}") from exc
    if response.get("FunctionError"):
        detail = payload.get("errorMessage", "") if isinstance(payload, dict) else ""
        raise CliError(f"{command.function_name} failed: {detail or 'see its logs'}")
    if not isinstance(payload, dict):
        raise CliError(f"{command.function_name} returned an unexpected answer")
    if "error" in payload:
        code = EXIT_INVALID if payload["error"] == "VALIDATION_ERROR" else EXIT_FAILED
        raise CliError(f"{payload['error']}: {payload.get('message', '')}", code)
    return payload


def summary(command: ConfigCommand, result: dict[str, Any]) -> str:
    """A few lines a human reads: counts per outcome, then the ids that changed."""
    heading = "Dry run (nothing was written)" if result.get("dryRun") else "Imported"
    lines = [f"{heading}: {command.file} into account {command.account_id}"]
    for kind, label in (("protectionGroups", "protection groups"), ("recoveryPlans", "recovery plans")):
        counts = {
            outcome: result.get(outcome, {}).get(kind, []) for outcome in ("created", "updated", "skipped")
        }
        lines.append(f"  {label}: " + ", ".join(f"{len(ids)} {outcome}" for outcome, ids in counts.items()))
        for outcome in ("created", "updated"):
            lines += [f"    {outcome} {item_id}" for item_id in counts[outcome]]
    return "\n".join(lines)
