"""/execution-callback: the email approval links. No Cognito; the approval id is the credential.
GET and HEAD only render; POST decides."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pydantic
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from handlers.entry.callback_pages import (
    SECURITY_HEADERS,
    CallbackParams,
    Page,
    ReasonField,
    confirmation_page,
    decide_page,
    error_page,
)
from handlers.entry.routes.request import MAX_BODY_BYTES

router = Router()  # type: ignore[no-untyped-call]
_BAD_LINK = ("This link is incomplete", "The link should name an action (resume or cancel) and an approval.")


def html(page: Page, *, head: bool = False) -> Response[str]:
    return Response(
        status_code=page.status,
        content_type="text/html; charset=utf-8",
        body="" if head else page.html,
        headers=SECURITY_HEADERS,
    )


def _params(raw: dict[str, str]) -> CallbackParams | None:
    try:
        return CallbackParams.model_validate(raw)
    except pydantic.ValidationError:
        return None


def _confirm(head: bool) -> Response[str]:
    params = _params(dict(router.current_event.query_string_parameters or {}))
    return html(confirmation_page(params) if params else error_page(400, *_BAD_LINK), head=head)


@router.get("/execution-callback")
def confirm() -> Response[str]:
    return _confirm(head=False)


@router.head("/execution-callback")
def confirm_head() -> Response[str]:
    return _confirm(head=True)


@router.post("/execution-callback")
def decide() -> Response[str]:
    body = router.current_event.decoded_body or ""
    if len(body) > MAX_BODY_BYTES:
        return html(error_page(413, "Request too large", "The form sent more than this page accepts."))
    form = dict(parse_qsl(body))
    params = _params(form)
    if params is None:
        return html(error_page(400, *_BAD_LINK))
    try:
        reason = ReasonField.model_validate(form).reason
    except pydantic.ValidationError as exc:
        problem = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        return html(error_page(400, "This reason cannot be recorded", f"reason: {problem}"))
    return html(decide_page(params, reason))


def failure_page() -> Response[str]:
    """What a person who clicked an email link sees when something unexpected broke."""
    return html(
        error_page(
            500,
            "Something went wrong",
            "We could not finish this request. Open the link from the email again to see whether the "
            "pause is still waiting for a decision.",
        )
    )
