"""Abuse limits through the local Bot API server: a flooding merchant is told once and the
flood is not read; one merchant's follow-ups cannot hold up another merchant's ticket."""

from __future__ import annotations

import asyncio

from telegram.ext import Application

from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.application_steps import INDIVIDUAL_ZH, fill
from tests.e2e.conftest import ADMIN_ID, SUPPORT_CHAT, BotRunner
from tests.e2e.files import PAGES, jpeg, pdf_document, png
from tests.e2e.harness import ChatUser
from tests.postgres import on_both_backends

GREETING = "我是 POS 商户助手"
SLOW_DOWN = "太快"


async def everything_said(user: ChatUser, quiet: float = 1.5) -> list[str]:
    """Every message the bot sends to the chat until it has been quiet for `quiet` seconds."""
    said = []
    while True:
        try:
            message = await user.reply(timeout=quiet)
        except TimeoutError:
            return said
        said.append(message.get("text") or message.get("caption") or "")


@on_both_backends
async def test_a_flooding_merchant_is_told_once_and_the_flood_is_not_read(
    run_bot: BotRunner, server: BotApiServer, bot_settings: Settings
) -> None:
    limits = {"rate_limit_burst": 4, "rate_limit_messages": 1, "rate_limit_seconds": 60}
    await run_bot(bot_settings.model_copy(update=limits))
    merchant = ChatUser(server, 10030, "小刘")
    merchant._mark()
    for _ in range(12):
        await server.send_text(merchant.user_id, "/start")
    said = await everything_said(merchant)
    assert sum(GREETING in s for s in said) == 4  # the burst, answered
    assert sum(SLOW_DOWN in s for s in said) == 1  # one notice, not one per dropped message
    assert len(said) == 5

    # A button pressed while the limit holds is answered (no spinner) and does nothing else.
    answered = len(server.callback_answers())
    await merchant.press("常见问题")
    for _ in range(50):
        if len(server.callback_answers()) > answered:
            break
        await asyncio.sleep(0.1)
    assert SLOW_DOWN in (server.callback_answers()[-1].get("text") or "")
    await merchant.silence(1.0)

    # Someone else is not affected, and staff in a group have a wider limit.
    other = ChatUser(server, 10031, "小陈")
    await other.send("/start")
    assert GREETING in await other.reply_text()
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(SUPPORT_CHAT)
    admin._mark()
    for _ in range(8):
        await server.send_text(admin.user_id, "/staff list", chat_id=SUPPORT_CHAT)
    said = await everything_said(admin)
    assert len(said) == 8 and not any(SLOW_DOWN in s for s in said)


async def open_ticket(merchant: ChatUser, description: str) -> str:
    """/support, describe, Create; the ticket number."""
    await merchant.send("/support")
    await merchant.reply()
    await merchant.send(description)
    await merchant.reply()
    await merchant.press("✅")
    created = await merchant.reply()
    return next(w for w in created["text"].split() if w.startswith("T-"))


async def wait_for(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout * 10)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("not within the time allowed")


def group_texts(server: BotApiServer) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in server.messages(SUPPORT_CHAT)]


@on_both_backends
async def test_a_flood_of_follow_ups_is_combined_and_does_not_hold_up_another_ticket(
    server: BotApiServer, bot: object
) -> None:
    # Telegram's 20 messages a minute per group is in effect (the bot's own rate limiter).
    flooder, other = ChatUser(server, 10040, "小安"), ChatUser(server, 10041, "小白")
    first = await open_ticket(flooder, "打印机不出纸")
    await wait_for(lambda: any(first in t and "🎫" in t for t in group_texts(server)), 10)
    follow_ups = [f"补充说明第{n:02d}条" for n in range(40)]
    for text in follow_ups:
        await server.send_text(flooder.user_id, text)
    second = await open_ticket(other, "结算款没有到账")
    await wait_for(lambda: any(second in t and "🎫" in t for t in group_texts(server)), 10)

    def relayed() -> list[str]:
        return [t for t in group_texts(server) if "补充说明" in t]

    await wait_for(lambda: follow_ups[-1] in "".join(relayed()), 30)
    together = "\n".join(relayed())
    positions = [together.index(text) for text in follow_ups]
    assert positions == sorted(positions)  # every follow-up, in the order it was sent
    assert len(relayed()) <= 5  # in a few staff messages, not forty


