"""Identity numbers: the unified social credit code and the resident ID (python-stdnum)."""

from __future__ import annotations

from datetime import date

from stdnum.cn import ric, uscc
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
)

from bot.application.validation.base import (
    LEGAL_AGE,
    MAX_AGE,
    FieldError,
    Gender,
    ResidentId,
    _compact_number,
    _show,
)

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
    if age > MAX_AGE:
        raise FieldError("ric.too_old", {"age": age, "year": birth.year, "max_age": MAX_AGE})
    return ResidentId(
        number=number,
        birth_date=birth,
        gender=Gender.MALE if int(number[16]) % 2 else Gender.FEMALE,
        region_code=number[:6],
        region_known=region_known,
    )


# --------------------------------------------------------------------------- settlement account
