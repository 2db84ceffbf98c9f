"""The application form: which questions, in what order, and what makes an answer acceptable.

The conversation's position is never stored: it is derived from the answers a draft already
has (`next_field`). That is what makes the form survive a crash or a restart at any step,
and lets several bot processes share one database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from bot.application import validation as v
from bot.masking import mask_account, mask_phone, mask_resident_id


class Kind(StrEnum):
    """How a question is answered."""

    CHOICE = "choice"  # inline buttons
    TEXT = "text"
    DOCUMENT = "document"  # a photo, or a JPEG/PNG/PDF file


@dataclass(frozen=True)
class Question:
    """One field of the application."""

    key: str
    kind: Kind
    sensitive: bool = False  # encrypted at rest, masked wherever shown
    optional: bool = False  # may be skipped (the skip is stored as an answer)


QUESTIONS: tuple[Question, ...] = (
    Question("subject_type", Kind.CHOICE),
    Question("merchant_name", Kind.TEXT),
    Question("credit_code", Kind.TEXT),
    Question("licence", Kind.DOCUMENT),
    Question("legal_rep_name", Kind.TEXT),
    Question("legal_rep_id", Kind.TEXT, sensitive=True),
    Question("id_front", Kind.DOCUMENT),
    Question("id_back", Kind.DOCUMENT),
    Question("account_kind", Kind.CHOICE),
    Question("account_holder", Kind.TEXT),
    Question("bank_name", Kind.TEXT),
    Question("account_number", Kind.TEXT, sensitive=True),
    Question("phone", Kind.TEXT, sensitive=True),
    Question("address", Kind.TEXT),
    Question("storefront", Kind.DOCUMENT, optional=True),
    Question("category", Kind.CHOICE),
    Question("products", Kind.TEXT),
)
BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}
# With OCR prefill the photos come first, so the fields printed on them can be proposed
# instead of asked: the licence before the fields it shows, the ID card before the
# legal representative's name and number. The rest keeps its place.
_FIRST = ("licence", "subject_type", "merchant_name", "credit_code", "id_front", "id_back")
# Fields OCR prefill may propose (bot/ocr/fields.py reads them).
READABLE = frozenset(
    {"subject_type", "merchant_name", "credit_code", "legal_rep_name", "legal_rep_id", "address"}
)
DOCUMENTS_FIRST: tuple[Question, ...] = (
    *(BY_KEY[k] for k in _FIRST),
    *(q for q in QUESTIONS if q.key not in _FIRST),
)
DOCUMENT_SLOTS: tuple[str, ...] = tuple(q.key for q in QUESTIONS if q.kind is Kind.DOCUMENT)
SENSITIVE: frozenset[str] = frozenset(q.key for q in QUESTIONS if q.sensitive)
SKIPPED = "__skipped__"
# `editing` of a rejected application whose merchant pressed Fix (its form is running).
FIXING = "__fixing__"

CHOICES: dict[str, tuple[str, ...]] = {
    "subject_type": tuple(s.value for s in v.SubjectType),
    "account_kind": tuple(k.value for k in v.AccountKind),
    "category": v.BUSINESS_CATEGORIES,
}


@dataclass
class Draft:
    """What the merchant has answered so far (documents as their sha256)."""

    application_id: int
    answers: dict[str, Any]
    editing: str | None = None
    # A rejected application being fixed: the flagged fields not answered again yet.
    to_fix: list[str] = field(default_factory=list)
    fixing: bool = False
    # OCR prefill is on: the document photos are asked before the fields they show.
    documents_first: bool = False

    def has(self, key: str) -> bool:
        """True if the field is answered (a skip counts as an answer)."""
        return key in self.answers

    @property
    def complete(self) -> bool:
        """Every question answered."""
        return all(self.has(q.key) for q in QUESTIONS)


def next_field(draft: Draft) -> Question | None:
    """The question to ask now: the one being edited, else the first flagged field still to fix,
    else the first unanswered; None = the review page."""
    if draft.editing and draft.editing in BY_KEY:
        return BY_KEY[draft.editing]
    for key in draft.to_fix:
        if key in BY_KEY:
            return BY_KEY[key]
    for question in order(draft):
        if not draft.has(question.key):
            return question
    return None


def order(draft: Draft | None) -> tuple[Question, ...]:
    """The questions in the order this draft asks them."""
    return DOCUMENTS_FIRST if draft is not None and draft.documents_first else QUESTIONS


def step_number(question: Question, draft: Draft | None = None) -> int:
    """1-based position of the question, for "step 3 of 17"."""
    return order(draft).index(question) + 1


def allowed_choices(draft: Draft, key: str) -> tuple[str, ...]:
    """Buttons to offer; an enterprise is not offered a personal card."""
    options = CHOICES[key]
    if key == "account_kind" and draft.answers.get("subject_type") == v.SubjectType.ENTERPRISE:
        return tuple(o for o in options if o != v.AccountKind.PERSONAL_CARD)
    return options


def accept_choice(draft: Draft, key: str, value: str) -> str:
    """Validate a button answer."""
    if value not in CHOICES[key]:
        raise v.FieldError("choice.unknown")
    if value not in allowed_choices(draft, key):
        raise v.FieldError("account.personal_not_allowed")
    return value


def accept_text(draft: Draft, key: str, raw: str, *, today: date) -> str:
    """Validate and normalise a typed answer, raising FieldError with a precise code."""
    a = draft.answers
    match key:
        case "merchant_name":
            return v.validate_merchant_name(raw)
        case "credit_code":
            return v.validate_uscc(raw)
        case "legal_rep_name":
            return v.validate_person_name(raw)
        case "legal_rep_id":
            return v.validate_resident_id(raw, today=today).number
        case "account_holder":
            holder = v.validate_person_name(raw) if _personal(a) else v.validate_merchant_name(raw)
            v.check_account_holder(
                holder,
                a["account_kind"],
                legal_rep_name=a.get("legal_rep_name", ""),
                merchant_name=a.get("merchant_name", ""),
                subject_type=a["subject_type"],
            )
            return holder
        case "bank_name":
            return v.validate_bank_name(raw)
        case "account_number":
            return v.validate_account_number(raw, a["account_kind"])
        case "phone":
            return v.validate_mobile(raw)
        case "address":
            return v.validate_address(raw)
        case "products":
            return v.validate_products(raw)
    raise v.FieldError("choice.expected" if key in CHOICES else "document.expected")


def _personal(answers: dict[str, Any]) -> bool:
    return answers.get("account_kind") == v.AccountKind.PERSONAL_CARD


def invalidated(draft: Draft) -> list[str]:
    """Answers that no longer hold after another field changed; they must be asked again.

    E.g. switching to 企业 forbids a personal card; renaming the legal representative
    breaks a personal card's holder name; a new account kind needs a new account number.
    """
    a = draft.answers
    stale: list[str] = []
    if "account_kind" in a and a["account_kind"] not in allowed_choices(draft, "account_kind"):
        stale += ["account_kind", "account_holder", "account_number"]
    elif "account_holder" in a and "account_kind" in a:
        try:
            v.check_account_holder(
                a["account_holder"],
                a["account_kind"],
                legal_rep_name=a.get("legal_rep_name", ""),
                merchant_name=a.get("merchant_name", ""),
                subject_type=a.get("subject_type", v.SubjectType.INDIVIDUAL),
            )
        except v.FieldError:
            stale.append("account_holder")
    if "account_number" in a and "account_kind" in a and "account_number" not in stale:
        try:
            v.validate_account_number(a["account_number"], a["account_kind"])
        except v.FieldError:
            stale.append("account_number")
    return [k for k in stale if k in a]


def display_value(key: str, value: Any) -> str | None:
    """How an answer shows on the review page: sensitive numbers masked; None = a label key."""
    if value == SKIPPED:
        return None
    match key:
        case "legal_rep_id":
            return mask_resident_id(value)
        case "account_number":
            return mask_account(value)
        case "phone":
            return mask_phone(value)
    return str(value)
