"""Money is integer fen: yuan text parsed exactly, amounts written the way each locale expects."""

from __future__ import annotations

import pytest

from bot.money import format_fen, format_percent_change, parse_yuan, yuan_text


@pytest.mark.parametrize(
    ("text", "fen"),
    [("12", 1200), ("12.5", 1250), ("0.29", 29), (" 1234.56 ", 123456), ("0", 0)],
)
def test_yuan_text_becomes_exact_fen(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["12.345", "-1", "+1", "1e3", "1,234.00", "", "NaN", "¥5"])
def test_anything_but_a_plain_amount_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_yuan(text)


def test_amounts_are_formatted_per_locale() -> None:
    assert format_fen(123456, "zh-CN") == "¥1,234.56"
    assert format_fen(123456, "en") == "CN¥1,234.56"
    assert format_fen(-500, "zh-CN") == "-¥5.00"
    assert yuan_text(-1205) == "-12.05"


def test_percent_change_needs_something_to_compare_with() -> None:
    assert format_percent_change(11250, 10000, "en") == "+12.5%"
    assert format_percent_change(5000, 10000, "zh-CN") == "-50.0%"
    assert format_percent_change(5000, 0, "en") is None
