"""Reports on a phone: /details [date] pages the day's transactions (10 a page, ◀ ▶) besides
the CSV, and the daily summary splits card and scan payments."""

from __future__ import annotations

import pytest

from bot.keys import keys_for
from bot.settings import Settings
from sandbox.server import BotApiServer
from storage import Storage
from tests.e2e.conftest import BotRunner
from tests.e2e.harness import ChatUser
from tests.e2e.test_summaries import SHOP, SINCE_THIS_MORNING, Clock, clock, settings
from tests.postgres import on_both_backends
from tests.settlement.conftest import add_merchant, add_transactions, txn

__all__ = ["clock", "settings"]  # fixtures shared with test_summaries


async def seed_day(settings: Settings, telegram_id: int) -> None:
    """23 sales on 2026-11-24: 15 by card (¥10.00 each), 8 by QR (¥5.00 each)."""
    storage = Storage(settings.database, keys_for(settings))
    await storage.open()
    try:
        await add_merchant(
            # linked this morning: no summary of earlier days is pushed while the test reads
            storage,
            SHOP,
            name="老杭州面馆",
            telegram_id=telegram_id,
            created_at=SINCE_THIS_MORNING,
        )
        rows = [
            txn(
                f"D{i:02d}",
                "sale",
                "10.00" if i < 15 else "5.00",
                f"2026-11-24T{9 + i // 4:02d}:{(i % 4) * 15:02d}:00+08:00",
                fee="0.06" if i < 15 else "0.02",
                merchant_no=SHOP,
                channel="card" if i < 15 else ("alipay" if i % 2 else "wechat"),
            )
            for i in range(23)
        ]
        await add_transactions(storage, *rows)
    finally:
        await storage.close()


@on_both_backends
@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_details_pages_ten_at_a_time_besides_the_csv(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock, language: str
) -> None:
    await seed_day(settings, 10001)
    await run_bot(settings)
    shop = ChatUser(server, 10001, "小王", language_code="zh-hans" if language == "zh-CN" else "en")

    await shop.send("/details 2026-11-24")
    page = await shop.reply()
    zh = language == "zh-CN"
    assert ("共 23 笔 · 第 1/3 页" if zh else "23 in all · page 1/3") in page["text"]
    assert "1. 09:00:00" in page["text"] and "10. 11:15:00" in page["text"]
    assert "11. " not in page["text"]
    assert shop.buttons(page) == ["1/3", "▶"]
    document = await shop.reply()
    assert document["document"]["file_name"].endswith("_2026-11-24.csv")

    await shop.press("▶", page)
    second = await shop.edited()
    assert "11. 11:30:00" in second["text"] and "20. " in second["text"]
    assert shop.buttons(second) == ["◀", "2/3", "▶"]
    await shop.press("▶", second)
    third = await shop.edited()
    assert "23. " in third["text"] and ("支付宝" if zh else "Alipay") in third["text"]
    assert shop.buttons(third) == ["◀", "3/3"]
    await shop.press("◀", third)
    assert "11. " in (await shop.edited())["text"]

    await shop.send("/summary 2026-11-24")
    summary = await shop.reply_text()
    if zh:
        assert "· 刷卡：15 笔，¥150.00" in summary and "· 扫码：8 笔，¥40.00" in summary
    else:
        assert "· Cards: 15, CN¥150.00" in summary and "· QR payments: 8, CN¥40.00" in summary


async def test_details_with_a_bad_date_says_how_to_write_one(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    await seed_day(settings, 10001)
    await run_bot(settings)
    shop = ChatUser(server, 10001, "小王")
    await shop.send("/details 11-24")
    assert "2026-11-24" in await shop.reply_text()  # the example of a date to type
