"""Jinja2 rendering: plain-text emails (no escaping: SNS email is plain text) and HTML pages
(autoescaped, so a plan named ``<script>`` is shown, never run)."""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path
from typing import Any

from handlers.core.package_data import data_dir

SUBJECT_LIMIT = 100


def templates_dir() -> Path:
    """The Jinja2 templates this installation carries (handlers/core/package_data.py finds them)."""
    return data_dir("templates", "email/_footer.txt.j2")


@functools.cache
def _environment(html: bool) -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=html,  # noqa: S701 (emails are plain text; HTML pages do escape)
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_text(name: str, **context: Any) -> str:
    return str(_environment(False).get_template(name).render(**context))


def render_html(name: str, **context: Any) -> str:
    return str(_environment(True).get_template(name).render(**context))


def email_subject(text: str) -> str:
    """An SNS-safe subject: ASCII, one line, at most 100 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    one_line = " ".join("".join(ch if ch.isprintable() else " " for ch in ascii_text).split())
    if len(one_line) > SUBJECT_LIMIT:
        one_line = one_line[: SUBJECT_LIMIT - 3].rstrip() + "..."
    return one_line or "DRS recovery plan notification"
