"""The daily settlement: every transaction type, business days, holds and comparisons."""

from __future__ import annotations

from datetime import date

from bot.i18n import Renderer
from bot.reports.settlement import compute_summaries, render_daily, summary_for, week_nets
from storage import Storage
from storage.db import Tx
from storage.merchants import MerchantRepository
from tests.settlement.conftest import add_merchant, add_transactions, txn

DAY = date(2026, 11, 25)


async def _summary(storage: Storage, day: date = DAY, merchant_no: str = "M3301000001"):
    async with storage.transaction() as repos:
        found = await summary_for(repos.tx, merchant_no, day)
    assert found is not None
    return found


async def _two_days(storage: Storage) -> None:
    await add_merchant(storage)
    await add_transactions(
        storage,
        # the previous day: a sale that is refunded today, a pre-auth completed today
        txn("S0", "sale", "100.00", "2026-11-24T12:00:00+08:00", fee="0.38"),
        txn("P1", "preauth", "500.00", "2026-11-24T20:00:00+08:00"),
        # the business day
        txn("S1", "sale", "200.00", "2026-11-25T09:00:00+08:00", fee="1.20", channel="wechat"),
        txn("S2", "sale", "50.00", "2026-11-25T10:00:00+08:00", fee="0.30"),
        txn("V2", "void", "50.00", "2026-11-25T10:02:00+08:00", fee="0.30", original_id="S2"),
        txn("R0", "refund", "40.00", "2026-11-25T11:00:00+08:00", original_id="S0"),
        txn("C1", "preauth_complete", "450.00", "2026-11-25T12:00:00+08:00", fee="1.71"),
        txn("P2", "preauth", "300.00", "2026-11-25T15:00:00+08:00"),
        txn("P3", "preauth", "200.00", "2026-11-25T16:00:00+08:00"),
        txn("X3", "preauth_cancel", "200.00", "2026-11-25T17:00:00+08:00", original_id="P3"),
    )


async def test_net_settlement_counts_every_transaction_type(storage: Storage) -> None:
    await _two_days(storage)
    day = await _summary(storage)
    t = day.totals
    assert (t["sale"].count, t["sale"].amount) == (2, 25000)
    assert (t["void"].count, t["void"].amount) == (1, 5000)
    assert (t["refund"].count, t["refund"].amount) == (1, 4000)
    assert (t["preauth"].count, t["preauth"].amount) == (2, 50000)
    assert (t["preauth_cancel"].count, t["preauth_complete"].amount) == (1, 45000)
    assert day.gross == 25000 + 45000  # sales + the completion of yesterday's pre-auth
    assert day.fees == 120 + 30 + 171 - 30  # the void gives its fee back
    assert day.net == 70000 - 5000 - 4000 - 291
    assert day.settlement_date == date(2026, 11, 26)


async def test_open_holds_are_shown_apart_and_not_settled(storage: Storage) -> None:
    await _two_days(storage)
    today, yesterday = await _summary(storage), await _summary(storage, date(2026, 11, 24))
    # P1 completed and P3 cancelled today: only P2 is still held
    assert (today.holds_count, today.holds_amount) == (1, 30000)
    assert (yesterday.holds_count, yesterday.holds_amount) == (1, 50000)
    assert yesterday.net == 10000 - 38  # the pre-auth is not money yet


async def test_refund_of_a_previous_sale_counts_on_the_refund_day(storage: Storage) -> None:
    await _two_days(storage)
    yesterday = await _summary(storage, date(2026, 11, 24))
    assert yesterday.totals["refund"].count == 0
    assert (await _summary(storage)).totals["refund"].amount == 4000


async def test_completion_without_original_id_closes_the_open_preauth(storage: Storage) -> None:
    await add_merchant(storage)
    await add_transactions(
        storage,
        txn("P1", "preauth", "800.00", "2026-11-23T20:00:00+08:00"),
        txn("C1", "preauth_complete", "640.00", "2026-11-25T11:00:00+08:00", fee="2.43"),
    )
    day = await _summary(storage)
    assert (day.holds_count, day.gross) == (0, 64000)


