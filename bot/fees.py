"""The fee schedule: the operator's rates as integers (basis points, fen) and how they read.

Rates are whole basis points (1 bp = 0.01%), the cap and the deposit integer fen: no float
ever holds money or a rate. Texts are formatted with Babel in the reader's locale.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from markupsafe import Markup

from bot.i18n import Renderer
from bot.money import format_fen, format_rate
from bot.settings import Locale, Settings

# Column names in agreement_signatures, in the order of FeeSchedule's fields.
COLUMNS = ("fee_debit_bp", "fee_credit_bp", "fee_scan_bp", "fee_debit_cap_fen", "fee_deposit_fen")


class FeeSchedule(NamedTuple):
    """What a merchant pays: per-transaction rates, an optional debit cap and deposit."""

    debit_bp: int
    credit_bp: int
    scan_bp: int
    debit_cap_fen: int | None = None
    deposit_fen: int | None = None

    def columns(self) -> dict[str, int | None]:
        """The schedule as the signature's columns."""
        return dict(zip(COLUMNS, self, strict=True))


def fee_schedule(settings: Settings) -> FeeSchedule | None:
    """The configured schedule, or None when the operator set no rates (support confirms)."""
    if settings.fee_debit_rate is None:
        return None  # settings check that the three rates come together
    return FeeSchedule(
        settings.fee_debit_rate,
        settings.fee_credit_rate or 0,
        settings.fee_scan_rate or 0,
        settings.fee_debit_cap_fen,
        settings.fee_deposit_fen,
    )


def from_columns(row: dict[str, Any]) -> FeeSchedule | None:
    """The schedule kept with a signature; None when it was signed without one."""
    if row.get("fee_debit_bp") is None:
        return None
    return FeeSchedule(*(row.get(name) for name in COLUMNS))


def fee_texts(schedule: FeeSchedule | None, locale: Locale) -> dict[str, str] | None:
    """The schedule's parts, formatted for templates; None when there is no schedule."""
    if schedule is None:
        return None
    return {
        "debit": format_rate(schedule.debit_bp, locale),
        "credit": format_rate(schedule.credit_bp, locale),
        "scan": format_rate(schedule.scan_bp, locale),
        "debit_cap": format_fen(schedule.debit_cap_fen, locale)
        if schedule.debit_cap_fen is not None
        else "",
        "deposit": format_fen(schedule.deposit_fen, locale) if schedule.deposit_fen else "",
        "no_deposit": "yes" if schedule.deposit_fen == 0 else "",
    }


def rates_for(signed: dict[str, Any] | None, settings: Settings) -> FeeSchedule | None:
    """A merchant's rates: those kept with their signature, else the current schedule."""
    if signed is not None and signed.get("version") != "v1":
        return from_columns(signed)
    return fee_schedule(settings)


def short_text(renderer: Renderer, locale: Locale, schedule: FeeSchedule | None) -> Markup:
    """One line for cards and /status: 'debit 0.55% (max ¥20.00) · credit 0.60% · QR 0.38%'."""
    texts = fee_texts(schedule, locale)
    return Markup(renderer.render(locale, "fees/short", fees=texts))
