"""Telegram's HTML parse mode, ported from tdlib's ``parse_html`` so results and errors match.

The parser walks the UTF-8 bytes (Telegram reports error positions as byte offsets) and
produces Bot API ``MessageEntity`` dicts whose offsets/lengths are UTF-16 code units.
"""

from __future__ import annotations

from typing import Any

from sandbox.links import checked_link, link_user_id

__all__ = ["HtmlParseError", "parse_html", "sort_entities", "utf16_len"]

# fmt: off
_ALLOWED_TAGS = frozenset((
    "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
    "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
))
# fmt: on
_SIMPLE_TYPES = {
    **dict.fromkeys(("i", "em"), "italic"),
    **dict.fromkeys(("b", "strong"), "bold"),
    **dict.fromkeys(("s", "strike", "del"), "strikethrough"),
    **dict.fromkeys(("u", "ins"), "underline"),
    "tg-spoiler": "spoiler",
}
# tdlib's MessageEntity::get_type_priority, used to order entities sharing offset and length.
_PRIORITY_SPEC = (
    "blockquote:0 expandable_blockquote:0 pre:11 code:20 text_link:49 text_mention:49 "
    "bold:90 italic:91 underline:92 strikethrough:93 spoiler:94 custom_emoji:99"
)  # everything else (url, mention, bot_command ...) is 50
_PRIORITY = {k: int(v) for k, v in (item.split(":") for item in _PRIORITY_SPEC.split())}
# tdlib's is_space; NUL counts because tdlib scans a NUL-terminated buffer.
_SPACES = frozenset(b" \t\r\n\0\v")
_SURROGATE_ERROR = (
    "Text contains invalid Unicode characters after decoding HTML entities, "
    "check for unmatched surrogate code units"
)


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; ``reason`` is Telegram's wording."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (the unit of Telegram entity offsets)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def sort_entities(entities: list[dict[str, Any]]) -> None:
    """Sort entities in place the way Telegram returns them."""
    entities.sort(key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))


