"""/executions"""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from handlers.entry.callback_pages import SECURITY_HEADERS
from handlers.entry.routes.request import call, invoke, json_body, query, with_path_id
from handlers.reports.report_formats import checked_size

router = Router()  # type: ignore[no-untyped-call]


@router.post("/executions")
def start() -> Response[str]:
    return call(router, "start_execution", json_body(router), status=201)


@router.get("/executions")
def list_all() -> Response[str]:
    return call(router, "list_executions", query(router))


@router.get("/executions/<executionId>")
def get(executionId: str) -> Response[str]:
    return call(router, "get_execution", with_path_id(query(router), "executionId", executionId))


@router.post("/executions/<executionId>/cancel")
def cancel(executionId: str) -> Response[str]:
    return call(router, "cancel_execution", with_path_id(json_body(router), "executionId", executionId))


@router.post("/executions/<executionId>/resume")
def resume(executionId: str) -> Response[str]:
    return call(router, "resume_execution", with_path_id(json_body(router), "executionId", executionId))


@router.post("/executions/<executionId>/cleanup")
def cleanup(executionId: str) -> Response[str]:
    return call(router, "cleanup_execution", with_path_id(json_body(router), "executionId", executionId))


@router.get("/executions/<executionId>/report")
def report(executionId: str) -> Response[str]:
    """JSON by default; ``?format=html`` a printable page, ``?format=csv`` one row per server."""
    result = invoke(router, "get_execution_report", with_path_id(query(router), "executionId", executionId))
    if result.get("format") == "html":
        return Response(200, result["contentType"], result["content"], headers=SECURITY_HEADERS)
    if result.get("format") == "csv":
        filename = f"drs-report-{result['executionId']}.csv"
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
        return Response(200, result["contentType"], result["content"], headers=headers)
    return Response(200, "application/json", checked_size(json.dumps(result)))


@router.post("/executions/<executionId>/retry")
def retry(executionId: str) -> Response[str]:
    return call(router, "retry_wave", with_path_id(json_body(router), "executionId", executionId))


@router.post("/executions/<executionId>/skip")
def skip(executionId: str) -> Response[str]:
    return call(router, "skip_wave", with_path_id(json_body(router), "executionId", executionId))


@router.post("/executions/<executionId>/reverse-replication")
def reverse_replication(executionId: str) -> Response[str]:
    return call(router, "reverse_replication", with_path_id(json_body(router), "executionId", executionId))


@router.get("/executions/<executionId>/failback")
def failback(executionId: str) -> Response[str]:
    return call(router, "get_failback", with_path_id(query(router), "executionId", executionId))


@router.post("/executions/<executionId>/failback")
def start_failback(executionId: str) -> Response[str]:
    return call(router, "start_failback", with_path_id(json_body(router), "executionId", executionId), 201)


@router.post("/executions/<executionId>/failback/stop")
def stop_failback(executionId: str) -> Response[str]:
    return call(router, "stop_failback", with_path_id(json_body(router), "executionId", executionId))
