"""Names, addresses, products and the business category: free text typed by the merchant."""

from __future__ import annotations

import re
import unicodedata

from bot.application.validation.base import (
    _APOSTROPHES,
    _CJK_SPACE_RE,
    _DOT_VARIANTS,
    BusinessCategory,
    FieldError,
    _check_length,
    _collapse,
    _free_text,
    _name_text,
    _show,
)

# --------------------------------------------------------------------------- names


def validate_merchant_name(raw: str) -> str:
    """Validate the merchant name as printed on the business licence (2-50 chars)."""
    value = _name_text(raw, "name", 2, 50)
    if not any(unicodedata.category(c).startswith("L") for c in value):
        raise FieldError("name.no_letters")
    return value


def _is_han(ch: str) -> bool:
    cp = ord(ch)
    return 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x3134F


def _is_latin_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L") and "LATIN" in unicodedata.name(ch, "")


def validate_person_name(raw: str) -> str:
    """Validate a person's name (legal representative, card holder): 2-30 chars."""
    value = _collapse(raw).translate(_DOT_VARIANTS).translate(_APOSTROPHES)
    # "张 三" is how some people type 张三; Chinese names never contain spaces.
    value = _CJK_SPACE_RE.sub("", value)
    value = re.sub(r" ?· ?", "·", value)
    bad = [c for c in value if not (_is_han(c) or _is_latin_letter(c) or c in " ·-'.")]
    if bad:
        raise FieldError("person_name.bad_characters", {"chars": _show(bad)})
    _check_length(value, "person_name", 2, 30)
    if value.startswith("·") or value.endswith("·") or "··" in value:
        raise FieldError("person_name.misplaced_dot")
    return value


def validate_bank_name(raw: str) -> str:
    """Validate the name of the bank (branch) holding the settlement account: 2-40 chars."""
    return _name_text(raw, "bank", 2, 40)


def validate_address(raw: str) -> str:
    """Validate the business address: 5-200 chars."""
    return _free_text(raw, "address", 5, 200)


def validate_products(raw: str) -> str:
    """Validate the free-text description of main products: 2-200 chars."""
    return _free_text(raw, "products", 2, 200)


def validate_business_category(raw: str) -> BusinessCategory:
    """Map a button key to its business category."""
    try:
        return BusinessCategory(raw.strip())
    except ValueError:
        raise FieldError("category.unknown", {"value": raw[:40]}) from None


# --------------------------------------------------------------------------- USCC
