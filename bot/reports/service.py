"""The reports' use cases: whose shops, a day's summary, the daily push settings.

Each takes the open Repositories and returns what the handler shows; none sends anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.reports import settlement
from bot.reports.settlement import SettlementDay, local_today, summary_for
from storage import Repositories
from storage.merchants import Merchant
from storage.summary_deliveries import CATCH_UP_DAYS


async def shops_of(repos: Repositories, telegram_id: int) -> list[Merchant]:
    """The shops linked to a Telegram user (one person may own several)."""
    return await repos.merchants.by_telegram(telegram_id)


@dataclass(frozen=True)
class DayReport:
    """A shop's business day: its summary, and up to when if the day is not over yet."""

    summary: SettlementDay
    as_of: datetime | None


async def day_report(
    repos: Repositories, merchant: Merchant, day: date, *, settlement_days: int
) -> DayReport:
    """The settlement summary of one business day (today's so far)."""
    summary = await summary_for(
        repos.tx, merchant.merchant_no, day, settlement_days=settlement_days
    )
    assert summary is not None
    now = settlement.now()
    # The day is not over yet: say up to when, so the comparisons are read as partial.
    as_of = now.astimezone(merchant.zone) if day == local_today(merchant, now) else None
    return DayReport(summary, as_of)


async def change_settings(
    repos: Repositories,
    merchant: Merchant,
    *,
    summary_time: str | None = None,
    enabled: bool | None = None,
) -> Merchant:
    """Store new summary settings; returns the merchant as stored."""
    if summary_time is not None:
        await repos.merchants.set_summary_time(merchant.merchant_no, summary_time)
    if enabled is not None:
        if enabled and not merchant.summaries_enabled:
            # The days while pushes were off are not owed: without this, turning pushes
            # back on would "catch up" on up to CATCH_UP_DAYS of summaries.
            today = local_today(merchant, settlement.now())
            for back in range(1, CATCH_UP_DAYS + 1):
                day = today - timedelta(days=back)
                if await repos.summary_deliveries.claim(merchant.merchant_no, day):
                    await repos.summary_deliveries.mark_failed(merchant.merchant_no, day)
        await repos.merchants.set_summaries_enabled(merchant.merchant_no, enabled)
    stored = await repos.merchants.get(merchant.merchant_no)
    assert stored is not None
    return stored
