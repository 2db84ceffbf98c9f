"""What a business licence or an ID card says, from the text lines OCR recognised.

Pure rules: no OCR engine here. A value is proposed only if it passes the validator the
typed answer goes through (bot.application.validation: python-stdnum checks the credit code's
and the ID number's check characters, which catch most misreads), and a name only if every
line it came from was recognised with high confidence. A wrong proposal is worse than none.

Where the text sits on the page (which box is a label's value) is bot/ocr/layout.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date

from bot.application import validation as v
from bot.ocr.layout import Found, Line, below, label_value, right_of

# Recognition confidence (RapidOCR's per-line score, the mean of its characters') below which
# a name or an address is not proposed: a misread character in a name passes any validator.
TEXT_MIN_SCORE = 0.95
# Numbers have check characters; a lower score is tolerable for them.
NUMBER_MIN_SCORE = 0.80

# Characters the credit code's alphabet lacks, read for the digit they resemble. Only these:
# each maps to one character, and the check character still guards the result.
_USCC_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "Z": "2", "S": "5"})
_USCC_RE = re.compile(r"[0-9A-Z]{18}")
_RIC_RE = re.compile(r"[0-9]{17}[0-9X]")
_VALIDITY_RE = re.compile(r"(\d{4})\.(\d{2})\.(\d{2})-(?:(\d{4})\.(\d{2})\.(\d{2})|长期)")


def _valid(check: Callable[[str], str], raw: str) -> str | None:
    try:
        return check(raw)
    except v.FieldError:
        return None


def _confident(found: Found | None, check: Callable[[str], str | None]) -> str | None:
    """A text read with high confidence that passes `check`: what may be proposed."""
    if found is None or found.score < TEXT_MIN_SCORE:
        return None
    return check(found.text)


def _put(fields: dict[str, str], key: str, value: str | None) -> None:
    if value:
        fields[key] = value


# --------------------------------------------------------------------------- licence

LICENCE_LABELS = {
    "merchant_name": ("名称",),
    "licence_type": ("类型",),
    "legal_rep_name": ("法定代表人", "经营者", "负责人", "投资人"),
    "address": ("住所", "经营场所", "主要经营场所", "营业场所"),
}
# Labels that start another field: a line starting with one is never an address continuation.
_ALL_LABELS = (
    *(label for labels in LICENCE_LABELS.values() for label in labels),
    "经营范围",
    "成立日期",
    "注册日期",
    "注册资本",
    "营业期限",
    "登记机关",
    "统一社会信用代码",
)


def credit_code(lines: Sequence[Line]) -> str | None:
    """The one unified social credit code on the page whose check character is right."""
    found: set[str] = set()
    for line in lines:
        if line.score < NUMBER_MIN_SCORE:
            continue
        flat = line.flat.upper().removeprefix("统一社会信用代码")
        for candidate in _USCC_RE.findall(flat.translate(_USCC_LOOKALIKES)):
            code = _valid(v.validate_uscc, candidate)
            if code:
                found.add(code)
    return found.pop() if len(found) == 1 else None


def subject_type(licence_type: str) -> str | None:
    """个体工商户 -> an individual business; a company or enterprise type -> an enterprise."""
    if "个体" in licence_type:
        return v.SubjectType.INDIVIDUAL.value
    if any(word in licence_type for word in ("公司", "企业", "合伙", "独资")):
        return v.SubjectType.ENTERPRISE.value
    return None


def read_licence(lines: Sequence[Line]) -> dict[str, str]:
    """Fields of a business licence that pass validation: credit_code, merchant_name,
    subject_type (from the licence type), legal_rep_name, address."""
    fields: dict[str, str] = {}
    code = credit_code(lines)
    if code:
        fields["credit_code"] = code
    _put(
        fields,
        "merchant_name",
        _confident(
            label_value(lines, LICENCE_LABELS["merchant_name"]),
            lambda text: _valid(v.validate_merchant_name, text),
        ),
    )
    _put(
        fields,
        "subject_type",
        _confident(label_value(lines, LICENCE_LABELS["licence_type"]), subject_type),
    )
    _put(
        fields,
        "legal_rep_name",
        _confident(
            label_value(lines, LICENCE_LABELS["legal_rep_name"]),
            lambda text: _valid(v.validate_person_name, text),
        ),
    )
    _put(
        fields,
        "address",
        _confident(_address(lines), lambda text: _valid(v.validate_address, text)),
    )
    return fields


def _address(lines: Sequence[Line]) -> Found | None:
    """The registered address, with the line it wraps onto, if any."""
    for line in lines:
        flat = line.flat
        label = next((lab for lab in LICENCE_LABELS["address"] if flat.startswith(lab)), None)
        if label is None:
            continue
        rest = flat[len(label) :].lstrip(":：")
        value_line = line if rest else right_of(line, lines)
        if value_line is None:
            return None
        text = rest or value_line.flat
        score = min(line.score, value_line.score)
        more = below(value_line, lines)
        if more is not None and not more.flat.startswith(_ALL_LABELS):
            text += more.flat
            score = min(score, more.score)
        return Found(text, score)
    return None


# --------------------------------------------------------------------------- ID card


def resident_id(lines: Sequence[Line], *, today: date) -> str | None:
    """The one resident ID number on the card whose check character is right."""
    found: set[str] = set()
    for line in lines:
        if line.score < NUMBER_MIN_SCORE:
            continue
        flat = line.flat.upper().removeprefix("公民身份号码")
        for candidate in _RIC_RE.findall(flat):
            number = _valid(lambda raw: v.validate_resident_id(raw, today=today).number, candidate)
            if number:
                found.add(number)
    return found.pop() if len(found) == 1 else None


def read_id_front(lines: Sequence[Line], *, today: date) -> dict[str, str]:
    """Fields of an ID card's portrait side: legal_rep_name (the holder) and legal_rep_id."""
    fields: dict[str, str] = {}
    number = resident_id(lines, today=today)
    if number:
        fields["legal_rep_id"] = number
    _put(
        fields,
        "legal_rep_name",
        _confident(
            label_value(lines, ("姓名",)), lambda text: _valid(v.validate_person_name, text)
        ),
    )
    return fields


def read_id_back(lines: Sequence[Line]) -> dict[str, str]:
    """The validity period on the emblem side: id_valid_until as YYYY-MM-DD or "long_term"."""
    for line in lines:
        if line.score < NUMBER_MIN_SCORE:
            continue
        match = _VALIDITY_RE.search(line.flat)
        if match is None:
            continue
        start = match.group(1, 2, 3)
        try:
            date(*map(int, start))
            if match.group(4) is None:
                return {"id_valid_until": "long_term"}
            end = date(*map(int, match.group(4, 5, 6)))
        except ValueError:
            return {}
        return {"id_valid_until": end.isoformat()}
    return {}


READERS = {"licence", "id_front", "id_back"}


def read(kind: str, lines: Sequence[Line], *, today: date) -> dict[str, str]:
    """The validated fields a document of ``kind`` shows."""
    if kind == "licence":
        return read_licence(lines)
    if kind == "id_front":
        return read_id_front(lines, today=today)
    if kind == "id_back":
        return read_id_back(lines)
    return {}
