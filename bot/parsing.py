"""Strict readers of numbers in what people and clients send (button data, command arguments).

str.isdigit() accepts "²" and "١", which int() then refuses or reads as another number, and a
number of more than 18 digits does not fit SQLite's 64-bit integers. These readers return None
for all of that, and the caller answers with a clear message instead of failing.
"""

from __future__ import annotations

import re
import unicodedata

# A character class, so ASCII digits only whatever the flags; 18 digits fit a signed 64-bit.
_NUMBER = re.compile(r"[0-9]{1,18}")


def strict_int(text: str | None) -> int | None:
    """The non-negative integer written in 1 to 18 ASCII digits, else None."""
    if text is None or not _NUMBER.fullmatch(text):
        return None
    return int(text)


def as_typed(text: str) -> str:
    """What a person typed, full-width digits and letters (a Chinese IME) folded to ASCII."""
    return unicodedata.normalize("NFKC", text).strip()


def echo(given: str, limit: int = 40) -> str:
    """What someone typed, cut short to be quoted back in an answer (a 4096-character
    argument quoted whole would make the answer longer than Telegram accepts)."""
    return given if len(given) <= limit else given[: limit - 1] + "…"
