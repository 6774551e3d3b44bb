"""/recovery-plans/{planId}/readiness"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from handlers.entry.routes.request import call, query, with_path_id

router = Router()  # type: ignore[no-untyped-call]


@router.get("/recovery-plans/<planId>/readiness")
def readiness(planId: str) -> Response[str]:
    return call(router, "check_readiness", with_path_id(query(router), "planId", planId))
