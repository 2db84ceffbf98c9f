"""The settlement account: its number (Luhn for personal cards) and whose name it is in."""

from __future__ import annotations

import unicodedata
from typing import Literal

from stdnum import luhn
from stdnum.exceptions import (
    ValidationError,
)

from bot.application.validation.base import (
    _DOT_VARIANTS,
    AccountKind,
    FieldError,
    SubjectType,
    _compact_number,
    _show,
)


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
