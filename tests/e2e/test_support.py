"""Support tickets through the local Bot API server: merchants in their private chat, support
staff in the support group, exactly as on Telegram."""

from __future__ import annotations

import asyncio
import re

import pytest
from telegram.ext import Application

from bot.runner import stop_bot
from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.conftest import ADMIN_ID, REVIEW_CHAT, SUPPORT_CHAT, BotRunner
from tests.e2e.files import pdf, png
from tests.e2e.harness import ChatUser
from tests.postgres import on_both_backends, read_rows

AGENT_ID = 20002
STRANGER_ID = 30003
ESCALATION_CHAT = -1001000000003

pytestmark = on_both_backends


@pytest.fixture
def bot_settings(make_settings, server: BotApiServer, request: pytest.FixtureRequest) -> Settings:
    """The staff groups and an admin; a test may shorten the SLA targets (indirect param)."""
    return make_settings(
        telegram_base_url=server.base_url,
        telegram_file_base_url=server.file_base_url,
        review_chat_id=REVIEW_CHAT,
        support_chat_id=SUPPORT_CHAT,
        admin_ids=[ADMIN_ID],
        **getattr(request, "param", {}),
    )


@pytest.fixture
async def agent(server: BotApiServer, bot: Application) -> ChatUser:
    """A support agent in the support group, given the role by the admin with /staff add."""
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(SUPPORT_CHAT)
    await admin.send(f"/staff add {AGENT_ID} support")
    assert "客服" in await admin.reply_text()
    return ChatUser(server, AGENT_ID, "王客服").in_chat(SUPPORT_CHAT)


async def open_ticket(merchant: ChatUser, *parts: str | bytes, via: str = "/support") -> str:
    """/support, describe (text or photo bytes), Create; return the ticket number."""
    await merchant.send(via)
    await merchant.reply()
    for part in parts:
        if isinstance(part, bytes):
            await merchant.send_photo(part)
        else:
            await merchant.send(part)
        await merchant.reply()  # the summary with its Create button
    await merchant.press("✅")
    created = await merchant.reply()
    number = next(w for w in created["text"].split() if w.startswith("T-"))
    return number


async def card_of(server: BotApiServer, number: str, *, escalated: bool = False) -> dict:
    """The ticket's card in the support chat (posted by the outbox sender)."""
    for _ in range(80):
        for message in reversed(server.messages(SUPPORT_CHAT)):
            text = message.get("text") or ""
            if "🎫" in text and number in text and ("🚨" in text) == escalated:
                return message
        await asyncio.sleep(0.1)
    raise AssertionError(f"no card for {number} in the support chat")


async def next_with(user: ChatUser, key: str) -> dict:
    """The next message the bot sends to `user`'s chat that has `key` (photo, document)."""
    while True:
        message = await user.reply()
        if message.get(key):
            return message


def current(server: BotApiServer, message: dict) -> dict:
    """The message as it is now (edits applied)."""
    chat = message["chat"]["id"]
    return next(m for m in server.messages(chat) if m["message_id"] == message["message_id"])


