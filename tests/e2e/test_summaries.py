"""Daily settlement summaries as merchants meet them, through the local Bot API server.

The bot stands at a chosen moment (bot.reports.settlement.clock), so 21:30 in Shanghai
arrives when the test says so; the tick runs every 0.2 s instead of every minute.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr
from telegram.ext import Application

from bot.data import BotData
from bot.demo import FIRST_NUMBER
from bot.ingest_api import sign
from bot.keys import keys_for
from bot.reports import settlement
from bot.runner import start_ingest, stop_bot
from bot.settings import Settings
from handlers import report_views
from sandbox.server import BotApiServer
from scheduler.summaries import JOB_NAME, SummaryPusher
from storage import Storage
from storage.transactions import NewTransaction
from tests.e2e.conftest import BotRunner
from tests.e2e.harness import ChatUser
from tests.postgres import on_both_backends, point_cli_at
from tests.settlement.conftest import add_merchant, add_transactions, txn

SHOP = "822330100000001"
# 2026-11-25 in Shanghai: 18:00, 21:00 and 21:31 (the default summary time is 21:30)
EVENING = datetime.fromisoformat("2026-11-25T18:00:00+08:00")
BEFORE_SUMMARY = datetime.fromisoformat("2026-11-25T21:00:00+08:00")
AFTER_SUMMARY = datetime.fromisoformat("2026-11-25T21:31:00+08:00")
SINCE_THIS_MORNING = "2026-11-25T00:00:00+00:00"


class Clock:
    """The bot's now, moved by the test."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    stopped = Clock(EVENING)
    monkeypatch.setattr(settlement, "clock", stopped)
    return stopped


@pytest.fixture
def settings(bot_settings: Settings) -> Settings:
    return bot_settings.model_copy(update={"summary_tick_seconds": 0.2})


def day_of(merchant_no: str = SHOP) -> list[NewTransaction]:
    """Net ¥1,309.27 on the 25th (01:30 local is still the 25th), ¥497.00 on the 23rd."""
    return [
        txn(f"{merchant_no}S1", "sale", "1234.56", "2026-11-24T17:30:00Z", fee="4.69",
            merchant_no=merchant_no),
        txn(f"{merchant_no}S2", "sale", "100.00", "2026-11-25T12:00:00+08:00", fee="0.60",
            merchant_no=merchant_no),
        txn(f"{merchant_no}R1", "refund", "20.00", "2026-11-25T13:00:00+08:00",
            merchant_no=merchant_no),
        txn(f"{merchant_no}S0", "sale", "500.00", "2026-11-23T10:00:00+08:00", fee="3.00",
            merchant_no=merchant_no),
    ]  # fmt: skip


async def seed(
    settings: Settings,
    shops: list[tuple[str, str, int]],
    *,
    created_at: str = SINCE_THIS_MORNING,
) -> None:
    """Merchants (number, name, Telegram id) and their transactions, before the bot starts."""
    storage = Storage(settings.database, keys_for(settings))
    await storage.open()
    try:
        for merchant_no, name, telegram_id in shops:
            await add_merchant(
                storage, merchant_no, name=name, telegram_id=telegram_id, created_at=created_at
            )
            await add_transactions(storage, *day_of(merchant_no))
    finally:
        await storage.close()


def summaries_of(user: ChatUser) -> list[dict]:
    """Every daily summary the bot has sent the user so far."""
    return [
        m
        for m in user.server.messages(user.chat_id)
        if "日结算单" in m.get("text", "") or "daily settlement" in m.get("text", "")
    ]


