"""What every message shares: escaping user text, Slack's size limits, pagination.

User-supplied text (plan and group names, descriptions) goes into ``plain_text`` objects, which
Slack shows verbatim (no mentions, no formatting). Where it must sit inside ``mrkdwn`` it is
escaped (``&``, ``<``, ``>``), so ``<!channel>`` is shown, never sent as a mention."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

TEXT_LIMIT = 3000
HEADER_LIMIT = 150
BLOCK_LIMIT = 50
PAGE_SIZE = 20


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: the three characters that start entities, links and mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# A mention of a user (``<@U…>``/``<@W…>``) or a user group (``<!subteam^S…>``), once escaped.
_ESCAPED_MENTION = re.compile(r"&lt;(@[UW][A-Z0-9]{2,20}|!subteam\^S[A-Z0-9]{2,20})&gt;")


def escape_but_mentions(text: str) -> str:
    """:func:`escape`, except that user and user-group mentions stay mentions (a refusal names who
    may). Nothing else survives: ``<!channel>``, links and formatting are escaped as ever."""
    return _ESCAPED_MENTION.sub(r"<\1>", escape(text))


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = TEXT_LIMIT) -> PlainTextObject:
    return PlainTextObject(text=clip(text or " ", limit), emoji=False)


def section(text: str) -> SectionBlock:
    """A section of user-supplied (or mixed) text, shown literally."""
    return SectionBlock(text=plain(text))


def sections(lines: Iterable[str], limit: int = TEXT_LIMIT) -> list[SectionBlock]:
    """Lines of user-supplied text as few sections as fit Slack's 3000 characters each: a long list
    spreads over several sections instead of being cut off; only a line longer than a whole section
    is clipped."""
    chunks: list[str] = []
    for line in (clip(line, limit) for line in lines):
        if chunks and len(chunks[-1]) + 1 + len(line) <= limit:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return [section(chunk) for chunk in chunks]


def markdown(text: str) -> SectionBlock:
    """A section of the bot's own mrkdwn; callers escape anything dynamic with :func:`escape`."""
    return SectionBlock(text=MarkdownTextObject(text=clip(text), verbatim=True))


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=plain(text, HEADER_LIMIT))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[plain(text)])


@dataclass
class Reply:
    """What a command answers: a fallback ``text`` (escaped) and blocks; ephemeral unless shared.
    ``mentions``: the text's user and user-group mentions stay mentions (:func:`escape_but_mentions`)."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    in_channel: bool = False
    mentions: bool = False

    @classmethod
    def refusal(cls, text: str) -> Reply:
        """A refusal naming who may: the people it names are mentions, in the text and the block."""
        return cls(text, [markdown(escape_but_mentions(text))], mentions=True)

    def payload(self) -> dict[str, Any]:
        blocks = limit_blocks(self.blocks or [section(self.text)])
        text = escape_but_mentions(self.text) if self.mentions else escape(self.text)
        return {
            "response_type": "in_channel" if self.in_channel else "ephemeral",
            "text": clip(text),
            "blocks": [b.to_dict() for b in blocks],
        }


def limit_blocks(blocks: Sequence[Block]) -> list[Block]:
    """At most 50 blocks: the last one says how many were left out."""
    if len(blocks) <= BLOCK_LIMIT:
        return list(blocks)
    kept = list(blocks[: BLOCK_LIMIT - 1])
    return [*kept, context(f"… {len(blocks) - len(kept)} more not shown")]


@dataclass(frozen=True)
class PageOf:
    items: list[Any]
    page: int
    pages: int
    total: int

    def footer(self, command: str) -> str:
        shown = f"showing {len(self.items)} of {self.total}"
        if self.page < self.pages:
            return f"{shown} (page {self.page} of {self.pages}; next: {command} {self.page + 1})"
        return shown if self.pages == 1 else f"{shown} (page {self.page} of {self.pages})"


def paginate(items: Sequence[Any], page: int, size: int = PAGE_SIZE) -> PageOf:
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 1), pages)
    return PageOf(list(items[(page - 1) * size : page * size]), page, pages, len(items))
