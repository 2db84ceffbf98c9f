"""The merchant's daily settlement (结算单): business days, the arithmetic and its rendering.

A business day is the merchant's local date: [local midnight, next local midnight) turned
into a UTC interval per time zone. Every transaction counts on the day it happened, so a
pre-auth completed later counts on the completion's day and a refund of an earlier sale on
the refund's day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_date
from pydantic import BaseModel

from bot.i18n import Renderer
from bot.money import babel_locale, format_fen, format_fen_signed, format_percent_change
from bot.settings import Locale
from storage.db import Tx, utcnow
from storage.merchants import Merchant, MerchantRepository
from storage.transactions import (
    TX_TYPES,
    AggregateRow,
    DayWindow,
    Transaction,
    TransactionRepository,
    TxType,
)

HISTORY_DAYS = 7  # the comparison average covers the 7 days before the business day

# The instant reports and pushes treat as now. Summaries follow the wall clock, so tests
# stand the bot at a chosen moment by replacing this instead of waiting for 21:30.
clock: Callable[[], datetime] = utcnow


def now() -> datetime:
    """The current instant (UTC), as the clock above tells it."""
    return clock()


class TypeTotal(NamedTuple):
    """Count and sums (fen) of one transaction type; a tuple because there are many."""

    count: int = 0
    amount: int = 0
    fee: int = 0


def net_of(totals: Mapping[str, TypeTotal]) -> int:
    """Net settlement in fen: gross (sales + completions) − voids − refunds − fees.

    A fee on a void or refund row is a fee given back, so it lowers the fees.
    """
    zero = TypeTotal()
    sale, done = totals.get("sale", zero), totals.get("preauth_complete", zero)
    void, refund = totals.get("void", zero), totals.get("refund", zero)
    gross = sale.amount + done.amount
    fees = sale.fee + done.fee - void.fee - refund.fee
    return gross - void.amount - refund.amount - fees


class TerminalLine(BaseModel):
    """One POS terminal's share of the day."""

    terminal_sn: str
    count: int
    net: int


class ChannelLine(BaseModel):
    """Card or scan (QR) payments' share of the day."""

    count: int
    gross: int
    net: int


class SettlementDay(BaseModel):
    """Everything the daily summary shows for one merchant and business day (fen)."""

    merchant_no: str
    merchant_name: str
    business_day: date
    settlement_date: date
    totals: dict[TxType, TypeTotal]
    terminals: list[TerminalLine] = []  # only when more than one terminal was used
    channels: dict[str, ChannelLine] = {}  # 'card' and 'scan', when the day had any
    holds_count: int = 0  # pre-auths still open at the day's end: held, not settled
    holds_amount: int = 0
    previous_net: int = 0
    average_net: int = 0  # over the HISTORY_DAYS before, days without sales count as 0
    has_history: bool = False  # any transaction in those days; else no comparison

    @property
    def gross(self) -> int:
        """Sales plus pre-auth completions."""
        return self.totals["sale"].amount + self.totals["preauth_complete"].amount

    @property
    def fees(self) -> int:
        """Fees charged minus fees given back on voids and refunds."""
        t = self.totals
        return t["sale"].fee + t["preauth_complete"].fee - t["void"].fee - t["refund"].fee

    @property
    def net(self) -> int:
        """What will be paid out: gross − voids − refunds − fees."""
        return net_of(self.totals)

    @property
    def count(self) -> int:
        """Transactions of any type on the day."""
        return sum(t.count for t in self.totals.values())

    @property
    def is_empty(self) -> bool:
        """No transaction at all on the day."""
        return self.count == 0


def day_window(timezone: str, day: date) -> DayWindow:
    """The business day `day` in `timezone` as a UTC interval [start, end)."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    return DayWindow(timezone, day, start, end)


def local_today(merchant: Merchant, now: datetime | None = None) -> date:
    """The merchant's current business day."""
    return (now or utcnow()).astimezone(merchant.zone).date()


async def compute_summaries(
    tx: Tx,
    business_day: date,
    *,
    merchant_nos: Sequence[str] | None = None,
    settlement_days: int = 1,
) -> list[SettlementDay]:
    """Summaries of `business_day` for every merchant (or those given), in one aggregation."""
    merchants = await MerchantRepository(tx).many(merchant_nos)
    zones = sorted({m.timezone for m in merchants})
    windows = [
        day_window(zone, business_day - timedelta(days=back))
        for zone in zones
        for back in range(HISTORY_DAYS + 1)
    ]
    rows = await TransactionRepository(tx).aggregate(windows, [business_day], merchant_nos)
    by_merchant: dict[str, list[AggregateRow]] = defaultdict(list)
    for row in rows:
        by_merchant[row.merchant_no].append(row)
    return [
        _fold(m, business_day, by_merchant.get(m.merchant_no, []), settlement_days)
        for m in merchants
    ]


async def summary_for(
    tx: Tx, merchant_no: str, business_day: date, *, settlement_days: int = 1
) -> SettlementDay | None:
    """One merchant's summary on demand (/today, /summary YYYY-MM-DD); None if unknown."""
    found = await compute_summaries(
        tx, business_day, merchant_nos=[merchant_no], settlement_days=settlement_days
    )
    return found[0] if found else None


