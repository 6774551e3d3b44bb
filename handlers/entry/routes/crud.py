"""The five CRUD routes of a resource (/protection-groups, /recovery-plans), each naming one
operation of ``handlers.entry.operations``."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from handlers.entry.routes.request import call, json_body, query, with_path_id


def crud_router(path: str, id_key: str, noun: str) -> Router:
    """Routes ``POST/GET path`` and ``GET/PUT/DELETE path/{id_key}`` to ``<verb>_<noun>``."""
    router = Router()  # type: ignore[no-untyped-call]
    item_path = f"{path}/<{id_key}>"

    @router.post(path)
    def create() -> Response[str]:
        return call(router, f"create_{noun}", json_body(router), status=201)

    @router.get(path)
    def list_all() -> Response[str]:
        return call(router, f"list_{noun}s", query(router))

    @router.get(item_path)
    def get(**path_params: Any) -> Response[str]:
        return call(router, f"get_{noun}", with_path_id(query(router), id_key, path_params[id_key]))

    @router.put(item_path)
    def update(**path_params: Any) -> Response[str]:
        return call(router, f"update_{noun}", with_path_id(json_body(router), id_key, path_params[id_key]))

    @router.delete(item_path)
    def delete(**path_params: Any) -> Response[str]:
        return call(router, f"delete_{noun}", with_path_id(query(router), id_key, path_params[id_key]))

    return router
