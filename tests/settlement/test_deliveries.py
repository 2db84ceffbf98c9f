"""Which daily summaries are due, catch-up after downtime, and sending each exactly once."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path

from storage import Storage
from storage.merchants import MerchantRepository
from storage.summary_deliveries import SummaryDeliveryRepository
from tests.settlement.conftest import add_merchant

# 21:00 and 21:30 on 2026-11-25 in Shanghai
BEFORE_SUMMARY_TIME = datetime.fromisoformat("2026-11-25T13:00:00+00:00")
AT_SUMMARY_TIME = datetime.fromisoformat("2026-11-25T13:30:00+00:00")


async def _due(storage: Storage, now: datetime) -> list[tuple[str, date, bool]]:
    async with storage.transaction() as repos:
        due = await SummaryDeliveryRepository(repos.tx).due(now)
    return [(d.merchant.merchant_no, d.business_day, d.late) for d in due]


async def test_todays_summary_is_due_once_the_local_summary_time_passes(storage: Storage) -> None:
    await add_merchant(storage, created_at="2026-11-25T00:00:00+00:00")
    assert await _due(storage, BEFORE_SUMMARY_TIME) == []
    assert await _due(storage, AT_SUMMARY_TIME) == [("M3301000001", date(2026, 11, 25), False)]


async def test_missed_days_are_caught_up_three_days_back_and_not_older(storage: Storage) -> None:
    await add_merchant(storage)  # has existed all year
    due = await _due(storage, BEFORE_SUMMARY_TIME)
    assert due == [
        ("M3301000001", date(2026, 11, 22), True),
        ("M3301000001", date(2026, 11, 23), True),
        ("M3301000001", date(2026, 11, 24), True),
    ]


async def test_no_summary_for_days_before_the_merchant_existed(storage: Storage) -> None:
    await add_merchant(storage, created_at="2026-11-24T10:00:00+00:00")
    days = [day for _, day, _ in await _due(storage, AT_SUMMARY_TIME)]
    assert days == [date(2026, 11, 24), date(2026, 11, 25)]


async def test_a_merchant_who_joins_after_the_summary_time_gets_that_days_summary_not(
    storage: Storage,
) -> None:
    # joined at 22:10 Shanghai, after the 21:30 summary: no "no transactions" that evening
    await add_merchant(storage, created_at="2026-11-25T14:10:00+00:00")
    late_that_evening = datetime.fromisoformat("2026-11-25T15:00:00+00:00")
    assert await _due(storage, late_that_evening) == []
    next_evening = datetime.fromisoformat("2026-11-26T13:30:00+00:00")
    assert await _due(storage, next_evening) == [("M3301000001", date(2026, 11, 26), False)]


async def test_merchants_without_telegram_or_with_summaries_off_get_none(storage: Storage) -> None:
    await add_merchant(storage, "M3301000001", telegram_id=None)
    await add_merchant(storage, "M3301000002")
    await add_merchant(storage, "M3301000003")
    async with storage.transaction() as repos:
        merchants = MerchantRepository(repos.tx)
        await merchants.set_summaries_enabled("M3301000002", False)
        await merchants.set_summary_time("M3301000003", "9:15")
    assert {no for no, _, _ in await _due(storage, AT_SUMMARY_TIME)} == {"M3301000003"}


async def test_a_claimed_or_sent_summary_is_not_due_again(storage: Storage) -> None:
    await add_merchant(storage, created_at="2026-11-25T00:00:00+00:00")
    day = date(2026, 11, 25)
    async with storage.transaction() as repos:
        deliveries = SummaryDeliveryRepository(repos.tx)
        assert await deliveries.claim("M3301000001", day, now=AT_SUMMARY_TIME)
        assert not await deliveries.claim("M3301000001", day, now=AT_SUMMARY_TIME)
    assert await _due(storage, AT_SUMMARY_TIME) == []
    async with storage.transaction() as repos:
        await SummaryDeliveryRepository(repos.tx).mark_sent("M3301000001", day)
    assert await _due(storage, datetime.fromisoformat("2026-11-25T15:00:00+00:00")) == []


async def test_a_failed_send_marked_for_retry_becomes_due_again(storage: Storage) -> None:
    await add_merchant(storage, created_at="2026-11-25T00:00:00+00:00")
    day = date(2026, 11, 25)
    async with storage.transaction() as repos:
        deliveries = SummaryDeliveryRepository(repos.tx)
        await deliveries.claim("M3301000001", day, now=AT_SUMMARY_TIME)
        await deliveries.mark_failed("M3301000001", day, retry=True)
    assert len(await _due(storage, AT_SUMMARY_TIME)) == 1


async def test_a_claim_abandoned_by_a_crashed_process_is_taken_over(storage: Storage) -> None:
    await add_merchant(storage, created_at="2026-11-25T00:00:00+00:00")
    day = date(2026, 11, 25)
    async with storage.transaction() as repos:
        await SummaryDeliveryRepository(repos.tx).claim("M3301000001", day, now=AT_SUMMARY_TIME)
    later = datetime.fromisoformat("2026-11-25T14:00:00+00:00")
    assert len(await _due(storage, later)) == 1
    async with storage.transaction() as repos:
        assert await SummaryDeliveryRepository(repos.tx).claim("M3301000001", day, now=later)


async def test_a_claim_of_an_instance_that_is_gone_is_taken_over_at_once(
    storage: Storage,
) -> None:
    await add_merchant(storage, created_at="2026-11-25T00:00:00+00:00")
    day = date(2026, 11, 25)
    async with storage.transaction() as repos:
        deliveries = SummaryDeliveryRepository(repos.tx)
        assert await deliveries.claim("M3301000001", day, now=AT_SUMMARY_TIME, owner="a")
        assert await deliveries.claim_owners() == ["a"]
    soon = datetime.fromisoformat("2026-11-25T13:30:20+00:00")  # 20 s, not 15 min, later
    # While "a" is alive its claim stands; once it is gone the summary is due again ...
    assert await _due(storage, soon) == []
    async with storage.transaction() as repos:
        due = await SummaryDeliveryRepository(repos.tx).due(soon, gone=["a"])
        assert [d.merchant.merchant_no for d in due] == ["M3301000001"]
        deliveries = SummaryDeliveryRepository(repos.tx)
        assert not await deliveries.claim("M3301000001", day, now=soon, owner="b")
        # ... and exactly one other instance takes it over.
        assert await deliveries.claim("M3301000001", day, now=soon, owner="b", gone=["a"])
        assert not await deliveries.claim("M3301000001", day, now=soon, owner="c", gone=["a"])
        assert await deliveries.claim_owners() == ["b"]
    # A claim made a moment ago (its instance may be finishing the send) is left alone.
    async with storage.transaction() as repos:
        just = datetime.fromisoformat("2026-11-25T13:30:25+00:00")
        assert not await SummaryDeliveryRepository(repos.tx).claim(
            "M3301000001", day, now=just, owner="c", gone=["b"]
        )


async def test_two_processes_claiming_the_same_summary_send_it_once(
    storage: Storage, database: Path | str
) -> None:
    await add_merchant(storage)
    # two separate connections to the same database, as two bot processes would have
    first, second = Storage(database, storage.keys), Storage(database, storage.keys)
    await first.open()
    await second.open()

    async def claim(store: Storage) -> bool:
        async with store.transaction() as repos:
            won = await repos.summary_deliveries.claim("M3301000001", date(2026, 11, 25))
            await asyncio.sleep(0.01)  # hold the transaction open while the other tries
            return won

    try:
        results = await asyncio.gather(*(claim(s) for s in (first, second, first, second)))
    finally:
        await first.close()
        await second.close()
    assert sorted(results) == [False, False, False, True]
