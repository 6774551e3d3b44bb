"""The sandbox's own HTML pages: the index and the outbox (Jinja2, autoescape on; URLs in email
bodies become links after escaping), and the static files of ``/slack-local`` (plain HTML, CSS and
JavaScript in ``sandbox/static``: no build step, nothing fetched from elsewhere)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

_URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    escaped = str(escape(text))
    return Markup(_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))  # noqa: S704


_env = Environment(autoescape=True)
_env.filters["linkify"] = linkify

_LAYOUT = """<!doctype html><html><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}
.note{background:#fff6d5;border:1px solid #e6c84c;padding:.5rem 1rem;border-radius:4px}
.mail,.msg{border:1px solid #ccc;border-radius:6px;padding:.75rem 1rem;margin:1rem 0}
.meta{color:#666;font-size:.85rem} pre{white-space:pre-wrap;font-family:inherit}
code{background:#f2f2f2;padding:0 .25rem}</style></head><body>
<p class="meta"><a href="/">sandbox</a> · <a href="/outbox">outbox</a>
· <a href="/slack-local">slack-local</a> · <a href="/_sandbox/info">info</a></p>
{% block body %}{% endblock %}</body></html>"""

_INDEX = (
    _LAYOUT.split("{% block body %}")[0]
    + """<h1>drs-chatops sandbox</h1>
<p class="note">Everything here is local: AWS is emulated by moto, DRS is <b>{{ drs_label }}</b>,
Slack is a local fake. Nothing reaches real AWS or Slack.</p>
<ul>{% for label, url in links %}<li>{{ label }}: <a href="{{ url }}">{{ url }}</a></li>{% endfor %}</ul>
</body></html>"""
)

_OUTBOX = (
    _LAYOUT.split("{% block body %}")[0]
    + """<h1>Outbox</h1>
<p class="note" id="simulated"><b>Sandbox: DRS is simulated.</b> Execution results here come from
the {{ drs_label }}. These are the emails SNS would deliver, per confirmed subscriber, filter policy
applied; nothing is sent. Subscriptions are confirmed automatically in the sandbox.</p>
{% for mail in emails|reverse %}<div class="mail" id="mail-{{ mail.id }}">
<div class="meta">{{ mail.sentAt }} · {{ mail.kind }}</div>
<div><b>To:</b> {{ mail.to }}</div><div><b>Subject:</b> {{ mail.subject }}</div>
<pre>{{ mail.body|linkify }}</pre></div>
{% else %}<p>No email yet.</p>{% endfor %}</body></html>"""
)


def index(links: list[tuple[str, str]], drs_label: str) -> str:
    return _env.from_string(_INDEX).render(title="drs-chatops sandbox", links=links, drs_label=drs_label)


def outbox(emails: list[dict[str, Any]], drs_label: str) -> str:
    return _env.from_string(_OUTBOX).render(title="Outbox - sandbox", emails=emails, drs_label=drs_label)


_STATIC_DIR = Path(__file__).resolve().parents[1] / "static"  # sandbox/static
STATIC = {  # path -> (file, content type)
    "/slack-local": ("slack_local.html", "text/html; charset=utf-8"),
    "/slack-local/": ("slack_local.html", "text/html; charset=utf-8"),
    "/slack-local/app.js": ("slack_local.js", "text/javascript; charset=utf-8"),
    "/slack-local/modal.js": ("slack_local_modal.js", "text/javascript; charset=utf-8"),
    "/slack-local/home.js": ("slack_local_home.js", "text/javascript; charset=utf-8"),
    "/slack-local/app.css": ("slack_local.css", "text/css; charset=utf-8"),
}


def static(path: str) -> tuple[int, dict[str, str], bytes]:
    name, content_type = STATIC[path]
    headers = {"Content-Type": content_type, "Cache-Control": "no-store"}
    return 200, headers, (_STATIC_DIR / name).read_bytes()
