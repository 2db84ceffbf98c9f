"""Staff administration, the review queue and its reminders, and withdrawing an application."""

from __future__ import annotations

import asyncio

import pytest
from telegram.ext import Application

from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.conftest import ADMIN_ID, REVIEW_CHAT
from tests.e2e.harness import ChatUser
from tests.e2e.test_review import REVIEWER_ID, card_of, submit
from tests.postgres import on_both_backends, read_rows


@pytest.fixture
def admin(server: BotApiServer, bot: Application) -> ChatUser:
    """The admin named in ADMIN_IDS, in the review group."""
    return ChatUser(server, ADMIN_ID, "管理员").in_chat(REVIEW_CHAT)


@on_both_backends
async def test_admin_manages_staff_and_others_cannot(
    server: BotApiServer, admin: ChatUser, bot_settings: Settings
) -> None:
    await admin.send(f"/staff add {REVIEWER_ID} reviewer")
    assert f"{REVIEWER_ID}" in await admin.reply_text()
    await admin.send("/staff add 20002 support")
    await admin.reply_text()
    await admin.send("/staff list")
    listing = await admin.reply_text()
    assert f"{REVIEWER_ID}" in listing and "审核员" in listing and "客服" in listing
    assert str(ADMIN_ID) in listing

    await admin.send("/staff add 20003 boss")
    assert "用法" in await admin.reply_text()  # unknown role: the usage, nothing stored

    # A reviewer is not an admin: cannot hand out roles.
    reviewer = ChatUser(server, REVIEWER_ID, "李审核").in_chat(REVIEW_CHAT)
    await reviewer.send("/staff add 30003 admin")
    assert "没有权限" in await reviewer.reply_text()

    await admin.send("/staff remove 20002")
    assert "已移除" in await admin.reply_text()
    roles = dict(read_rows(bot_settings, "SELECT telegram_id, role FROM staff"))
    assert roles == {REVIEWER_ID: "reviewer"}


@on_both_backends
async def test_queue_lists_open_applications_by_state(
    server: BotApiServer, admin: ChatUser
) -> None:
    first = await submit(ChatUser(server, 10001, "小王"))
    await card_of(admin, first)
    await admin.send("/queue")
    queue = await admin.reply_text()
    assert "等待审核" in queue and first in queue and "杭州西湖小王便利店" in queue
    await admin.press("领取", await card_of(admin, first))
    await admin.edited()
    await admin.send("/queue")
    queue = await admin.reply_text()
    assert "审核中" in queue and first in queue and "管理员" in queue


@pytest.fixture
def bot_settings(make_settings, server: BotApiServer) -> Settings:
    """Reminders after 3.6 seconds instead of 24 hours."""
    return make_settings(
        telegram_base_url=server.base_url,
        telegram_file_base_url=server.file_base_url,
        review_chat_id=REVIEW_CHAT,
        admin_ids=[ADMIN_ID],
        review_reminder_hours=0.001,
    )


@on_both_backends
async def test_waiting_submission_is_reminded_once(server: BotApiServer, admin: ChatUser) -> None:
    number = await submit(ChatUser(server, 10001, "小王"))
    reminder = await admin.expect("⏰", timeout=15)
    assert number in reminder["text"] and "/queue" in reminder["text"]
    await asyncio.sleep(3)
    texts = [m.get("text") or "" for m in server.messages(REVIEW_CHAT)]
    assert sum("⏰" in t and number in t for t in texts) == 1  # once a day, not every check


@on_both_backends
async def test_merchant_withdraws_a_submitted_application(
    server: BotApiServer, admin: ChatUser, bot_settings: Settings
) -> None:
    merchant = ChatUser(server, 10001, "小王")
    number = await submit(merchant)
    card = await card_of(admin, number)
    await merchant.send("/cancel")
    confirm = await merchant.expect("撤回申请")
    await merchant.press("是的，撤回申请", confirm)
    await merchant.expect("已撤回")
    await admin.expect("撤回")
    # The card shows the withdrawal and loses its buttons.
    await asyncio.sleep(0.3)
    refreshed = next(
        m for m in server.messages(REVIEW_CHAT) if m["message_id"] == card["message_id"]
    )
    assert "已取消" in refreshed["text"] and not admin.buttons(refreshed)
    assert read_rows(bot_settings, "SELECT state FROM applications") == [("cancelled",)]
    await merchant.send("/status")
    assert "已取消" in await merchant.reply_text()