async def edited_to_show(
    server: BotApiServer, message: dict, fragment: str, timeout: float = 10.0
) -> str:
    """The message's text once an edit shows `fragment` (the card is edited by the outbox)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        text = current(server, message).get("text", "")
        if fragment in text or asyncio.get_running_loop().time() > deadline:
            return text
        await asyncio.sleep(0.05)


def events(settings: Settings) -> list[tuple]:
    return read_rows(
        settings, "SELECT action, from_status, to_status, actor, at FROM ticket_events ORDER BY id"
    )


def status(settings: Settings) -> str:
    return read_rows(settings, "SELECT status FROM tickets")[0][0]


async def test_photo_ticket_reply_follow_up_escalate_resolve_and_rate(
    server: BotApiServer, merchant: ChatUser, agent: ChatUser, bot_settings: Settings
) -> None:
    await merchant.send("/support")
    prompt = await merchant.reply()
    assert "联系人工客服" in prompt["text"] and "人工客服会在这个聊天里回复您" in prompt["text"]
    await merchant.send("刷卡后屏幕显示 E05，我的手机 13800138000")
    summary = await merchant.reply()
    assert "E05" in summary["text"] and "✅ 提交工单" in merchant.buttons(summary)
    await merchant.send_photo(png(1))
    assert "照片 1 张" in await merchant.reply_text()
    await merchant.press("提交工单")
    created = await merchant.expect("已提交")
    assert "T-000001" in created["text"] and "30 分钟" in created["text"]

    # Staff see who asks, in what language, their state, and the messages, phone masked.
    card = await card_of(server, "T-000001")
    body = card["text"]
    assert "小王" in body and "中文" in body and "尚未申请" in body and "E05" in body
    assert "138****8000" in body and "13800138000" not in body
    photo = await next_with(agent, "photo")
    assert "T-000001" in photo["caption"] and "小王" in photo["caption"]

    # A Telegram reply to the copied photo answers the merchant, without the agent's name.
    await agent.send("请重启一下 POS 机再试", reply_to_message_id=photo["message_id"])
    assert "已发给商户" in (await agent.reply())["text"]
    answer = await merchant.expect("请重启一下 POS 机再试")
    assert "客服" in answer["text"] and "王客服" not in answer["text"]

    # The merchant's follow-up goes to the ticket (said once), not to the FAQ.
    await merchant.send("重启了还是不行")
    assert "已转给客服" in await merchant.reply_text()
    relayed = await agent.expect("重启了还是不行")
    assert "T-000001" in relayed["text"] and "小王" in relayed["text"]
    await merchant.send("屏幕还是 E05")
    await agent.expect("屏幕还是 E05")
    await merchant.silence(1.0)

    await agent.send("/escalate T-000001 疑似读卡器硬件故障")
    await agent.expect("已升级到 二线 L2")
    history = await agent.expect("🚨 已升级")
    assert "疑似读卡器硬件故障" in history["text"] and "重启了还是不行" in history["text"]
    assert "一线 L1 → 二线 L2：疑似读卡器硬件故障" in history["text"]  # not "l1 → l2: "
    assert "L2" in (await card_of(server, "T-000001", escalated=True))["text"]
    told = await merchant.expect("已转交给更资深的同事")
    assert "疑似" not in told["text"]  # the reason is internal

    await agent.send("/resolve T-000001")
    await agent.expect("已解决")
    resolved = await merchant.expect("已处理完毕")
    for _ in range(80):  # the card loses its buttons, and the hint to tap them
        card = (await card_of(server, "T-000001", escalated=True))["text"]
        if "已解决" in card.split("\n")[1]:
            break
        await asyncio.sleep(0.1)
    assert "或点下面的按钮" not in card and "直接回复本消息仍可回复商户" in card
    assert merchant.buttons(resolved) == ["1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐"]
    await merchant.press("4 ⭐", resolved)
    assert "4 分" in (await merchant.edited())["text"]
    await agent.expect("4/5")
    await merchant.send("处理得很快，谢谢")
    assert "谢谢您的反馈" in await merchant.reply_text()
    assert "处理得很快" in (await agent.expect("留言"))["text"]

    trail = events(bot_settings)
    assert [e[0] for e in trail] == ["create", "take", "escalate", "resolve", "rate", "comment"]
    assert [e[2] for e in trail] == ["new", "open", "new", "resolved", "resolved", "resolved"]
    assert all(e[4] for e in trail) and {e[3] for e in trail} == {merchant.user_id, AGENT_ID}
    assert status(bot_settings) == "resolved"


async def test_take_pending_lists_and_staff_photos_and_documents(
    server: BotApiServer, merchant: ChatUser, agent: ChatUser, bot_settings: Settings
) -> None:
    number = await open_ticket(merchant, "想改结算时间")
    card = await card_of(server, number)
    await agent.send(f"/take {number}")
    await agent.expect("由 王客服 处理")
    await merchant.expect("已开始处理")
    # Photos and documents staff send in reply are copied to the merchant.
    await agent.send_photo(png(2), caption="设置页面", reply_to_message_id=card["message_id"])
    caption = (await next_with(merchant, "photo"))["caption"]
    assert caption == f"💬 客服（工单 {number}）：\n设置页面", caption
    await server.send_document(
        AGENT_ID,
        pdf(),
        "guide.pdf",
        "application/pdf",
        chat_id=SUPPORT_CHAT,
        reply_to_message_id=card["message_id"],
    )
    assert (await next_with(merchant, "document"))["document"]["file_name"] == "guide.pdf"
    await agent.send(f"/pending {number}")
    await merchant.expect("正在等您的回复")
    assert status(bot_settings) == "pending"
    await merchant.send("改成晚上 9 点")
    await agent.expect("改成晚上 9 点")
    assert status(bot_settings) == "open"
    await agent.send("/tickets mine")
    assert number in (await agent.expect("我处理的工单"))["text"]
    await agent.send("/tickets escalated")
    assert number not in (await agent.expect("已升级的工单"))["text"]
    actions = [e[0] for e in events(bot_settings)]
    assert actions == ["create", "take", "pending", "answer"]


async def test_writing_after_resolution_reopens_the_ticket(
    merchant: ChatUser, agent: ChatUser, bot_settings: Settings
) -> None:
    number = await open_ticket(merchant, "小票打印不出来")
    await agent.expect(number)
    await agent.send(f"/reply {number} 请换一卷打印纸")
    await merchant.expect("请换一卷打印纸")
    await agent.send(f"/resolve {number}")
    await merchant.expect("已处理完毕")
    # A plain FAQ question is answered; it does not reopen the resolved ticket.
    await merchant.send("申请码丢了怎么办")
    await merchant.expect("申请码")
    assert status(bot_settings) == "resolved"
    await merchant.send("换了纸还是打印不出来")
    await merchant.expect("已重新打开")
    reopened = await agent.expect("换了纸还是打印不出来")
    assert "重新打开" in reopened["text"]
    assert status(bot_settings) == "open"


async def test_staff_reply_after_restart_reaches_the_right_merchant(
    server: BotApiServer, run_bot: BotRunner, bot: Application, agent: ChatUser
) -> None:
    wang = ChatUser(server, 10001, "小王")
    alice = ChatUser(server, 10002, "Alice", language_code="en")
    await open_ticket(wang, "结算金额不对")
    await alice.send("/start")
    await alice.reply()
    await alice.press("Contact support")  # the main-menu button
    assert "a person will reply in this chat" in await alice.reply_text()
    await alice.send("My terminal shows error E05")
    await alice.reply()
    await alice.press("Create ticket")
    assert "T-000002" in await alice.reply_text()
    card = await card_of(server, "T-000002")
    assert "Alice" in card["text"] and "英文" in card["text"]

    await stop_bot(bot)
    await run_bot()
    await agent.send("Please restart the terminal", reply_to_message_id=card["message_id"])
    answer = await alice.expect("Please restart the terminal", timeout=15)
    assert "Support" in answer["text"] and "T-000002" in answer["text"]
    # A photo staff send her is captioned in her language too (drawn when it is sent).
    await agent.send_photo(png(3), caption="Settings page", reply_to_message_id=card["message_id"])
    caption = (await next_with(alice, "photo"))["caption"]
    assert caption == "💬 Support (ticket T-000002):\nSettings page", caption
    await wang.silence(1.0)


async def test_internal_note_never_reaches_the_merchant(
    server: BotApiServer, merchant: ChatUser, agent: ChatUser
) -> None:
    number = await open_ticket(merchant, "押金什么时候退")
    card = await card_of(server, number)
    await agent.send(f"/note {number} 商户上月已退押金，先核对流水")
    assert "内部备注" in (await agent.expect(number))["text"]
    await merchant.silence(1.5)
    # Staff see it on the card (at its next change) and in the escalation history.
    await agent.send(f"/take {number}")
    await agent.expect("处理")
    text = await edited_to_show(server, card, "🔒 内部备注 王客服")
    assert "🔒 内部备注 王客服" in text and "商户上月已退押金" in text
    await merchant.expect("已开始处理")
    await merchant.silence(1.0)


async def test_non_staff_member_of_the_support_chat_cannot_resolve(
    server: BotApiServer, merchant: ChatUser, agent: ChatUser, bot_settings: Settings
) -> None:
    number = await open_ticket(merchant, "机器开不了机")
    card = await card_of(server, number)
    intruder = ChatUser(server, STRANGER_ID, "路人甲").in_chat(SUPPORT_CHAT)
    await intruder.send(f"/resolve {number}")
    assert "没有权限" in await intruder.reply_text()
    await intruder.send("我来回复一下", reply_to_message_id=card["message_id"])
    assert "没有权限" in await intruder.reply_text()
    await merchant.silence(1.0)
    assert status(bot_settings) == "new"


@pytest.mark.parametrize(
    "bot_settings",
    [{"support_sla_normal_minutes": 0.05, "support_sla_urgent_minutes": 10}],  # 3 s; 10 min
    indirect=True,
)
async def test_sla_reminder_fires_once_and_auto_escalates_after_twice_the_target(
    server: BotApiServer, run_bot: BotRunner, bot: Application, agent: ChatUser
) -> None:
    merchant = ChatUser(server, 10001, "小王")
    number = await open_ticket(merchant, "今天的钱没到账")
    reminder = await agent.expect("⏰", timeout=10)
    assert number in reminder["text"] and "小王" in reminder["text"]
    # Waits read as durations in the staff's language, not decimal minutes ("0.05 分钟").
    assert re.search(r"已等待 \d+秒钟，超过首次响应目标 3秒钟", reminder["text"]), reminder["text"]
    # A restart between the reminder and the escalation: the reminder is not repeated.
    await stop_bot(bot)
    await run_bot()
    escalated = await agent.expect("🚨 已升级", timeout=10)
    assert number in escalated["text"] and "自动升级" in escalated["text"]
    await merchant.expect("已转交给更资深的同事")
    await asyncio.sleep(2)  # several more checks
    texts = [m.get("text") or "" for m in server.messages(SUPPORT_CHAT)]
    assert sum("⏰" in t and number in t for t in texts) == 1
    assert sum(t.startswith("🚨") and "自动升级" in t for t in texts) == 1
    # Escalated tickets are listed with how long the merchant has waited, in seconds here.
    await agent.send("/tickets escalated")
    listing = (await agent.expect("已升级的工单"))["text"]
    assert number in listing and re.search(r"已等 \d+秒钟", listing), listing


async def test_reply_to_a_merchant_who_blocked_the_bot_is_reported_to_staff(
    server: BotApiServer, merchant: ChatUser, agent: ChatUser
) -> None:
    number = await open_ticket(merchant, "怎么修改结算卡")
    card = await card_of(server, number)
    server.block_chat(merchant.chat_id)
    await agent.send("请提供新卡照片", reply_to_message_id=card["message_id"])
    await agent.expect("已发给商户")
    notice = await agent.expect("未能送达")
    assert number in notice["text"] and "屏蔽" in notice["text"]
    assert "⚠️" in await edited_to_show(server, card, "⚠️")
    await agent.send("/tickets")
    assert "无法送达" in (await agent.expect("未结束的工单"))["text"]


async def test_thumbs_down_on_an_faq_answer_opens_a_ticket_with_the_question(
    server: BotApiServer, merchant: ChatUser, agent: ChatUser
) -> None:
    await merchant.send("机器怎么开机")
    await merchant.reply()
    await merchant.press("👎")
    offer = await merchant.expect("抱歉没能帮到您")
    await merchant.press("联系人工客服", offer)
    prompt = await merchant.reply()
    assert "机器怎么开机" in prompt["text"]
    await merchant.send("按电源键没反应")
    await merchant.reply()
    await merchant.press("提交工单")
    await merchant.expect("已提交")
    card = await card_of(server, "T-000001")
    assert "来自常见问题" in card["text"] and "机器怎么开机" in card["text"]
    assert "按电源键没反应" in card["text"]


async def test_merchant_lists_closes_and_picks_among_several_tickets(
    server: BotApiServer, merchant: ChatUser, agent: ChatUser, bot_settings: Settings
) -> None:
    await open_ticket(merchant, "打印机没纸了")
    await open_ticket(merchant, "昨天结算少了 20 元")
    await open_ticket(merchant, "想换个收款账户")
    await merchant.send("/tickets")
    listing = await merchant.reply()
    assert all(n in listing["text"] for n in ("T-000001", "T-000002", "T-000003"))
    await merchant.press("关闭 T-000003", listing)
    await merchant.expect("已关闭")
    await agent.expect("由商户 小王 关闭")

    # Two tickets left and no choice made since: the merchant says which.
    await merchant.send("是 11 月 25 日的款")
    question = await merchant.expect("哪一个")
    assert merchant.buttons(question)[:2] == [
        "T-000002 昨天结算少了 20 元",
        "T-000001 打印机没纸了",
    ]
    await merchant.press("T-000002", question)
    relayed = await agent.expect("11 月 25 日")
    assert "T-000002" in relayed["text"]
    await merchant.send("金额是 20 元")  # the choice sticks
    assert "T-000002" in (await agent.expect("金额是 20 元"))["text"]
    rows = read_rows(bot_settings, "SELECT id, status FROM tickets ORDER BY id")
    assert rows == [(1, "new"), (2, "new"), (3, "closed")]


@pytest.mark.parametrize("bot_settings", [{"escalation_chat_id": ESCALATION_CHAT}], indirect=True)
async def test_escalation_goes_to_the_escalation_chat_with_history_and_attachments(
    server: BotApiServer, merchant: ChatUser, agent: ChatUser
) -> None:
    server.add_group(ESCALATION_CHAT, "升级群")
    supervisor = ChatUser(server, ADMIN_ID, "主管").in_chat(ESCALATION_CHAT)
    number = await open_ticket(merchant, "退款一直没到", png(3))
    await card_of(server, number)
    await agent.send(f"/escalate {number} 涉及资金，需主管处理")
    await agent.expect("已升级")
    history = await supervisor.expect("🚨 已升级")
    assert "涉及资金" in history["text"] and "退款一直没到" in history["text"]
    photo = await next_with(supervisor, "photo")
    assert number in photo["caption"]
    card = await supervisor.expect("🎫")
    assert "🚨 已升级" in card["text"]
    # From now on the ticket lives in the escalation chat, both ways.
    await merchant.expect("已转交")
    await merchant.send("已经等了三天")
    await supervisor.expect("已经等了三天")
    await supervisor.send("我们今天内处理", reply_to_message_id=card["message_id"])
    await merchant.expect("我们今天内处理")
