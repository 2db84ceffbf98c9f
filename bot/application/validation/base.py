"""What every field validator shares: the error type and its codes, the choice enums and the
text helpers that normalise what was typed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

# Every code a validator in this module can raise; one message template per code.
# Params (codes not listed have none):
#   *.too_short, *.too_long, account.personal_length, account.corporate_length:
#       length (what was typed), min, max
#   *.bad_characters, uscc.format, ric.format, account.not_digits: chars (offending characters,
#       space separated, invisible ones written as U+XXXX; may be empty for account.not_digits
#       when nothing but separators was typed)
#   uscc.length, ric.length: length, expected (18)
#   ric.minor: age, min_age
#   ric.too_old: age, year, max_age
#   account.holder_mismatch: expected_role ("legal_rep" | "merchant")
#   phone.not_cn: country_code (int, e.g. 852)
#   category.unknown: value
ERROR_CODES: tuple[str, ...] = (
    "name.too_short",
    "name.too_long",
    "name.bad_characters",
    "name.no_letters",
    "person_name.too_short",
    "person_name.too_long",
    "person_name.bad_characters",
    "person_name.misplaced_dot",
    "uscc.length",
    "uscc.format",
    "uscc.checksum",
    "ric.length",
    "ric.format",
    "ric.birth_date",
    "ric.checksum",
    "ric.region",
    "ric.future",
    "ric.minor",
    "ric.too_old",
    "account.not_digits",
    "account.personal_length",
    "account.luhn",
    "account.corporate_length",
    "account.personal_not_allowed",
    "account.holder_mismatch",
    "bank.too_short",
    "bank.too_long",
    "bank.bad_characters",
    "phone.invalid",
    "phone.not_mobile",
    "phone.not_cn",
    "address.too_short",
    "address.too_long",
    "address.bad_characters",
    "products.too_short",
    "products.too_long",
    "products.bad_characters",
    "category.unknown",
)

# A legal representative must be an adult (full civil capacity under PRC law).
LEGAL_AGE = 18
# Older than anyone alive: the birth year inside the number is wrong (1880 for 1980), even
# when the check character happens to fit.
MAX_AGE = 120


class FieldError(ValueError):
    """A field value was rejected; ``code`` selects the template, ``params`` fill it."""

    def __init__(self, code: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.params: dict[str, Any] = dict(params or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.params!r})"


class SubjectType(StrEnum):
    """Legal form of the merchant."""

    INDIVIDUAL = "individual"  # 个体工商户
    ENTERPRISE = "enterprise"  # 企业


class AccountKind(StrEnum):
    """Kind of settlement account."""

    PERSONAL_CARD = "personal_card"  # 对私银行卡 (legal representative's debit card)
    CORPORATE = "corporate"  # 对公账户


class Gender(StrEnum):
    """Gender encoded in the resident ID's 17th digit."""

    MALE = "male"
    FEMALE = "female"


class BusinessCategory(StrEnum):
    """Business categories offered as buttons; the values are stable keys."""

    RETAIL = "retail"
    CATERING = "catering"
    SERVICES = "services"
    WHOLESALE = "wholesale"
    EDUCATION = "education"
    HEALTH = "health"
    ENTERTAINMENT = "entertainment"
    OTHER = "other"


