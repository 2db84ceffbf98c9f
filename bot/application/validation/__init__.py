"""Validation and normalisation of the merchant application's fields.

Every validator takes the raw text the merchant typed and returns the normalised value, or
raises :class:`FieldError` with a stable ``code`` (listed in :data:`ERROR_CODES`) and ``params``
for the message template. No user-facing text lives here.

Check digits are verified by python-stdnum and phonenumbers, never by hand-written code.

- base.py      FieldError and its codes, the choice enums, the shared text normalisation
- text.py      names, bank name, address, products, business category
- identity.py  unified social credit code and resident ID
- account.py   settlement account number and holder
- mobile.py    mainland mobile number
"""

from bot.application.validation.account import check_account_holder, validate_account_number
from bot.application.validation.base import (
    BUSINESS_CATEGORIES,
    ERROR_CODES,
    LEGAL_AGE,
    AccountKind,
    BusinessCategory,
    FieldError,
    Gender,
    ResidentId,
    SubjectType,
)
from bot.application.validation.identity import validate_resident_id, validate_uscc
from bot.application.validation.mobile import validate_mobile
from bot.application.validation.text import (
    validate_address,
    validate_bank_name,
    validate_business_category,
    validate_merchant_name,
    validate_person_name,
    validate_products,
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
