"""Field rules shared by every model: one definition of what a valid account id, name, email or
source server id is. Plain predicates first (tested without pydantic), then the annotated types."""

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

ACCOUNT_ID_PATTERN = r"^[0-9]{12}$"
SOURCE_SERVER_ID_PATTERN = r"^s-[0-9a-f]{17}$"
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_EMAIL_DOMAIN_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)
_ALLOWED_IN_TEXT = {"\n", "\r", "\t"}  # what a description may keep (never a reason, name or actor)
# Line and paragraph separators (U+2028, U+2029): a line break to whatever renders them.
_LINE_SEPARATORS = {"Zl", "Zp"}
# Markup or a link in a name shown in emails, Slack messages and the audit trail: angle brackets
# (HTML, Slack's <url|text> and <!channel>) and any "://" (a link such as http://…).
_MARKUP = re.compile(r"[<>]|://")
ACTOR_MAX_LENGTH = 128


def is_valid_account_id(value: object) -> bool:
    """True iff ``value`` is a string of exactly 12 ASCII digits."""
    return isinstance(value, str) and _ACCOUNT_ID.fullmatch(value) is not None


def is_valid_email(value: object) -> bool:
    """One ``@``, a non-empty local part, a dotted domain; no spaces or control characters;
    at most 254 characters. Deliberately simpler than RFC 5322: SNS must be able to deliver it."""
    if not isinstance(value, str) or not 3 <= len(value) <= 254 or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    if not local or len(local) > 64 or not _EMAIL_LOCAL.match(local) or ".." in local:
        return False
    labels = domain.split(".")
    return len(labels) >= 2 and all(_EMAIL_DOMAIN_LABEL.match(label) for label in labels)


def has_control_characters(value: str, *, allow_line_breaks: bool = False) -> bool:
    allowed = _ALLOWED_IN_TEXT if allow_line_breaks else set()
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value)


def hidden_characters_problem(value: str, *, allow_line_breaks: bool = False) -> str | None:
    """Why ``value`` cannot be shown as it reads, or None. Control characters (CR and LF included:
    a reason with a line break forges a line of its own in an email) and line separators; Unicode
    format characters (category Cf: bidirectional overrides such as U+202E, zero-width spaces and
    joiners), which make text read otherwise than it is. ``allow_line_breaks``: a description may
    keep LF, CR and tab (never a format character)."""
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cf":
            return (
                f"must not contain invisible format characters (U+{ord(ch):04X}: bidirectional "
                "overrides, zero-width characters)"
            )
        if (category == "Cc" or category in _LINE_SEPARATORS) and not (
            allow_line_breaks and ch in _ALLOWED_IN_TEXT
        ):
            breaks = "" if allow_line_breaks else " (line breaks included)"
            return f"must not contain control characters{breaks}"
    return None


def _shown_as_it_reads(value: str) -> str:
    problem = hidden_characters_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _shown_as_it_reads_with_line_breaks(value: str) -> str:
    problem = hidden_characters_problem(value, allow_line_breaks=True)
    if problem:
        raise ValueError(problem)
    return value


def actor_problem(value: str) -> str | None:
    """Why ``value`` cannot name who acted (``requestedBy``, ``decidedBy``), or None if it can:
    1-128 printable characters, no control or format characters, no markup and no links."""
    if not 1 <= len(value) <= ACTOR_MAX_LENGTH:
        return f"must be 1 to {ACTOR_MAX_LENGTH} characters"
    if not value.isprintable():
        return "must be printable characters only (no line breaks or control characters)"
    if _MARKUP.search(value):
        return "must not contain markup or links (<, >, ://)"
    return None


def _actor(value: str) -> str:
    problem = actor_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _email(value: str) -> str:
    if not is_valid_email(value):
        raise ValueError("is not a valid email address (one @, a dotted domain, no spaces)")
    return value


AccountId = Annotated[str, StringConstraints(pattern=ACCOUNT_ID_PATTERN)]
SourceServerId = Annotated[str, StringConstraints(pattern=SOURCE_SERVER_ID_PATTERN)]
# Names, reasons and actors are one line each, shown as they read on every channel
# (hidden_characters_problem); a description may keep its line breaks, never a format character.
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(_shown_as_it_reads),
]
Description = Annotated[
    str, StringConstraints(max_length=1000), AfterValidator(_shown_as_it_reads_with_line_breaks)
]
# Why someone decided (a vote's reason): shown escaped in Slack, email, pages and the report, one
# line (Slack's multi-line reason field joins its lines with spaces: bot/payloads.py pause_form).
REASON_MAX_LENGTH = 1000
Reason = Annotated[
    str,
    StringConstraints(max_length=REASON_MAX_LENGTH),
    AfterValidator(_shown_as_it_reads),
]
Email = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_email)]
RoleName = Annotated[str, StringConstraints(max_length=64, pattern=r"^[A-Za-z0-9+=,.@_-]*$")]
ExternalId = Annotated[str, StringConstraints(max_length=1224, pattern=r"^[A-Za-z0-9+=,.@:/_-]*$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]
SlackUserId = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,20}$")]
# Who may approve in Slack: a user (U…/W…) or a user group (S…), resolved when a vote arrives.
SlackApproverId = Annotated[str, StringConstraints(pattern=r"^[UWS][A-Z0-9]{2,20}$")]
SlackChannelId = Annotated[str, StringConstraints(pattern=r"^[CGD][A-Z0-9]{2,20}$")]
Version = Annotated[int, Field(ge=1)]
# Who acted, as recorded in the audit trail and shown in emails and Slack messages.
Actor = Annotated[str, StringConstraints(strict=True), AfterValidator(_actor)]
