"""/protection-groups/{groupId}/servers"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from handlers.entry.routes.request import call, query, with_path_id

router = Router()  # type: ignore[no-untyped-call]


@router.get("/protection-groups/<groupId>/servers")
def list_servers(groupId: str) -> Response[str]:
    return call(router, "list_group_servers", with_path_id(query(router), "groupId", groupId))
