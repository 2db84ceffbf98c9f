"""Money as integer fen and rates as basis points: parsing yuan text exactly, formatting
both per locale."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache

from babel import Locale as BabelLocale
from babel.numbers import format_currency, format_decimal

from bot.settings import Locale

# Digits, optionally a point and one or two decimals; no sign, exponent or separators,
# because a sign is implied by the transaction type and "1e3" in a CSV is a mistake.
_YUAN = re.compile(r"([0-9]{1,10})(?:\.([0-9]{1,2}))?")  # ASCII digits only: not "١٢"


def parse_yuan(text: str) -> int:
    """'12.5' -> 1250 fen; raises ValueError for anything but a plain non-negative amount."""
    match = _YUAN.fullmatch(text.strip())
    if not match:
        raise ValueError(f"not an amount in yuan with at most 2 decimals: {text!r}")
    # Decimal, not float: 0.29 yuan must be exactly 29 fen.
    return int(Decimal(match.group(0)) * 100)


@cache
def babel_locale(locale: Locale) -> BabelLocale:
    """Our locale name ('zh-CN') as a parsed Babel locale, parsed once (parsing is slow)."""
    return BabelLocale.parse(locale.replace("-", "_"))


def format_fen(fen: int, locale: Locale) -> str:
    """1234 fen -> '¥12.34' (zh-CN) or 'CN¥12.34' (en), as Babel writes CNY in that locale."""
    return format_currency(Decimal(fen) / 100, "CNY", locale=babel_locale(locale))


def format_rate(bp: int, locale: Locale) -> str:
    """55 -> '0.55%' (two decimals, the way rates are quoted in China)."""
    percent = Decimal(bp) / 100
    return format_decimal(percent, "#,##0.00", locale=babel_locale(locale)) + "%"


def format_fen_signed(fen: int, locale: Locale) -> str:
    """Like format_fen but with an explicit '+' for gains (changes between days)."""
    text = format_fen(fen, locale)
    return f"+{text}" if fen > 0 else text


def yuan_text(fen: int) -> str:
    """1234 -> '12.34': a plain machine-readable amount for CSV files."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def format_percent_change(new: int, old: int, locale: Locale) -> str | None:
    """'+12.5%' from old to new, or None when there is nothing to compare with."""
    if old <= 0:
        return None
    change = Decimal(new - old) / Decimal(old) * 100
    text = format_decimal(change.quantize(Decimal("0.1")), "#,##0.0", locale=babel_locale(locale))
    return f"+{text}%" if change > 0 else f"{text}%"
