"""Property-based tests: validators, money parsing and the transaction parser never crash on
arbitrary input, and what they accept round-trips."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from bot.application import validation as v
from bot.money import parse_yuan, yuan_text
from bot.reports.transactions_import import parse_transaction

TODAY = date(2026, 11, 26)
anything = st.text(max_size=300)


@settings(max_examples=300, deadline=None)
@given(anything)
def test_text_validators_either_accept_or_raise_field_error(raw: str) -> None:
    validators = [
        v.validate_merchant_name,
        v.validate_person_name,
        v.validate_bank_name,
        v.validate_address,
        v.validate_products,
        v.validate_uscc,
        v.validate_mobile,
        lambda r: v.validate_resident_id(r, today=TODAY),
        lambda r: v.validate_account_number(r, "personal_card"),
        lambda r: v.validate_account_number(r, "corporate"),
    ]
    for validate in validators:
        try:
            value = validate(raw)
        except v.FieldError as exc:
            assert exc.code in v.ERROR_CODES  # every refusal has a message template
            continue
        # What is accepted never carries markup, template syntax or invisible characters.
        text = str(getattr(value, "number", value))
        assert not set(text) & set("<>{}\\") and "\u200b" not in text


@given(st.from_regex(r"\A[0-9]{15,18}\Z"))
def test_personal_card_accepts_exactly_luhn_valid_numbers(digits: str) -> None:
    number = digits + luhn.calc_check_digit(digits)
    if 16 <= len(number) <= 19:
        assert v.validate_account_number(f" {number[:4]} {number[4:]} ", "personal_card") == number


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_yuan_text_and_parse_yuan_round_trip(fen: int) -> None:
    assert parse_yuan(yuan_text(fen)) == fen


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_parse_yuan_is_exact(amount: Decimal) -> None:
    assert parse_yuan(str(amount)) == int(amount * 100)


@given(anything)
def test_parse_yuan_refuses_anything_else_with_value_error(raw: str) -> None:
    try:
        fen = parse_yuan(raw)
    except ValueError:
        return
    assert fen >= 0


row = st.fixed_dictionaries(
    {
        "external_id": anything,
        "merchant_no": anything,
        "terminal_sn": anything,
        "type": st.one_of(st.sampled_from(["sale", "void", "refund", "preauth"]), anything),
        "amount": st.one_of(anything, st.integers(), st.floats(), st.none()),
        "fee": st.one_of(anything, st.just("0"), st.none()),
        "channel": st.one_of(st.sampled_from(["card", "alipay", "wechat"]), anything),
        "occurred_at": st.one_of(anything, st.just("2026-11-25T12:00:00+08:00")),
    }
)


@settings(max_examples=300, deadline=None)
@given(row)
def test_transaction_parser_accepts_or_names_the_problem(raw: dict) -> None:
    try:
        t = parse_transaction(raw)
    except ValueError as exc:
        assert str(exc)  # a reason the import report can show
        return
    assert t.amount > 0 and 0 <= t.fee <= t.amount
