"""Validation and normalisation of the merchant application's fields.

Every validator takes the raw text the merchant typed and returns the normalised value, or
raises :class:`FieldError` with a stable ``code`` (listed in :data:`ERROR_CODES`) and ``params``
for the message template. No user-facing text lives here.

Check digits are verified by python-stdnum and phonenumbers, never by hand-written code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Literal

import phonenumbers
from phonenumbers import PhoneNumberType
from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

__all__ = [
    "BUSINESS_CATEGORIES",
    "ERROR_CODES",
    "LEGAL_AGE",
    "AccountKind",
    "BusinessCategory",
    "FieldError",
    "Gender",
    "ResidentId",
    "SubjectType",
    "check_account_holder",
    "validate_account_number",
    "validate_address",
    "validate_bank_name",
    "validate_business_category",
    "validate_merchant_name",
    "validate_mobile",
    "validate_person_name",
    "validate_products",
    "validate_resident_id",
    "validate_uscc",
]

# Every code a validator in this module can raise; one message template per code.
# Params (codes not listed have none):
#   *.too_short, *.too_long, account.personal_length, account.corporate_length:
#       length (what was typed), min, max
#   *.bad_characters, uscc.format, ric.format, account.not_digits: chars (offending characters,
#       space separated, invisible ones written as U+XXXX; may be empty for account.not_digits
#       when nothing but separators was typed)
#   uscc.length, ric.length: length, expected (18)
#   ric.minor: age, min_age
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

# GB 32100-2015 code alphabet (no I O Z S V); only used to name the offending characters,
# stdnum does the validation.
_USCC_ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")


def validate_uscc(raw: str) -> str:
    """Validate a unified social credit code (GB 32100-2015); return it upper-case."""
    number = _compact_number(raw).upper()
    try:
        return uscc.validate(number)
    except InvalidLength:  # subclass of InvalidFormat: must come first
        raise FieldError("uscc.length", {"length": len(number), "expected": 18}) from None
    except InvalidFormat:
        # stdnum wants digits in the first 8 positions (authority, type, region) and
        # the 31-character alphabet (no I O Z S V) after that.
        bad = [c for c in number[:8] if not c.isdigit()]
        bad += [c for c in number[8:] if c not in _USCC_ALPHABET]
        raise FieldError("uscc.format", {"chars": _show(bad)}) from None
    except InvalidChecksum:
        raise FieldError("uscc.checksum") from None


# --------------------------------------------------------------------------- resident ID

# GB/T 2260 province-level codes. These have been stable for decades (46 Hainan 1988,
# 50 Chongqing 1997); 81/82/83 start the residence permits of HK/Macau/Taiwan residents.
_PROVINCE_CODES = frozenset(
    {
        *("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36"),
        *("37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62"),
        *("63", "64", "65", "81", "82", "83"),
    }
)
# The 2023 foreigner's permanent residence ID card uses the same 18-character layout and
# check character but starts with 9 (then province and nationality codes, not a county).
_FOREIGNER_PREFIX = "9"


def _birth_date(number: str) -> date:
    try:
        return ric.get_birth_date(number)
    except InvalidComponent:
        raise FieldError("ric.birth_date") from None


def _age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def validate_resident_id(raw: str, *, today: date) -> ResidentId:
    """Validate a legal representative's resident ID (GB 11643-1999) and require an adult.

    Region policy: stdnum rejects counties missing from its GB/T 2260 table, or not existing in
    the birth year. Real IDs keep the code of the county where they were first issued, even
    after it was merged or renamed, so such a number is accepted when its check character is
    right and its province code exists (``region_known`` is then False); so is a foreigner's
    permanent residence ID (starts with 9). An unknown province is far more likely a typo, so
    it is refused as ``ric.region``.
    """
    number = _compact_number(raw).upper()
    region_known = True
    try:
        ric.validate(number)
    except InvalidLength:  # subclass of InvalidFormat: must come first
        raise FieldError("ric.length", {"length": len(number), "expected": 18}) from None
    except InvalidFormat:
        bad = [c for c in number[:17] if not c.isdigit()]
        raise FieldError("ric.format", {"chars": _show(bad)}) from None
    except InvalidChecksum:
        if number[-1] not in "0123456789X":
            raise FieldError("ric.format", {"chars": _show([number[-1]])}) from None
        # A date that cannot exist tells the merchant more than "check character is wrong".
        _birth_date(number)
        raise FieldError("ric.checksum") from None
    except InvalidComponent:
        # stdnum checks the check character before the components, so it is right here;
        # the failing part is either the birth date or the region.
        _birth_date(number)
        if number[:2] not in _PROVINCE_CODES and not number.startswith(_FOREIGNER_PREFIX):
            raise FieldError("ric.region") from None
        region_known = False

    birth = _birth_date(number)
    if birth > today:
        raise FieldError("ric.future")
    age = _age_on(birth, today)
    if age < LEGAL_AGE:
        raise FieldError("ric.minor", {"age": age, "min_age": LEGAL_AGE})
    return ResidentId(
        number=number,
        birth_date=birth,
        gender=Gender.MALE if int(number[16]) % 2 else Gender.FEMALE,
        region_code=number[:6],
        region_known=region_known,
    )


# --------------------------------------------------------------------------- settlement account


def validate_account_number(
    raw: str, kind: AccountKind | Literal["personal_card", "corporate"]
) -> str:
    """Validate a settlement account number; return its digits."""
    kind = AccountKind(kind)
    number = _compact_number(raw)
    # isdigit() would accept other scripts' digits; only ASCII digits are account digits.
    bad = [c for c in number if c not in "0123456789"]
    if bad or not number:
        raise FieldError("account.not_digits", {"chars": _show(bad)})
    if kind is AccountKind.PERSONAL_CARD:
        if not 16 <= len(number) <= 19:
            raise FieldError(
                "account.personal_length", {"length": len(number), "min": 16, "max": 19}
            )
        try:
            luhn.validate(number)
        except ValidationError:
            raise FieldError("account.luhn") from None
    elif not 6 <= len(number) <= 30:
        raise FieldError("account.corporate_length", {"length": len(number), "min": 6, "max": 30})
    return number


def _comparable_name(name: str) -> str:
    # NFKC folds full-width/half-width forms (（）→ ()); casefold for Latin names; spaces and
    # dot variants are how people type the same name differently.
    text = unicodedata.normalize("NFKC", name).translate(_DOT_VARIANTS).casefold()
    return "".join(text.split())


def check_account_holder(
    holder: str,
    kind: AccountKind | Literal["personal_card", "corporate"],
    *,
    legal_rep_name: str,
    merchant_name: str,
    subject_type: SubjectType | Literal["individual", "enterprise"],
) -> None:
    """Check the account holder is allowed for this merchant; raise FieldError if not."""
    kind = AccountKind(kind)
    subject_type = SubjectType(subject_type)
    if kind is AccountKind.PERSONAL_CARD:
        # Only a 个体工商户 may settle to the owner's personal card; companies must use
        # a corporate account in the company's name.
        if subject_type is not SubjectType.INDIVIDUAL:
            raise FieldError("account.personal_not_allowed")
        expected, role = legal_rep_name, "legal_rep"
    else:
        expected, role = merchant_name, "merchant"
    if _comparable_name(holder) != _comparable_name(expected):
        raise FieldError("account.holder_mismatch", {"expected_role": role})


# --------------------------------------------------------------------------- mobile

_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
_CN_COUNTRY_CODE = 86


def validate_mobile(raw: str) -> str:
    """Validate a mainland China mobile number; return it in E.164 (+8613800138000)."""
    try:
        # Default region CN: "13800138000", "0086 …" and "+86 …" all parse.
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise FieldError("phone.invalid") from None
    if number.country_code != _CN_COUNTRY_CODE:
        # +852/+853/+886 (HK, Macau, Taiwan) land here too: the service needs a mainland SIM.
        raise FieldError("phone.not_cn", {"country_code": number.country_code})
    if number.extension or not phonenumbers.is_valid_number(number):
        raise FieldError("phone.invalid")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise FieldError("phone.not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
