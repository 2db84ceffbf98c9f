"""Merchants: numbering, lookup by Telegram user, summary preferences."""

from __future__ import annotations

import pytest

from storage import Storage
from storage.merchants import MerchantRepository


async def test_merchant_numbers_are_sequential(storage: Storage) -> None:
    async with storage.transaction() as repos:
        merchants = MerchantRepository(repos.tx)
        first = await merchants.next_merchant_no()
        await merchants.create(first, "晨光咖啡", 10001, "Asia/Shanghai", application_id=7)
        second = await merchants.next_merchant_no()
    assert (first, second) == ("822330100000001", "822330100000002")
    assert len(first) == 15 and first.isdigit()


async def test_one_telegram_user_can_own_several_shops(storage: Storage) -> None:
    async with storage.transaction() as repos:
        merchants = MerchantRepository(repos.tx)
        await merchants.create("M3301000002", "二店", 10001, "Asia/Shanghai")
        await merchants.create("M3301000001", "一店", 10001, "Asia/Shanghai")
        await merchants.create("M3301000003", "别人的店", 10002, "Asia/Shanghai")
        owned = await merchants.by_telegram(10001)
    assert [m.name for m in owned] == ["一店", "二店"]


async def test_summary_preferences_are_kept_and_bad_values_refused(storage: Storage) -> None:
    async with storage.transaction() as repos:
        merchants = MerchantRepository(repos.tx)
        created = await merchants.create("M3301000001", "店", None, "Asia/Shanghai")
        assert (created.summary_time, created.summaries_enabled) == ("21:30", True)
        await merchants.set_summary_time("M3301000001", "8:05")
        await merchants.set_summaries_enabled("M3301000001", False)
        with pytest.raises(ValueError):
            await merchants.set_summary_time("M3301000001", "25:00")
        with pytest.raises(ValueError):
            await merchants.create("M3301000002", "店", None, "Mars/Olympus")
        merchant = await merchants.get("M3301000001")
    assert merchant is not None
    assert (merchant.summary_time, merchant.summaries_enabled) == ("08:05", False)


async def test_demo_shops_do_not_move_the_numbers_given_on_approval(storage: Storage) -> None:
    async with storage.transaction() as repos:
        merchants = MerchantRepository(repos.tx)
        await merchants.create("822330900000001", "演示面馆", None, "Asia/Shanghai")
        assert await merchants.next_merchant_no() == "822330100000001"