@on_both_backends
async def test_summary_arrives_once_at_the_summary_time_and_not_again_after_a_restart(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    await seed(settings, [(SHOP, "老杭州面馆", 10001)])
    clock.moment = BEFORE_SUMMARY
    app = await run_bot(settings)
    shop = ChatUser(server, 10001, "小王")
    await shop.send("/start")
    await shop.reply()
    await shop.silence(1.0)  # 21:00: nothing yet

    clock.moment = AFTER_SUMMARY
    summary = await shop.expect("日结算单")
    assert "净结算：¥1,309.27" in summary["text"]
    assert "补发" not in summary["text"]
    assert shop.buttons(summary) == ["🧾 交易明细", "📈 近 7 日图表"]
    await shop.silence(1.0)

    await stop_bot(app)
    await run_bot(settings)
    await shop.silence(1.5)
    assert len(summaries_of(shop)) == 1


async def test_a_merchant_who_joined_after_the_summary_time_gets_none_that_evening(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    # joined at 21:45 Shanghai (stored in UTC), after the 21:30 summary: no "no transactions,
    # check your POS" that evening
    await seed(settings, [(SHOP, "老杭州面馆", 10001)], created_at="2026-11-25T13:45:00+00:00")
    clock.moment = datetime.fromisoformat("2026-11-25T22:30:00+08:00")
    await run_bot(settings)
    shop = ChatUser(server, 10001, "小王")
    await shop.send("/start")
    await shop.reply()
    await shop.silence(1.5)
    assert summaries_of(shop) == []

    clock.moment = datetime.fromisoformat("2026-11-26T21:31:00+08:00")  # the next evening
    summary = await shop.expect("日结算单")
    assert "11月26日" in summary["text"]


@on_both_backends
async def test_english_merchant_gets_the_summary_in_english(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    await seed(settings, [(SHOP, "Hangzhou Noodles", 10002)])
    clock.moment = BEFORE_SUMMARY
    await run_bot(settings)
    alice = ChatUser(server, 10002, "Alice", language_code="en")
    await alice.send("/start")
    await alice.reply()
    clock.moment = AFTER_SUMMARY
    summary = await alice.expect("daily settlement")
    assert "Net settlement: CN¥1,309.27" in summary["text"]
    assert "Expected in your account on Nov 26, 2026" in summary["text"]


@on_both_backends
async def test_today_and_week_show_the_totals_in_chinese(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    await seed(settings, [(SHOP, "老杭州面馆", 10001)])
    await run_bot(settings)
    shop = ChatUser(server, 10001, "小王")

    await shop.send("/today")
    today = await shop.reply()
    assert "2026年11月25日" in today["text"] and "净结算：¥1,309.27" in today["text"]
    assert "截至 18:00" in today["text"]  # the day is not over: the figures are partial
    await shop.send("/summary 2026-11-24")
    assert "截至" not in await shop.reply_text()  # a past day is complete

    await shop.send("/week")
    chart = await shop.reply()
    assert "合计：¥1,806.27" in chart["caption"]
    assert "¥497.00" in chart["caption"]
    png = server.file_bytes(chart["photo"][-1]["file_id"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


@on_both_backends
async def test_today_and_week_show_the_totals_in_english(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    await seed(settings, [(SHOP, "Hangzhou Noodles", 10002)])
    await run_bot(settings)
    alice = ChatUser(server, 10002, "Alice", language_code="en")

    await alice.send("/today")
    assert "Net settlement: CN¥1,309.27" in await alice.reply_text()
    await alice.send("/week")
    chart = await alice.reply()
    assert "Total: CN¥1,806.27" in chart["caption"] and "photo" in chart


@on_both_backends
async def test_details_button_sends_the_days_transactions_as_csv_and_chart_button_a_png(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    await seed(settings, [(SHOP, "老杭州面馆", 10001)])
    await run_bot(settings)
    shop = ChatUser(server, 10001, "小王")
    await shop.send("/today")
    summary = await shop.reply()

    await shop.press("交易明细", summary)
    page = await shop.reply()  # readable on the phone first: 3 lines, one page, no buttons
    assert "共 3 笔 · 第 1/1 页" in page["text"] and not shop.buttons(page)
    document = await shop.reply()
    assert document["document"]["file_name"] == f"交易明细_{SHOP}_2026-11-25.csv"
    assert "共 3 笔" in document["caption"]
    lines = server.file_bytes(document["document"]["file_id"]).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("交易时间,终端号,交易类型")
    assert lines[1].startswith("2026-11-25 01:30:00,SN01,消费,银行卡,1234.56,4.69")
    assert len(lines) == 4

    await shop.press("近 7 日图表", summary)
    chart = await shop.reply()
    assert server.file_bytes(chart["photo"][-1]["file_id"]).startswith(b"\x89PNG")
    assert "合计：¥1,806.27" in chart["caption"]


@on_both_backends
async def test_summary_for_a_given_day_and_mistyped_or_future_dates(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    await seed(settings, [(SHOP, "老杭州面馆", 10001)])
    await run_bot(settings)
    shop = ChatUser(server, 10001, "小王")

    await shop.send("/summary 2026年11月23日")
    text = await shop.reply_text()
    assert "2026年11月23日" in text and "净结算：¥497.00" in text
    await shop.send("/summary 2026-13-45")
    text = await shop.reply_text()
    assert "2026-13-45" in text and "/summary 2026-11-24" in text
    await shop.send("/summary 2026-12-01")
    assert "还没有到" in await shop.reply_text()


@on_both_backends
async def test_someone_without_a_shop_is_told_to_apply_first(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    await run_bot(settings)
    visitor = ChatUser(server, 10009, "路人")
    await visitor.send("/today")
    message = await visitor.reply()
    assert "审核通过" in message["text"]
    assert any("申请POS机" in b for b in visitor.buttons(message))
    await visitor.press("申请POS机", message)
    assert "申请" in await visitor.reply_text()

    english = ChatUser(server, 10010, "Bob", language_code="en")
    await english.send("/week")
    assert "approved" in await english.reply_text()


@on_both_backends
async def test_main_menu_summary_button_opens_the_report_menu(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    await seed(settings, [(SHOP, "老杭州面馆", 10001)])
    await run_bot(settings)
    shop = ChatUser(server, 10001, "小王")
    await shop.send("/start")
    await shop.press("今日汇总", await shop.reply())
    menu = await shop.reply()
    assert SHOP in menu["text"] and "21:30" in menu["text"]
    await shop.press("昨日结算单", menu)
    assert "2026年11月24日" in await shop.reply_text()


@on_both_backends
async def test_summary_settings_switch_pushes_off_and_back_on_at_another_time(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    await seed(settings, [(SHOP, "老杭州面馆", 10001)])
    await run_bot(settings)
    shop = ChatUser(server, 10001, "小王")
    await shop.send("/settings")
    panel = await shop.reply()
    assert "开启" in panel["text"] and "✅ 21:30" in shop.buttons(panel)
    assert "北京时间" in panel["text"] and "Asia/Shanghai" not in panel["text"]
    await shop.press("关闭每日推送", panel)
    assert "已关闭" in (await shop.edited())["text"]

    clock.moment = AFTER_SUMMARY
    await shop.silence(1.0)  # switched off: no summary at 21:30

    await shop.send("/settings 25:00")
    assert "25:00" in await shop.reply_text()
    await shop.send("/settings 21:15")
    assert "21:15" in await shop.reply_text()  # saved, and switched back on
    summary = await shop.expect("日结算单")
    assert "¥1,309.27" in summary["text"]


@on_both_backends
async def test_a_merchant_who_blocked_the_bot_does_not_stop_the_others(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    shops = [(f"82233010000000{n}", f"店{n}", 10010 + n) for n in range(1, 4)]
    await seed(settings, shops)
    users = [ChatUser(server, telegram_id, name) for _, name, telegram_id in shops]
    clock.moment = BEFORE_SUMMARY
    app = await run_bot(settings)
    for user in users:
        await user.send("/start")
        await user.reply()
    server.block_chat(10012)
    server.fail_next(1, 429, retry_after=1, methods={"sendMessage"})  # and Telegram is busy
    clock.moment = AFTER_SUMMARY
    await users[0].expect("日结算单")
    await users[2].expect("日结算单")

    await stop_bot(app)
    first_day = len(server.calls)
    await run_bot(settings)  # the blocked merchant is not retried after a restart...
    clock.moment = AFTER_SUMMARY + timedelta(days=1)  # ...nor tried again the next day
    await users[0].expect("日结算单")
    await users[2].expect("日结算单")
    await asyncio.sleep(0.5)
    assert [len(summaries_of(user)) for user in users] == [2, 0, 2]
    tried = [p["chat_id"] for name, p in server.calls[first_day:] if name == "sendmessage"]
    assert "10012" not in map(str, tried)  # marked unreachable: skipped, not even tried


@on_both_backends
async def test_people_get_answers_at_once_while_a_big_push_is_running(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    shops = [(f"8223301000010{n:02d}", f"店{n}", 10100 + n) for n in range(60)]
    await seed(settings, shops)
    users = [ChatUser(server, telegram_id, name) for _, name, telegram_id in shops]
    clock.moment = AFTER_SUMMARY
    await run_bot(settings)
    await users[5].expect("日结算单", timeout=10)  # about 2 s of pushing still to go

    loop = asyncio.get_running_loop()
    asked = loop.time()
    await users[0].send("/today")
    assert "净结算：¥1,309.27" in await users[0].reply_text()
    assert loop.time() - asked < 1.0
    assert summaries_of(users[-1]) == []  # the push was still running
    await users[-1].expect("日结算单", timeout=10)


@on_both_backends
async def test_a_restart_in_the_middle_of_a_push_sends_every_summary_exactly_once(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    shops = [(f"82233010000001{n}", f"店{n}", 10020 + n) for n in range(8)]
    await seed(settings, shops)
    users = [ChatUser(server, telegram_id, name) for _, name, telegram_id in shops]
    slow = settings.model_copy(update={"summary_push_concurrency": 1})
    server.latency = 0.3  # every Bot API call: the push takes about 2.5 s
    clock.moment = AFTER_SUMMARY
    app = await run_bot(slow)

    await users[1].expect("日结算单", timeout=10)
    await stop_bot(app)  # mid-push: the send in flight finishes, nothing new is claimed
    sent_before_restart = sum([len(summaries_of(u)) for u in users])
    assert 2 <= sent_before_restart < len(users)

    await run_bot(slow)
    await users[-1].expect("日结算单", timeout=10)
    await asyncio.sleep(0.5)
    assert [len(summaries_of(u)) for u in users] == [1] * len(users)


@on_both_backends
async def test_two_bot_processes_pushing_at_once_send_each_summary_once(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    shops = [(f"82233010000002{n}", f"店{n}", 10030 + n) for n in range(5)]
    await seed(settings, shops)
    users = [ChatUser(server, telegram_id, name) for _, name, telegram_id in shops]
    app: Application = await run_bot(settings)  # its own ticks find nothing due at 18:00
    this: BotData = app.bot_data

    other = BotData()  # a second process: its own connection to the same database file
    other.settings, other.renderer = settings, this.renderer
    other.storage = Storage(settings.database, keys_for(settings))
    await other.storage.open()
    try:
        reports = await asyncio.gather(
            SummaryPusher(settings, report_views.send_daily).run(app.bot, this, now=AFTER_SUMMARY),
            SummaryPusher(settings, report_views.send_daily).run(app.bot, other, now=AFTER_SUMMARY),
        )
    finally:
        await other.storage.close()
    # each was claimed by one of them; the other either found it taken or no longer due
    assert sum(r.sent for r in reports) == 5
    assert [len(summaries_of(u)) for u in users] == [1] * 5
    assert app.job_queue is not None and app.job_queue.get_jobs_by_name(JOB_NAME)


@on_both_backends
async def test_missed_summaries_are_caught_up_late_one_second_apart_after_downtime(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    await seed(settings, [(SHOP, "老杭州面馆", 10001)], created_at="2026-11-01T00:00:00+00:00")
    clock.moment = datetime.fromisoformat("2026-11-25T09:00:00+08:00")  # down since the 21st
    await run_bot(settings)
    shop = ChatUser(server, 10001, "小王")
    loop = asyncio.get_running_loop()
    days, arrived = [], []
    for _ in range(3):
        summary = await shop.expect("日结算单")
        arrived.append(loop.time())
        days.append(summary["text"].split("\n")[3])
        assert "补发" in summary["text"]
    assert days == ["2026年11月22日星期日", "2026年11月23日星期一", "2026年11月24日星期二"]
    assert min(b - a for a, b in itertools.pairwise(arrived)) >= 0.9  # 1 message/s per chat
    await shop.silence(1.0)  # nothing older than 3 days, and today's is not due yet


@on_both_backends
async def test_transactions_posted_to_the_ingest_api_show_up_in_today(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    await seed(settings, [(SHOP, "老杭州面馆", 10001)])
    secret = "shared-with-the-acquirer"
    ingesting = settings.model_copy(update={"ingest_secret": SecretStr(secret), "ingest_port": 0})
    app = await run_bot(ingesting)
    runner = await start_ingest(ingesting, app)
    assert runner is not None
    base = "http://{}:{}".format(*runner.addresses[0][:2])
    sale = {
        "external_id": "API1",
        "merchant_no": SHOP,
        "terminal_sn": "SN01",
        "type": "sale",
        "amount": "88.00",
        "fee": "0.53",
        "channel": "alipay",
        "occurred_at": "2026-11-25T15:00:00+08:00",
    }
    body = json.dumps({"transactions": [sale]}).encode()
    try:
        async with aiohttp.ClientSession() as http:
            forged = await http.post(f"{base}/api/transactions", data=body)
            assert forged.status == 401
            signed = await http.post(
                f"{base}/api/transactions", data=body, headers={"X-Signature": sign(body, secret)}
            )
            assert (signed.status, await signed.json()) == (200, {"added": 1, "duplicates": 0})
            health = await http.get(f"{base}/healthz")
            assert (health.status, await health.json()) == (
                200,
                {"database": True, "telegram": True},
            )
    finally:
        await runner.cleanup()
    shop = ChatUser(server, 10001, "小王")
    await shop.send("/today")
    assert "净结算：¥1,396.74" in await shop.reply_text()  # 1,309.27 + 88.00 − 0.53


@on_both_backends
def test_import_command_reports_bad_rows_by_line_and_counts(
    tmp_path: Path,
    make_settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.__main__ import main

    point_cli_at(monkeypatch, make_settings(database_path=tmp_path / "cli.sqlite3"))
    assert main(["demo-data", "--merchants", "1", "--days", "1", "--telegram-id", "10001"]) == 0
    demo_shop = f"{FIRST_NUMBER:015d}"
    assert f"{demo_shop} is linked to Telegram user 10001" in capsys.readouterr().out
    csv = tmp_path / "batch.csv"
    csv.write_text(
        "external_id,merchant_no,terminal_sn,type,amount,fee,channel,occurred_at\n"
        f"CLI1,{demo_shop},SN01,sale,12.50,0.08,wechat,2026-11-25T12:00:00+08:00\n"
        f"CLI2,{demo_shop},SN01,sale,-3,0,wechat,2026-11-25T12:01:00+08:00\n"
        "CLI3,999999999999999,SN01,sale,3.00,0,wechat,2026-11-25T12:02:00+08:00\n"
        f"CLI4,{demo_shop},SN01,gift,3.00,0,wechat,2026-11-25T12:03:00+08:00\n",
        encoding="utf-8",
    )
    assert main(["import-transactions", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "line 3:" in out and "line 4:" in out and "line 5:" in out and "line 2:" not in out
    assert "added 1, duplicates 0, rejected 3" in out
    assert main(["import-transactions", str(csv)]) == 0
    assert "added 0, duplicates 1, rejected 3" in capsys.readouterr().out
    assert main(["import-transactions", str(tmp_path / "missing.csv")]) == 1
