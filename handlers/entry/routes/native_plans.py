"""/native-recovery-plans, /recovery-plans/import-native, /recovery-plans/{planId}/export-native
(handlers/native_plans/)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from handlers.entry.routes.request import call, json_body, query, with_path_id

router = Router()  # type: ignore[no-untyped-call]


@router.get("/native-recovery-plans")
def list_native() -> Response[str]:
    return call(router, "list_native_recovery_plans", query(router))


@router.post("/recovery-plans/import-native")
def import_native() -> Response[str]:
    return call(router, "import_native_recovery_plan", json_body(router), status=201)


@router.post("/recovery-plans/<planId>/export-native")
def export_native(planId: str) -> Response[str]:
    return call(router, "export_native_recovery_plan", with_path_id(json_body(router), "planId", planId))
