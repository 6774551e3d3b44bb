"""Every operation of the api Lambda, in one table shared by REST routes and direct invocation.

An operation takes the caller and a body (a dict: ids, fields, list parameters), validates the body
with the operation's pydantic model, and calls one service function. Direct invocation looks the
operation up by name (docs/architecture.md, 3.1); REST routes (``handlers.entry.routes``) name the
same operations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from handlers.accounts.account_context import Caller, channel_of
from handlers.core.validation import parse
from handlers.models.approval import DecideApprovalRequest
from handlers.models.base import Model
from handlers.models.execution import DecideExecutionRequest, ExecutionRef, StartExecutionRequest
from handlers.models.protection_group import ProtectionGroupCreate, ProtectionGroupUpdate
from handlers.models.recovery_plan import RecoveryPlanCreate, RecoveryPlanUpdate
from handlers.pauses.approval_policy import voter_of
from handlers.plans import protection_groups as groups
from handlers.plans import recovery_plans as plans
from handlers.repositories.dynamo import Page
from handlers.runs import decisions, executions

# Keys that describe the caller, not the operation: consumed by the account context.
CONTEXT_KEYS = frozenset({"accountId", "requestedBy", "decidedBy"})

Operation = Callable[[Caller, dict[str, Any]], Any]


class GroupRef(Model):
    model_config = ConfigDict(extra="forbid")
    groupId: str = Field(min_length=1, max_length=128)


class PlanRef(Model):
    model_config = ConfigDict(extra="forbid")
    planId: str = Field(min_length=1, max_length=128)


class ListRequest(Model):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=50, ge=1, le=100)
    nextToken: str | None = Field(default=None, max_length=2048)


class ReportRequest(Model):
    model_config = ConfigDict(extra="forbid")
    executionId: str = Field(min_length=1, max_length=128)
    format: Literal["json", "html", "csv"] = "json"


class ExportRequest(Model):
    model_config = ConfigDict(extra="forbid")


class ImportRequest(Model):
    model_config = ConfigDict(extra="forbid")
    document: dict[str, Any]
    dryRun: bool = False


def operation_body(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in CONTEXT_KEYS}


def list_response(page: Page[Any]) -> dict[str, Any]:
    """A page as REST and direct invocation return it: ``{"items": [...], "nextToken"?}``."""
    body: dict[str, Any] = {"items": [_dump(item) for item in page.items]}
    if page.next_token:
        body["nextToken"] = page.next_token
    return body


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def create_protection_group(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    return _dump(groups.create_protection_group(caller, parse(ProtectionGroupCreate, body)))


def get_protection_group(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    return _dump(groups.get_protection_group(caller, parse(GroupRef, body).groupId))


def list_protection_groups(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    request = parse(ListRequest, body)
    return list_response(
        groups.list_protection_groups(caller, limit=request.limit, next_token=request.nextToken)
    )


def update_protection_group(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    return _dump(groups.update_protection_group(caller, parse(ProtectionGroupUpdate, body)))


def delete_protection_group(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    return groups.delete_protection_group(caller, parse(GroupRef, body).groupId)


def list_group_servers(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    from handlers.plans import group_servers

    return group_servers.list_group_servers(caller, parse(GroupRef, body).groupId)


def create_recovery_plan(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    return _with_native_export(plans.create_recovery_plan(caller, parse(RecoveryPlanCreate, body)))


def get_recovery_plan(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    plan_id = parse(PlanRef, body).planId
    return _dump(plans.get_recovery_plan(caller, plan_id, refresh_subscription=True))


def list_recovery_plans(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    request = parse(ListRequest, body)
    return list_response(plans.list_recovery_plans(caller, limit=request.limit, next_token=request.nextToken))


def update_recovery_plan(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    return _with_native_export(plans.update_recovery_plan(caller, parse(RecoveryPlanUpdate, body)))


def _with_native_export(plan: Any) -> dict[str, Any]:
    """A saved plan; one with ``exportNative`` is exported to DRS now (handlers/native_plans/), and
    the answer says how that went (``nativeExport``)."""
    body = _dump(plan)
    if plan.exportNative:
        from handlers.native_plans import exporting

        body["nativeExport"] = exporting.export_after_save(plan)
    return body


def list_native_recovery_plans(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    from handlers.native_plans import listing
    from handlers.native_plans.models import ListNativeRequest

    parse(ListNativeRequest, body)
    return listing.list_native_recovery_plans(caller)


def import_native_recovery_plan(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    from handlers.native_plans import importing
    from handlers.native_plans.models import ImportNativeRequest

    return importing.import_native_recovery_plan(caller, parse(ImportNativeRequest, body).recoveryPlanArn)


def export_native_recovery_plan(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    from handlers.native_plans import exporting
    from handlers.native_plans.models import ExportNativeRequest

    return exporting.export_native_recovery_plan(caller, parse(ExportNativeRequest, body).planId)


def delete_recovery_plan(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    return plans.delete_recovery_plan(caller, parse(PlanRef, body).planId)


# Export/import are rare operator calls: their service and models (a dozen pydantic classes) are
# imported on first use, not on every cold start.
def export_configuration(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    from handlers.plans import configuration

    parse(ExportRequest, body)
    return configuration.export_configuration(caller)


def import_configuration(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    from handlers.plans import configuration

    request = parse(ImportRequest, body)
    result = configuration.import_configuration(caller, request.document, request.dryRun)
    due = result.get("nativeExportsDue") or []
    if due:  # the break-glass copies of imported plans with exportNative, exported now
        from handlers.native_plans import exporting

        result["nativeExports"] = {
            plan_id: exporting.export_after_save(plans.get_recovery_plan(caller, plan_id)) for plan_id in due
        }
    return result


def start_execution(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    request = parse(StartExecutionRequest, body)
    execution = executions.start_execution(
        caller,
        request.planId,
        is_drill=request.isDrill,
        force=request.force,
        point_in_time=request.pointInTime,
    )
    return _dump(execution)


def check_readiness(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    from handlers.models.readiness import ReadinessRequest
    from handlers.readiness import readiness

    request = parse(ReadinessRequest, body)
    result = readiness.check_readiness(caller, request.planId, request.pointInTime)
    return result.model_dump(mode="json", exclude_none=True)  # a check names a server only if it is about one


def check_permissions(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    """Readiness's ``permissions`` and ``drs_initialized`` for every account and region the caller's
    groups use (direct invocation only; ``drs-chatops doctor`` asks it)."""
    from handlers.readiness import readiness_permissions

    parse(ExportRequest, body)  # nothing but the account
    return readiness_permissions.account_checks(caller)


def get_execution(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    return _dump(executions.get_execution(caller, parse(ExecutionRef, body).executionId))


def list_executions(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    request = parse(ListRequest, body)
    return list_response(
        executions.list_executions(caller, limit=request.limit, next_token=request.nextToken)
    )


def cancel_execution(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    request = parse(DecideExecutionRequest, body)
    return _dump(decisions.cancel_execution(caller, request.executionId, reason=request.reason))


def resume_execution(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    request = parse(DecideExecutionRequest, body)
    return _dump(decisions.resume_execution(caller, request.executionId, reason=request.reason))


def cleanup_execution(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    from handlers.cleanup import cleanup

    return _dump(cleanup.cleanup_execution(caller, parse(ExecutionRef, body).executionId))


def get_execution_report(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    """JSON: the report itself. HTML/CSV: ``{"executionId", "format", "contentType", "content"}``."""
    from handlers.reports import report_formats, reports

    request = parse(ReportRequest, body)
    # another account's execution is not found (get_execution), like a missing one
    report = reports.build_report(executions.get_execution(caller, request.executionId))
    if request.format == "json":
        return report
    render, content_type = {
        "html": (report_formats.to_html, "text/html; charset=utf-8"),
        "csv": (report_formats.to_csv, "text/csv; charset=utf-8"),
    }[request.format]
    return {
        "executionId": request.executionId,
        "format": request.format,
        "contentType": content_type,
        "content": render(report),
    }


def retry_wave(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    request = parse(DecideExecutionRequest, body)
    return _dump(decisions.retry_wave(caller, request.executionId, reason=request.reason))


def skip_wave(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    request = parse(DecideExecutionRequest, body)
    return _dump(decisions.skip_wave(caller, request.executionId, reason=request.reason))


def decide_approval(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    request = parse(DecideApprovalRequest, body)
    result = decisions.decide(
        request,
        by=caller.principal,
        via=channel_of(caller),
        account_id=caller.account_id,
        voter=voter_of(caller),
    )
    return _dump(result)


# Failback (handlers/failback/): rare production calls, their room loaded on first use.
def reverse_replication(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    from handlers.failback import cycle

    return cycle.reverse_replication(caller, parse(ExecutionRef, body).executionId)


def get_failback(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    from handlers.failback import cycle

    return cycle.get_failback(caller, parse(ExecutionRef, body).executionId)


def start_failback(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    from handlers.failback import cycle
    from handlers.models.execution import FailbackRequest

    request = parse(FailbackRequest, body)
    return _dump(cycle.start_failback(caller, request.executionId, reason=request.reason))


def stop_failback(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    from handlers.failback import cycle

    return cycle.stop_failback(caller, parse(ExecutionRef, body).executionId)


OPERATIONS: dict[str, Operation] = {
    "create_protection_group": create_protection_group,
    "get_protection_group": get_protection_group,
    "list_protection_groups": list_protection_groups,
    "update_protection_group": update_protection_group,
    "delete_protection_group": delete_protection_group,
    "list_group_servers": list_group_servers,
    "create_recovery_plan": create_recovery_plan,
    "get_recovery_plan": get_recovery_plan,
    "list_recovery_plans": list_recovery_plans,
    "update_recovery_plan": update_recovery_plan,
    "delete_recovery_plan": delete_recovery_plan,
    "list_native_recovery_plans": list_native_recovery_plans,
    "import_native_recovery_plan": import_native_recovery_plan,
    "export_native_recovery_plan": export_native_recovery_plan,
    "start_execution": start_execution,
    "check_readiness": check_readiness,
    "check_permissions": check_permissions,
    "get_execution": get_execution,
    "list_executions": list_executions,
    "cancel_execution": cancel_execution,
    "resume_execution": resume_execution,
    "retry_wave": retry_wave,
    "skip_wave": skip_wave,
    "decide_approval": decide_approval,
    "cleanup_execution": cleanup_execution,
    "get_execution_report": get_execution_report,
    "export_configuration": export_configuration,
    "import_configuration": import_configuration,
    "reverse_replication": reverse_replication,
    "get_failback": get_failback,
    "start_failback": start_failback,
    "stop_failback": stop_failback,
}


# Operations that record who acted (createdBy, startedBy, "cancelled by", decidedBy): a direct
# invocation of one of them must say who acts (``requestedBy``/``decidedBy``).
ACTOR_OPERATIONS = frozenset(
    {
        "create_protection_group",
        "create_recovery_plan",
        "start_execution",
        "cancel_execution",
        "resume_execution",
        "retry_wave",
        "skip_wave",
        "decide_approval",
        "import_configuration",
        "import_native_recovery_plan",
        "cleanup_execution",
        "reverse_replication",
        "start_failback",
        "stop_failback",
    }
)


def run(name: str, caller: Caller, body: dict[str, Any]) -> Any:
    return OPERATIONS[name](caller, operation_body(body))