async def test_business_day_is_the_shanghai_date_not_the_utc_date(storage: Storage) -> None:
    await add_merchant(storage, "M3301000001")
    await add_merchant(storage, "M3301000002", timezone="UTC")
    for merchant_no in ("M3301000001", "M3301000002"):
        await add_transactions(
            storage,
            # 2026-11-25 01:30 in Shanghai, still 2026-11-24 in UTC
            txn(
                f"{merchant_no}-a", "sale", "10.00", "2026-11-24T17:30:00Z", merchant_no=merchant_no
            ),
            # 2026-11-24 23:59:59 in Shanghai
            txn(
                f"{merchant_no}-b", "sale", "1.00", "2026-11-24T15:59:59Z", merchant_no=merchant_no
            ),
        )
    shanghai, utc = await _summary(storage), await _summary(storage, merchant_no="M3301000002")
    assert shanghai.gross == 1000
    assert (await _summary(storage, date(2026, 11, 24))).gross == 100
    assert utc.gross == 0
    assert (await _summary(storage, date(2026, 11, 24), "M3301000002")).gross == 1100


async def test_change_vs_previous_day_and_seven_day_average(storage: Storage) -> None:
    await _two_days(storage)
    day = await _summary(storage)
    assert day.has_history
    assert day.previous_net == 9962
    assert day.average_net == round(9962 / 7)  # days without sales count as zero


async def test_each_terminal_gets_a_line_only_when_there_are_several(storage: Storage) -> None:
    await add_merchant(storage)
    await add_transactions(
        storage,
        txn("A", "sale", "30.00", "2026-11-25T12:00:00+08:00", terminal="SN01"),
        txn("B", "sale", "20.00", "2026-11-25T12:30:00+08:00", terminal="SN02", fee="0.12"),
        txn("C", "sale", "5.00", "2026-11-25T13:00:00+08:00", terminal="SN02"),
    )
    day = await _summary(storage)
    assert [(t.terminal_sn, t.count, t.net) for t in day.terminals] == [
        ("SN01", 1, 3000),
        ("SN02", 2, 2488),
    ]
    assert (await _summary(storage, date(2026, 11, 26))).terminals == []


async def test_a_day_without_transactions_says_so_kindly(storage: Storage) -> None:
    await add_merchant(storage)
    day = await _summary(storage)
    assert day.is_empty and not day.has_history
    renderer = Renderer()
    assert "没有交易" in render_daily(renderer, "zh-CN", day)
    assert "No transactions" in render_daily(renderer, "en", day)


async def test_week_lists_seven_days_of_net_settlement_oldest_first(storage: Storage) -> None:
    await _two_days(storage)
    async with storage.transaction() as repos:
        merchant = await MerchantRepository(repos.tx).get("M3301000001")
        assert merchant is not None
        week = await week_nets(repos.tx, merchant, DAY)
    assert [d.day for d, _ in week] == [19, 20, 21, 22, 23, 24, 25]
    assert [net for _, net in week][-2:] == [9962, 60709]


class _CountingTx(Tx):
    def __init__(self, inner: Tx) -> None:
        self.inner, self.queries = inner, 0

    async def fetchall(self, sql, params=()):  # type: ignore[no-untyped-def]
        self.queries += 1
        return await self.inner.fetchall(sql, params)

    async def fetchone(self, sql, params=()):  # type: ignore[no-untyped-def]
        self.queries += 1
        return await self.inner.fetchone(sql, params)


async def test_summaries_for_all_merchants_take_the_same_few_queries(storage: Storage) -> None:
    queries = []
    for first, last in ((1, 3), (4, 30)):
        for n in range(first, last + 1):
            await add_merchant(storage, f"M{3301000000 + n:010d}")
        async with storage.transaction() as repos:
            counting = _CountingTx(repos.tx)
            found = await compute_summaries(counting, DAY)
        assert len(found) == last
        queries.append(counting.queries)
    assert queries[0] == queries[1] <= 2  # the merchants, then one aggregation
