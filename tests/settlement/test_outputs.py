"""What the merchant receives: the rendered summary, the week chart and the details CSV."""

from __future__ import annotations

import struct
from datetime import date
from zoneinfo import ZoneInfo

from bot.i18n import Renderer
from bot.reports.charts import details_csv, week_chart_png
from bot.reports.settlement import day_transactions, render_daily, render_week, summary_for
from sandbox.telegram_html import parse_html
from storage import Storage
from storage.merchants import MerchantRepository
from storage.transactions import Transaction
from tests.settlement.conftest import add_merchant, add_transactions, txn

DAY = date(2026, 11, 25)


async def _sample_day(storage: Storage) -> None:
    await add_merchant(storage, name="老杭州面馆 <本店>")
    await add_transactions(
        storage,
        txn("S1", "sale", "1234.56", "2026-11-24T17:30:00Z", fee="4.69", terminal="SN01"),
        txn("S2", "sale", "100.00", "2026-11-25T12:00:00+08:00", fee="0.60", terminal="SN02"),
        txn("R1", "refund", "20.00", "2026-11-25T13:00:00+08:00", terminal="SN02"),
        txn("P1", "preauth", "800.00", "2026-11-25T20:00:00+08:00", terminal="SN01"),
    )


async def test_summary_shows_locale_formatted_amounts_in_both_languages(storage: Storage) -> None:
    await _sample_day(storage)
    async with storage.transaction() as repos:
        day = await summary_for(repos.tx, "M3301000001", DAY)
    assert day is not None and day.net == 123456 + 10000 - 2000 - 469 - 60
    renderer = Renderer()
    zh, en = render_daily(renderer, "zh-CN", day), render_daily(renderer, "en", day)
    assert "¥1,334.56" in zh and "净结算：¥1,309.27" in zh and "¥800.00" in zh
    assert "2026年11月26日" in zh  # T+1
    assert "CN¥1,334.56" in en and "Net settlement: CN¥1,309.27" in en
    assert "Nov 26, 2026" in en
    for text in (zh, en):
        assert "&lt;本店&gt;" in text  # the shop name is escaped, the markup is ours
        assert "<code>SN01</code>" in text and "<code>SN02</code>" in text


async def test_week_caption_lists_each_day_and_the_total(storage: Storage) -> None:
    days = [(date(2026, 11, d), 10000 * (d - 18)) for d in range(19, 26)]
    text = render_week(Renderer(), "en", "Shop", days)
    assert "CN¥100.00" in text and "Total: CN¥2,800.00" in text
    assert "合计：¥2,800.00" in render_week(Renderer(), "zh-CN", "店", days)


def test_week_chart_is_a_small_png() -> None:
    days = [(date(2026, 11, d), (d - 21) * 12345) for d in range(19, 26)]  # includes < 0
    for locale in ("zh-CN", "en"):
        png = week_chart_png(days, locale)  # type: ignore[arg-type]
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        width, height = struct.unpack(">II", png[16:24])
        assert (width, height) == (800, 450)


async def test_details_csv_opens_in_excel_with_local_times_and_yuan(storage: Storage) -> None:
    await _sample_day(storage)
    async with storage.transaction() as repos:
        merchant = await MerchantRepository(repos.tx).get("M3301000001")
        assert merchant is not None
        rows: list[Transaction] = await day_transactions(repos.tx, merchant, DAY)
    data = details_csv(rows, "zh-CN", tz=ZoneInfo("Asia/Shanghai"))
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("交易时间,终端号,交易类型")
    # 2026-11-24T17:30:00Z is 01:30 the next morning in Shanghai
    assert lines[1] == "2026-11-25 01:30:00,SN01,消费,银行卡,1234.56,4.69,S1"
    assert lines[3].split(",")[2:5] == ["退货", "银行卡", "20.00"]
    english = details_csv(rows, "en", tz=ZoneInfo("Asia/Shanghai")).decode("utf-8-sig")
    assert "Pre-auth,Bank card,800.00" in english


async def test_summary_is_markup_telegram_accepts(storage: Storage) -> None:
    await _sample_day(storage)
    renderer = Renderer()
    async with storage.transaction() as repos:
        busy = await summary_for(repos.tx, "M3301000001", DAY)
        quiet = await summary_for(repos.tx, "M3301000001", date(2026, 11, 27))
    assert busy is not None and quiet is not None
    for day in (busy, quiet):
        for locale in ("zh-CN", "en"):
            text, _entities = parse_html(render_daily(renderer, locale, day))  # type: ignore[arg-type]
            assert max(len(line) for line in text.splitlines()) <= 64  # readable on a phone