async def week_nets(tx: Tx, merchant: Merchant, last_day: date) -> list[tuple[date, int]]:
    """Net settlement per day for the 7 days ending with last_day (/week), oldest first."""
    days = [last_day - timedelta(days=back) for back in range(6, -1, -1)]
    windows = [day_window(merchant.timezone, d) for d in days]
    rows = await TransactionRepository(tx).aggregate(windows, [], [merchant.merchant_no])
    per_day = _totals_by_day(rows)
    return [(d, net_of(per_day.get(d, {}))) for d in days]


async def day_transactions(tx: Tx, merchant: Merchant, day: date) -> list[Transaction]:
    """The merchant's transactions of one business day, for the details CSV."""
    window = day_window(merchant.timezone, day)
    return await TransactionRepository(tx).between(merchant.merchant_no, window.start, window.end)


def _totals_by_day(rows: Iterable[AggregateRow]) -> dict[date, dict[str, TypeTotal]]:
    per_day: dict[date, dict[str, TypeTotal]] = defaultdict(dict)
    for r in rows:
        if r.day is not None:
            day = per_day[r.day]
            total = TypeTotal(r.count, r.amount, r.fee)
            # Only the detailed day has several rows per type (one per terminal).
            if r.type in day:
                total = TypeTotal(*(a + b for a, b in zip(day[r.type], total, strict=True)))
            day[r.type] = total
    return per_day


def _fold(
    merchant: Merchant, day: date, rows: list[AggregateRow], settlement_days: int
) -> SettlementDay:
    per_day = _totals_by_day(rows)
    today = per_day.get(day, {})
    per_terminal: dict[str, dict[str, TypeTotal]] = defaultdict(dict)
    per_via: dict[str, dict[str, TypeTotal]] = defaultdict(dict)
    holds = (0, 0)
    for r in rows:
        if r.day is None:
            holds = (r.count, r.amount)
        elif r.day == day:
            total = TypeTotal(r.count, r.amount, r.fee)
            for key, into in ((r.terminal_sn, per_terminal), (r.via, per_via)):
                before = into[key].get(r.type)
                into[key][r.type] = (
                    TypeTotal(*(a + b for a, b in zip(before, total, strict=True)))
                    if before
                    else total
                )
    terminals = [
        TerminalLine(
            terminal_sn=sn, count=sum(t.count for t in totals.values()), net=net_of(totals)
        )
        for sn, totals in sorted(per_terminal.items())
    ]
    history = [
        net_of(per_day.get(day - timedelta(days=back), {})) for back in range(1, HISTORY_DAYS + 1)
    ]
    # model_construct: the values come from our own arithmetic, not from outside; skipping
    # validation keeps 10,000 summaries fast.
    return SettlementDay.model_construct(
        merchant_no=merchant.merchant_no,
        merchant_name=merchant.name,
        business_day=day,
        settlement_date=day + timedelta(days=settlement_days),
        totals={t: today.get(t, TypeTotal()) for t in TX_TYPES},
        terminals=terminals if len(terminals) > 1 else [],
        channels={
            via: ChannelLine(
                count=sum(totals[k].count for k in ("sale", "preauth_complete") if k in totals),
                gross=sum(totals[k].amount for k in ("sale", "preauth_complete") if k in totals),
                net=net_of(totals),
            )
            for via, totals in sorted(per_via.items())
            if via
        },
        holds_count=holds[0],
        holds_amount=holds[1],
        previous_net=history[0],
        average_net=round(sum(history) / HISTORY_DAYS),
        has_history=any(d != day for d in per_day),
    )


def render_daily(renderer: Renderer, locale: Locale, summary: SettlementDay) -> str:
    """The daily summary message (Telegram HTML) in the merchant's language."""
    bl = babel_locale(locale)
    return renderer.render(
        locale,
        "summary/daily",
        day=summary,
        t=summary.totals,
        money=lambda fen: format_fen(fen, locale),
        day_label=format_date(summary.business_day, "full", locale=bl),
        settlement_label=format_date(summary.settlement_date, "medium", locale=bl),
        vs_previous=_change(summary.net, summary.previous_net, locale),
        vs_average=_change(summary.net, summary.average_net, locale),
    )


def render_week(
    renderer: Renderer, locale: Locale, merchant_name: str, days: Sequence[tuple[date, int]]
) -> str:
    """The /week caption under the chart: net settlement per day and the total."""
    bl = babel_locale(locale)
    lines = [(format_date(d, "EEE M/d", locale=bl), format_fen(net, locale)) for d, net in days]
    return renderer.render(
        locale,
        "summary/week",
        merchant_name=merchant_name,
        lines=lines,
        total=format_fen(sum(net for _, net in days), locale),
    )


def _change(new: int, old: int, locale: Locale) -> tuple[str, str | None]:
    """The signed difference and, when there is a base to compare with, the percentage."""
    return format_fen_signed(new - old, locale), format_percent_change(new, old, locale)
