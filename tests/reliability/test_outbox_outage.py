"""Notifications caused by a state change survive a Bot API outage: all arrive, in order, once."""

from __future__ import annotations

from telegram.ext import Application

from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.conftest import ADMIN_ID, REVIEW_CHAT
from tests.e2e.harness import ChatUser
from tests.e2e.test_review import card_of, submit
from tests.postgres import on_both_backends, read_rows


@on_both_backends
async def test_approval_notifications_arrive_once_in_order_after_5xx(
    server: BotApiServer, bot: Application, bot_settings: Settings
) -> None:
    merchant = ChatUser(server, 10001, "小王")
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(REVIEW_CHAT)
    number = await submit(merchant)
    card = await card_of(admin, number)
    # Telegram answers 502 to the next six sends: more than one delivery attempt's retries.
    await admin.press("通过", card)
    confirm = await admin.expect("确认通过申请")
    server.fail_next(6, 502, methods={"sendmessage", "sendphoto"})
    await admin.press("确认通过", confirm)
    first = await merchant.reply(timeout=30)
    second = await merchant.reply(timeout=15)
    third = await merchant.reply(timeout=15)
    assert "已通过审核" in first["text"]
    assert "申请码" in second["caption"] and second.get("photo")
    assert "服务协议" in third["text"]
    await merchant.silence(2.0)  # nothing twice
    rows = read_rows(
        bot_settings,
        "SELECT attempts, sent_at IS NOT NULL FROM outbox WHERE chat_id = ?",
        merchant.chat_id,
    )
    assert all(sent for _, sent in rows) and max(a for a, _ in rows) >= 2