@on_both_backends
async def test_batched_follow_ups_keep_photos_and_a_reply_reaches_the_merchant(
    server: BotApiServer, bot: object
) -> None:
    merchant = ChatUser(server, 10042, "小丁")
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(SUPPORT_CHAT)
    number = await open_ticket(merchant, "刷卡失败")
    await wait_for(lambda: any(number in t and "🎫" in t for t in group_texts(server)), 10)
    await server.send_text(merchant.user_id, "第一句")
    await server.send_text(merchant.user_id, "第二句")
    await server.send_photo(merchant.user_id, png(21), caption="小票照片")
    await server.send_text(merchant.user_id, "第三句")

    def batch() -> dict | None:
        return next(
            (m for m in server.messages(SUPPORT_CHAT) if "第三句" in (m.get("text") or "")), None
        )

    await wait_for(lambda: batch() is not None, 20)
    combined = batch()
    assert combined is not None
    assert "照片" in combined["text"]  # the photo is named in the batch it arrived in
    # Nothing is lost: how the first lines split between batches depends on timing.
    relayed = [m.get("text") or "" for m in server.messages(SUPPORT_CHAT)]
    assert any("第一句" in t for t in relayed) and any("第二句" in t for t in relayed)
    assert sum("第三句" in t for t in relayed) == 1  # and nothing is relayed twice
    await wait_for(lambda: any(m.get("photo") for m in server.messages(SUPPORT_CHAT)), 10)
    photo = next(m for m in server.messages(SUPPORT_CHAT) if m.get("photo"))
    assert photo["message_id"] > combined["message_id"] and number in photo["caption"]

    await admin.send("/staff add 900001 support")
    await admin.reply()
    await admin.send("请重新插卡试试", reply_to_message_id=combined["message_id"])
    answer = await merchant.expect("请重新插卡试试")
    assert number in answer["text"]


async def answers(bot: Application, user_id: int) -> dict:
    async with bot.bot_data.storage.transaction() as repos:
        record = await repos.applications.latest_of(user_id)
        return dict(record.answers) if record else {}


@on_both_backends
async def test_unreadable_or_hostile_licences_are_refused_and_nothing_entered_is_lost(
    merchant: ChatUser, bot: Application
) -> None:
    await fill(merchant, INDIVIDUAL_ZH[:3])  # up to the licence, step 4
    before = await answers(bot, merchant.user_id)
    assert before["merchant_name"] == "杭州西湖小王便利店"

    await merchant.send_photo(jpeg(30, width=40, height=30))
    reply = await merchant.reply_text()
    assert "更清晰" in reply and "40×30" in reply and "第 4/17 步" in reply

    polyglot = png(31) + b"PK\x03\x04" + bytes(100)
    await merchant.send_document(polyglot, "licence.png", "image/png")
    reply = await merchant.reply_text()
    assert "无法读取" in reply and "第 4/17 步" in reply

    action = b"<</S/JavaScript/JS(app.alert\\(1\\))>>"
    hostile = pdf_document([b"<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>", *PAGES, action])
    await merchant.send_document(hostile, "licence.pdf", "application/pdf")
    reply = await merchant.reply_text()
    assert "脚本" in reply and "第 4/17 步" in reply
    assert await answers(bot, merchant.user_id) == before  # nothing stored, nothing lost

    await merchant.send_photo(png(1))
    assert "第 5/17 步" in await merchant.reply_text()
    after = await answers(bot, merchant.user_id)
    assert {k: after[k] for k in before} == before and "licence" in after
