"""Message text processing as Telegram does it: parse mode, trimming, auto entities, limits."""

from __future__ import annotations

import re
from typing import Any

from sandbox.params import ApiError, bad_request
from sandbox.telegram_html import HtmlParseError, parse_html, sort_entities, utf16_len

__all__ = ["MAX_CAPTION", "MAX_TEXT", "detect_entities", "format_text"]

MAX_TEXT = 4096
MAX_CAPTION = 1024

_ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    }
)
# Auto-detected entities never go inside these (tdlib drops intersecting ones).
_OPAQUE = frozenset({"code", "pre", "text_link", "text_mention", "custom_emoji"})
# Simplified versions of tdlib's matchers; "\w" approximates its is_word_character.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "email",
        re.compile(
            r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w@])"
        ),
    ),
    ("url", re.compile(r"(?i)(?<![A-Za-z0-9_@/])(?:https?://|www\.)[^\s<>\"]+")),
    (
        "bot_command",
        re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])"),
    ),
    ("mention", re.compile(r"(?<!\w)@[A-Za-z0-9_]{2,32}(?!\w)")),
    ("hashtag", re.compile(r"(?<!\w)#(?=\w*[^\W\d_])\w{1,256}(?![\w#])")),
]
_URL_TRAILING = ".,;:!?)]}'\"»。，；：！？）"
_TRIM = " \t\n\r\v\f"


def _utf16_offsets(text: str) -> list[int]:
    """Prefix table: UTF-16 offset of every code point index (plus the end)."""
    table = [0]
    for ch in text:
        table.append(table[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return table


def detect_entities(
    text: str, existing: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Find url/email/mention/hashtag/bot_command entities Telegram adds on its own."""
    table = _utf16_offsets(text)
    taken: list[tuple[int, int]] = [
        (e["offset"], e["offset"] + e["length"]) for e in existing or [] if e["type"] in _OPAQUE
    ]
    found: list[dict[str, Any]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind == "url":
                while end > start and text[end - 1] in _URL_TRAILING:
                    end -= 1
            begin16, end16 = table[start], table[end]
            if end16 <= begin16 or any(a < end16 and begin16 < b for a, b in taken):
                continue
            taken.append((begin16, end16))
            found.append({"type": kind, "offset": begin16, "length": end16 - begin16})
    return found


def _validate_entities(raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise bad_request("can't parse entities JSON object")
    entities: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict) or item.get("type") not in _ENTITY_TYPES:
            raise bad_request("can't parse MessageEntity: unsupported entity type")
        offset, length = item.get("offset"), item.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0:
            raise bad_request("can't parse MessageEntity: wrong offset or length")
        if length > 0:
            entities.append(dict(item))
    return entities


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace like Telegram, moving/clipping entities accordingly."""
    stripped = text.lstrip(_TRIM)
    shift = utf16_len(text[: len(text) - len(stripped)])
    stripped = stripped.rstrip(_TRIM)
    total = utf16_len(stripped)
    result: list[dict[str, Any]] = []
    for entity in entities:
        begin = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > begin:
            result.append({**entity, "offset": begin, "length": end - begin})
    return stripped, result


def format_text(
    text: str | None,
    parse_mode: str | None,
    entities: Any,
    *,
    caption: bool = False,
) -> tuple[str, list[dict[str, Any]]]:
    """Turn a sendMessage/caption input into Telegram's stored text and entities.

    Raises ApiError with Telegram's descriptions (empty text, too long, can't parse entities).
    """
    text = text or ""
    mode = (parse_mode or "").strip().lower()
    if entities is not None:
        # explicit entities are used "instead of parse_mode"
        parsed = _validate_entities(entities)
    elif mode == "html":
        try:
            text, parsed = parse_html(text)
        except HtmlParseError as exc:
            raise bad_request(f"can't parse entities: {exc.reason}") from None
    elif mode in ("markdown", "markdownv2"):
        # The sandbox only implements the HTML parse mode the project uses; fail loudly.
        raise ApiError(400, f"Bad Request: sandbox does not implement parse_mode {parse_mode}")
    elif mode:
        raise bad_request("unsupported parse_mode")
    else:
        parsed = []
    text, parsed = _trim(text, parsed)
    if not text and not caption:
        raise bad_request("message text is empty")
    if caption and len(text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    if not caption and len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    result = parsed + detect_entities(text, parsed)
    sort_entities(result)
    return text, result
