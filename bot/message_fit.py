"""Telegram HTML that fits in one message. Telegram refuses a text longer than 4,096
characters (counted in UTF-16 units, after the tags are parsed) with "Message is too long",
so a message that would be longer is cut, as a last resort, where the HTML stays whole."""

from __future__ import annotations

import re

MESSAGE_LIMIT = 4096
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


def units(text: str) -> int:
    """The length Telegram counts: UTF-16 code units (an emoji outside the BMP is two)."""
    return len(text.encode("utf-16-le")) // 2


def fit(html: str, limit: int = MESSAGE_LIMIT, more: str = "…") -> str:
    """`html` itself if it fits in `limit`, else its longest beginning that does with `more`
    after it: cut at a line break where one leaves room (else between characters, never in a
    tag or an entity), and every tag still open there closed."""
    if units(html) <= limit:
        return html
    breaks = [i for i, c in enumerate(html) if c == "\n"]
    for cut in reversed(breaks):
        text = _closed(html[:cut]) + "\n" + more
        if units(text) <= limit:
            return text
    cut = min(len(html), limit)
    while cut > 0:
        head = html[:cut]
        if head.rfind("<") <= head.rfind(">") and head.rfind("&") <= head.rfind(";"):
            text = _closed(head) + more
            if units(text) <= limit:
                return text
        cut -= 1
    return more


def _closed(head: str) -> str:
    """`head` with the tags it leaves open closed, innermost first."""
    opened: list[str] = []
    for match in _TAG.finditer(head):
        closing, name = match.group(1), match.group(2).lower()
        if not closing:
            opened.append(name)
        elif name in opened:
            del opened[len(opened) - 1 - opened[::-1].index(name)]
    return head + "".join(f"</{name}>" for name in reversed(opened))