BUSINESS_CATEGORIES: tuple[str, ...] = tuple(c.value for c in BusinessCategory)


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A validated 18-character PRC resident ID number and the facts encoded in it."""

    number: str
    birth_date: date
    gender: Gender
    region_code: str
    # False when stdnum's GB/T 2260 table does not know the county (see validate_resident_id).
    region_known: bool


# --------------------------------------------------------------------------- text helpers

# Variation selectors, keycap and emoji blocks: the bits emoji are built from. Unicode
# categories alone miss them (U+FE0F is a plain "Mn" mark, U+20E3 is "Me").
_EMOJI_RANGES: tuple[tuple[int, int], ...] = (
    (0x20E3, 0x20E3),
    (0x2300, 0x23FF),
    (0x2600, 0x27BF),
    (0x2B00, 0x2BFF),
    (0xFE00, 0xFE0F),
    (0x1F000, 0x1FAFF),
    (0xE0000, 0xE007F),
    (0xE0100, 0xE01EF),
)
# Control, format (zero-width, bidi overrides), surrogate, private use, unassigned.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
# Variants people type for the middle dot of minority/foreign names (e.g. 买买提·艾力).
_DOT_VARIANTS = str.maketrans(dict.fromkeys("・•‧∙．･", "·"))
# Phone keyboards auto-replace the apostrophe of O'Brien with a typographic one.
_APOSTROPHES = str.maketrans(dict.fromkeys("’‘ʼ`", "'"))
_HAN_CLASS = "[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
_CJK_SPACE_RE = re.compile(f"(?<={_HAN_CLASS}) (?={_HAN_CLASS})")


def _is_emoji(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _EMOJI_RANGES)


def _collapse(raw: str) -> str:
    # NFC (not NFKC) so the value stays as typed, e.g. full-width brackets in 有限公司（北京）,
    # while decomposed accents are joined; split() also eats U+3000 and newlines.
    return " ".join(unicodedata.normalize("NFC", raw).split())


def _show(chars: list[str]) -> str:
    """Render offending characters for a template; invisible ones as U+XXXX."""
    seen = dict.fromkeys(chars)  # de-duplicate, keep order
    return " ".join(
        f"U+{ord(c):04X}" if unicodedata.category(c) in _INVISIBLE_CATEGORIES else c for c in seen
    )


# Markup and template characters: no name, address or product list needs them, and refusing
# them keeps "<b>", "{{7*7}}" and "{% raw %}" out of what staff and documents show.
_MARKUP_CHARS = frozenset("<>{}\\")
# Names on a licence or a bank's name never contain these either (nor "--").
_NAME_SYMBOLS = frozenset(';"=|`^~')


def _double_dash(text: str) -> list[str]:
    return ["-"] if "--" in text else []


def _bad_free_text_chars(text: str) -> list[str]:
    return [
        c
        for c in text
        if unicodedata.category(c) in _INVISIBLE_CATEGORIES
        or _is_emoji(c)
        or c in _MARKUP_CHARS
        or c in "=|"
    ] + _double_dash(text)


def _bad_name_chars(text: str) -> list[str]:
    # Names on a licence have no symbols such as ©, ★ or emoji (So/Sk), nor invisible chars.
    return [
        c
        for c in text
        if unicodedata.category(c) in _INVISIBLE_CATEGORIES
        or unicodedata.category(c) in ("So", "Sk")
        or _is_emoji(c)
        or c in _MARKUP_CHARS
        or c in _NAME_SYMBOLS
    ] + _double_dash(text)


def _check_length(value: str, prefix: str, lo: int, hi: int) -> None:
    n = len(value)
    if n < lo:
        raise FieldError(f"{prefix}.too_short", {"length": n, "min": lo, "max": hi})
    if n > hi:
        raise FieldError(f"{prefix}.too_long", {"length": n, "min": lo, "max": hi})


def _free_text(raw: str, prefix: str, lo: int, hi: int) -> str:
    value = _collapse(raw)
    if bad := _bad_free_text_chars(value):
        raise FieldError(f"{prefix}.bad_characters", {"chars": _show(bad)})
    _check_length(value, prefix, lo, hi)
    return value


def _name_text(raw: str, prefix: str, lo: int, hi: int) -> str:
    value = _collapse(raw)
    if bad := _bad_name_chars(value):
        raise FieldError(f"{prefix}.bad_characters", {"chars": _show(bad)})
    _check_length(value, prefix, lo, hi)
    return value


def _compact_number(raw: str) -> str:
    # NFKC turns full-width digits/letters typed with a Chinese IME into ASCII.
    text = unicodedata.normalize("NFKC", raw)
    return "".join(c for c in text if not c.isspace() and c not in "-‐‑‒–—")
