"""The sandbox's own HTML pages: the index, the outbox and a minimal /slack-local.

Rendered with Jinja2, autoescape on; URLs in email bodies become links after escaping."""

from __future__ import annotations

import re
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
<p class="note">Emails SNS would deliver, per confirmed subscriber, filter policy applied.
Subscriptions are confirmed automatically in the sandbox. Execution results come from the
{{ drs_label }}.</p>
{% for mail in emails|reverse %}<div class="mail" id="mail-{{ mail.id }}">
<div class="meta">{{ mail.sentAt }} · {{ mail.kind }}</div>
<div><b>To:</b> {{ mail.to }}</div><div><b>Subject:</b> {{ mail.subject }}</div>
<pre>{{ mail.body|linkify }}</pre></div>
{% else %}<p>No email yet.</p>{% endfor %}</body></html>"""
)

_SLACK = (
    _LAYOUT.split("{% block body %}")[0]
    + """<h1>slack-local</h1>
<p class="note">What the bot posted, updated, sent ephemerally or to a response_url (a recording fake
of the Slack Web API). Results of recoveries come from the {{ drs_label }}.
{% if not bot %}The bot function is not deployed in this sandbox yet.{% endif %}</p>
{% for m in messages|reverse %}<div class="msg">
<div class="meta">{{ m.kind }} · {{ m.channel }} · ts {{ m.ts }}
{% if m.updatedAt %}· edited{% endif %}</div><pre>{{ m.text|linkify }}</pre>
{% if m.blocks %}<details><summary>{{ m.blocks|length }} blocks</summary><pre>{{ m.blocks|tojson(2) }}</pre>
</details>{% endif %}</div>{% else %}<p>No messages yet.</p>{% endfor %}</body></html>"""
)


def index(links: list[tuple[str, str]], drs_label: str) -> str:
    return _env.from_string(_INDEX).render(title="drs-chatops sandbox", links=links, drs_label=drs_label)


def outbox(emails: list[dict[str, Any]], drs_label: str) -> str:
    return _env.from_string(_OUTBOX).render(title="Outbox - sandbox", emails=emails, drs_label=drs_label)


def slack_local(messages: list[dict[str, Any]], drs_label: str, bot: bool) -> str:
    return _env.from_string(_SLACK).render(
        title="slack-local - sandbox", messages=messages, drs_label=drs_label, bot=bot
    )
