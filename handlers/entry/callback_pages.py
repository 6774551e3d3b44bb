"""The email approval links: a confirmation page for GET/HEAD (changes nothing: mail scanners and
link previewers fetch every link) and the decision for POST. Pages are autoescaped Jinja2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ConfigDict, Field

from handlers.core import timestamps
from handlers.core.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from handlers.core.rendering import render_html
from handlers.models.approval import Approval, DecideApprovalRequest
from handlers.models.base import Model
from handlers.models.fields import Reason
from handlers.pauses.approvals import ActionNotOffered
from handlers.repositories.approvals import ApprovalRepository
from handlers.runs.decisions import decide

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


class CallbackParams(Model):
    model_config = ConfigDict(extra="ignore")

    action: Literal["resume", "cancel", "retry", "skip"]
    approval: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$", repr=False)


class ReasonField(Model):
    """The confirmation form's reason (checked apart from the link, so its error names it)."""

    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True)

    reason: Reason = ""


@dataclass(frozen=True)
class Page:
    status: int
    html: str


def _context(approval: Approval) -> dict[str, Any]:
    """Everything a page shows comes from the approval's snapshot: one read per click (a failed
    hook's pause also reads the execution, for the hook's name and message)."""
    return {"approval": approval, **_failed_hook(approval.kind, approval.executionId, approval.waveNumber)}


def _failed_hook(kind: str, execution_id: str, wave_number: int) -> dict[str, str]:
    """A ``hook_failed`` pause's hook: ``failedHook`` (its name) and ``hookMessage`` (its latest
    result), as the wave records them (handlers/hooks/); empty for other pauses."""
    if kind != "hook_failed":
        return {}
    from handlers.models.hooks import awaiting_decision
    from handlers.repositories.executions import ExecutionRepository

    execution = ExecutionRepository().get(execution_id)
    waves = execution.waves if execution is not None else []
    wave = next((w for w in waves if w.waveNumber == wave_number), None)
    if wave is None:
        return {}
    name = awaiting_decision(wave.hooks) or next((r.name for r in reversed(wave.hooks) if r.requestedAt), "")
    run = next((r for r in reversed(wave.hooks) if r.name == name), None)
    return {"failedHook": name, "hookMessage": run.message if run is not None else ""}


def _expired(approval: Approval) -> bool:
    return approval.status == "EXPIRED" or (
        approval.status == "PENDING" and timestamps.has_passed(approval.expiresAt)
    )


def _not_found() -> Page:
    return error_page(404, "Approval not found", "This link does not match any pause. It may have expired.")


def error_page(status: int, title: str, message: str) -> Page:
    return Page(status, render_html("pages/error.html.j2", title=title, message=message))


def confirmation_page(params: CallbackParams) -> Page:
    approval = ApprovalRepository().get(params.approval)
    if approval is None:
        return _not_found()
    context = _context(approval)
    if _expired(approval):
        return error_page(
            410, "This approval has expired", "The pause is over; nothing can be decided here now."
        )
    if approval.status != "PENDING":
        return Page(200, render_html("pages/result.html.j2", outcome="already_decided", **context))
    return Page(200, render_html("pages/confirm.html.j2", action=params.action, **context))


def decide_page(params: CallbackParams, reason: str = "") -> Page:
    """The confirmation form's POST: the email link votes as its holder (counted only where the
    quorum is 1; elsewhere it may only cancel). Refusals and a reason the plan requires are pages."""
    request = DecideApprovalRequest(action=params.action, approvalId=params.approval, reason=reason)
    try:
        result = decide(request, by=None, via="email")
    except NotFoundError:
        return _not_found()
    except ActionNotOffered as exc:  # e.g. a resume link edited into a failed wave's pause
        return error_page(409, "That is not a choice for this pause", exc.message)
    except ForbiddenError as exc:
        return error_page(403, "Not decided from this link", exc.message)
    except ValidationError as exc:
        return error_page(400, "A reason is needed", exc.message)
    except ConflictError as exc:  # a decision that is being undone right now: try again
        return error_page(409, "Please try again", exc.message)
    if result.outcome == "expired":
        return error_page(410, "This approval has expired", result.message)
    hook = _failed_hook(result.kind, result.executionId, result.waveNumber)
    return Page(200, render_html("pages/result.html.j2", outcome=result.outcome, approval=result, **hook))
