"""Personal FAQ answers: a known merchant's own payout dates, status and code, not the general text.

Service functions: they take repositories and return plain values; no Telegram types.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

from bot import fees
from bot.application.lifecycle import State
from bot.reports.settlement import local_today, summary_for
from bot.settings import Settings
from storage import Repositories
from storage.db import utcnow

# The FAQ topics that have a personal answer, and what kind.
PAYOUT = "settlement.payout_time"
STATUS = "status.query"
FEES = "apply.fees"
CODE_TOPICS = frozenset({"code.obtain", "code.lost"})
_HAS_CODE = frozenset({State.APPROVED, State.AGREEMENT_SIGNED, State.SHIPPED, State.ACTIVATED})


class Payout(NamedTuple):
    """Money on its way: one shop's net for one business day and the day it is paid."""

    merchant_name: str
    business_day: date
    payout_date: date
    net: int  # fen
    partial: bool  # the business day is still going on


async def upcoming_payouts(
    repos: Repositories, telegram_id: int, settlement_days: int, now: datetime | None = None
) -> list[Payout] | None:
    """Payouts not yet due for each of the user's shops, earliest first; None for a stranger.

    A business day T is paid on T + settlement_days (as in the daily summary), so the days
    still to be paid are today and the settlement_days before it.
    """
    merchants = await repos.merchants.by_telegram(telegram_id)
    if not merchants:
        return None
    now = now or utcnow()
    payouts: list[Payout] = []
    for merchant in merchants:
        today = local_today(merchant, now)
        for back in range(settlement_days, -1, -1):
            day = today - timedelta(days=back)
            summary = await summary_for(
                repos.tx, merchant.merchant_no, day, settlement_days=settlement_days
            )
            if summary is None or summary.net <= 0:
                continue
            payouts.append(
                Payout(merchant.name, day, summary.settlement_date, summary.net, day == today)
            )
    return sorted(payouts, key=lambda p: (p.payout_date, p.merchant_name))


async def application_state(repos: Repositories, telegram_id: int) -> State | None:
    """The state of the user's latest submitted application; None without one."""
    latest = await repos.applications.latest_of(telegram_id)
    if latest is None or latest.state in (State.DRAFT, State.CANCELLED):
        return None
    return State(latest.state)


def has_code(state: State | None) -> bool:
    """Whether an application in this state has an application code to show with /code."""
    return state in _HAS_CODE


async def fee_schedule_of(
    repos: Repositories, telegram_id: int, settings: Settings
) -> fees.FeeSchedule | None:
    """The rates that apply to the asker: those they signed, else the operator's schedule."""
    record = await repos.applications.latest_of(telegram_id)
    signed = await repos.fulfilment.signature(record.id) if record else None
    return fees.rates_for(signed, settings)
