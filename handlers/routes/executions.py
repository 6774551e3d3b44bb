"""/executions"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from handlers.routes.request import call, json_body, query, with_path_id

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


@router.post("/executions/<executionId>/retry")
def retry(executionId: str) -> Response[str]:
    return call(router, "retry_wave", with_path_id(json_body(router), "executionId", executionId))


@router.post("/executions/<executionId>/skip")
def skip(executionId: str) -> Response[str]:
    return call(router, "skip_wave", with_path_id(json_body(router), "executionId", executionId))