class _Reader:
    """Byte access that yields NUL past the end, mirroring tdlib's C-string reads."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def __getitem__(self, i: int) -> int:
        return self.data[i] if i < self.size else 0


def _decode_entity(text: _Reader, pos: int) -> tuple[int, int]:
    """Decode the character reference at ``pos`` ('&'); returns (code point or 0, next pos)."""
    end = pos + 1
    code = 0
    if text[pos + 1] == ord("#"):
        end += 1
        if text[pos + 2] == ord("x"):
            end += 1
            while chr(text[end]) in "0123456789abcdefABCDEF":
                code = code * 16 + int(chr(text[end]), 16)
                end += 1
        else:
            while ord("0") <= text[end] <= ord("9"):
                code = code * 10 + text[end] - ord("0")
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while chr(text[end]).isascii() and chr(text[end]).isalpha():
            end += 1
        name = text.data[pos + 1 : end]
        code = {b"lt": 0x3C, b"gt": 0x3E, b"amp": 0x26, b"quot": 0x22}.get(name, 0)
        if code == 0:
            return 0, pos
    return code, end + 1 if text[end] == ord(";") else end


def _name(text: _Reader, start: int, end: int) -> str:
    return text.data[start:end].decode("utf-8", "replace").lower()


class _Parser:
    def __init__(self, html: str) -> None:
        self.text = _Reader(html.encode("utf-8", "surrogatepass"))
        self.out = bytearray()
        self.utf16 = 0
        self.has_surrogates = False
        self.entities: list[dict[str, Any]] = []
        # open tags: (tag name, argument, utf16 offset, byte position in output)
        self.stack: list[tuple[str, str, int, int]] = []

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        text, i = self.text, 0
        while i < text.size:
            c = text[i]
            if c == ord("&"):
                code, nxt = _decode_entity(text, i)
                if code:
                    self.utf16 += 2 if code > 0xFFFF else 1
                    self.has_surrogates |= 0xD800 <= code <= 0xDFFF
                    self.out += chr(code).encode("utf-8", "surrogatepass")
                    i = nxt
                    continue
            if c != ord("<"):
                if c & 0xC0 != 0x80:  # first byte of a UTF-8 sequence
                    self.utf16 += 2 if c >= 0xF0 else 1
                self.out.append(c)
                i += 1
                continue
            i = self._end_tag(i) if text[i + 1] == ord("/") else self._start_tag(i)
        if self.stack:
            tag = self.stack[-1][0]
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        if self.has_surrogates:
            raise HtmlParseError(_SURROGATE_ERROR)
        sort_entities(self.entities)
        return self.out.decode("utf-8"), self.entities

    def _start_tag(self, begin: int) -> int:
        text, i = self.text, begin + 1
        while text[i] not in _SPACES and text[i] != ord(">"):
            i += 1
        if text[i] == 0:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        tag = _name(text, begin + 1, i)
        if tag not in _ALLOWED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        argument = ""
        while text[i] != ord(">"):
            while text[i] != 0 and text[i] in _SPACES:
                i += 1
            if text[i] == ord(">"):
                break
            attr_begin = i
            while text[i] not in _SPACES and chr(text[i]) not in "=>/\"'":
                i += 1
            attr = text.data[attr_begin:i]
            if not attr:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                )
            while text[i] != 0 and text[i] in _SPACES:
                i += 1
            if text[i] != ord("="):
                if text[i] == 0:
                    raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                if tag == "blockquote" and attr == b"expandable":
                    argument = "1"
                continue
            i += 1
            while text[i] != 0 and text[i] in _SPACES:
                i += 1
            if text[i] == 0:
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            value, i = self._attribute_value(i)
            if text[i] == 0:
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            argument = _tag_argument(tag, attr, value, argument)
        if tag == "span" and argument != "spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        self.stack.append((tag, argument, self.utf16, len(self.out)))
        return i + 1

    def _attribute_value(self, i: int) -> tuple[str, int]:
        text = self.text
        if text[i] not in (ord("'"), ord('"')):
            # an unquoted HTML name token: letters, digits, periods and hyphens
            start = i
            while chr(text[i]).isascii() and (chr(text[i]).isalnum() or chr(text[i]) in ".-"):
                i += 1
            if text[i] not in _SPACES and text[i] != ord(">"):
                raise HtmlParseError(f"Unexpected end of name token at byte offset {start}")
            return _name(text, start, i), i
        quote = text[i]
        i += 1
        value = bytearray()
        while text[i] != quote and text[i] != 0:
            if text[i] == ord("&"):
                code, nxt = _decode_entity(text, i)
                if code:
                    value += chr(code).encode("utf-8", "surrogatepass")
                    i = nxt
                    continue
            value.append(text[i])
            i += 1
        if text[i] == quote:
            i += 1
        return value.decode("utf-8", "replace"), i

    def _end_tag(self, begin: int) -> int:
        text = self.text
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 2
        while text[i] not in _SPACES and text[i] != ord(">"):
            i += 1
        end_name = _name(text, begin + 2, i)
        while text[i] in _SPACES and text[i] != 0:
            i += 1
        if text[i] != ord(">"):
            raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
        tag, argument, offset, out_pos = self.stack.pop()
        if end_name and end_name != tag:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", '
                f'found "</{end_name}>"'
            )
        if self.utf16 > offset:
            self._add_entity(tag, argument, offset, self.utf16 - offset, out_pos)
        return i + 1

    def _add_entity(self, tag: str, argument: str, offset: int, length: int, out_pos: int) -> None:
        entity: dict[str, Any] = {"type": "", "offset": offset, "length": length}
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and (last["offset"], last["length"]) == (offset, length)
        if tag in _SIMPLE_TYPES or tag == "span":
            entity["type"] = _SIMPLE_TYPES.get(tag, "spoiler")
        elif tag == "tg-emoji":
            if not argument.isdigit() or int(argument) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=argument)
        elif tag == "a":
            url = argument or self.out[out_pos:].decode("utf-8", "surrogatepass")
            user_id = link_user_id(url)
            if user_id is not None:
                user = {"id": user_id, "is_bot": False, "first_name": ""}
                entity.update(type="text_mention", user=user)
            elif url := checked_link(url):
                entity.update(type="text_link", url=url)
            else:
                return  # Telegram silently drops links it cannot use
        elif tag == "pre":
            if last is not None and same_span and last["type"] == "code" and last.get("_lang"):
                last.update(type="pre", language=last.pop("_lang"))
                return
            entity["type"] = "pre"
        elif tag == "code":
            if last is not None and same_span and last["type"] == "pre" and argument:
                last["language"] = argument
                return
            entity["type"] = "code"
            if argument:
                entity["_lang"] = argument  # kept only until a wrapping <pre> claims it
        else:
            entity["type"] = "expandable_blockquote" if argument else "blockquote"
        self.entities.append(entity)


def _tag_argument(tag: str, attr: bytes, value: str, current: str) -> str:
    if tag == "a" and attr == b"href":
        return value
    if tag == "code" and attr == b"class" and value.startswith("language-"):
        return value[9:]
    if tag == "span" and attr == b"class" and value.startswith("tg-"):
        return value[3:]
    if tag == "tg-emoji" and attr == b"emoji-id":
        return value
    if tag == "blockquote" and attr == b"expandable":
        return "1"
    return current


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into plain text and Bot API MessageEntity dicts (UTF-16 offsets).

    Raises HtmlParseError with Telegram's reason text, e.g.
    ``Unsupported start tag "div" at byte offset 5``.
    """
    plain, entities = _Parser(text).run()
    for entity in entities:
        entity.pop("_lang", None)
    return plain, entities
