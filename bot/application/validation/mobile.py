"""The merchant's mobile number: mainland China only, returned in E.164."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType

from bot.application.validation.base import (
    FieldError,
)

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
