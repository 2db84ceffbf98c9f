"""Staff surfaces: /help in each staff group, and the ticket card's buttons, which do the whole
action or ask for what is missing."""

from __future__ import annotations

import pytest
from telegram.ext import Application

from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.conftest import ADMIN_ID, REVIEW_CHAT, SUPPORT_CHAT
from tests.e2e.harness import ChatUser
from tests.e2e.test_support import AGENT_ID, card_of, current, open_ticket, status
from tests.postgres import on_both_backends


@pytest.fixture
async def agent(server: BotApiServer, bot: Application) -> ChatUser:
    """A support agent in the support group."""
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(SUPPORT_CHAT)
    await admin.send(f"/staff add {AGENT_ID} support")
    await admin.reply()
    return ChatUser(server, AGENT_ID, "王客服").in_chat(SUPPORT_CHAT)


async def test_help_in_each_staff_group_lists_that_groups_commands(
    server: BotApiServer, bot: Application, merchant: ChatUser
) -> None:
    reviewer = ChatUser(server, ADMIN_ID, "管理员").in_chat(REVIEW_CHAT)
    await reviewer.send("/help")
    text = await reviewer.reply_text()
    assert "审核群命令" in text and "/ship AP20261125-0001 SN88001234567 顺丰" in text
    assert "/queue" in text and "客服群命令" not in text and "/apply" not in text

    english_agent = ChatUser(server, 20077, "Sam", language_code="en").in_chat(SUPPORT_CHAT)
    await english_agent.send("/help")
    text = await english_agent.reply_text()
    assert "Support group commands" in text and "/reply T-000123 Hello" in text
    assert "Review group" not in text and "/ship" not in text

    await merchant.send("/help")
    text = await merchant.reply_text()
    assert "/apply" in text and "审核群命令" not in text


@on_both_backends
async def test_ticket_card_buttons_take_reply_escalate_and_resolve(
    server: BotApiServer, merchant: ChatUser, agent: ChatUser, bot_settings: Settings
) -> None:
    number = await open_ticket(merchant, "POS 机开不了机")
    card = await card_of(server, number)
    assert agent.buttons(card) == ["🙋 领取", "↩️ 回复", "✅ 已解决", "⬆️ 升级"]
    assert "/take ·" not in card["text"]  # no bare command links that only answer "usage"

    await agent.press("领取", card)
    edited = await agent.edited()
    assert "王客服" in edited["text"] and agent.buttons(edited) == ["↩️ 回复", "✅ 已解决", "⬆️ 升级"]
    assert status(bot_settings) == "open"
    await merchant.expect("开始处理")

    # Reply asks for the text with a forced reply; the answer goes to the merchant.
    await agent.press("回复", current(server, card))
    prompt = await agent.reply()
    # (a forced reply opens the reply field; the sandbox, like Telegram, does not keep it on
    # the message, so the prompt's words and its target are what can be seen here)
    assert (
        "王客服" in prompt["text"] and "回复本消息" in prompt["text"] and number in prompt["text"]
    )
    await agent.send("请长按电源键 10 秒", reply_to_message_id=prompt["message_id"])
    await agent.expect("已发给商户")
    await merchant.expect("请长按电源键 10 秒")

    # Escalate asks for the reason; the answer is the reason, never sent to the merchant.
    await agent.press("升级", current(server, card))
    prompt = await agent.reply()
    assert "升级原因" in prompt["text"]
    await agent.send("电源板故障", reply_to_message_id=prompt["message_id"])
    await agent.expect("已升级到")
    told = await merchant.expect("已转交给更资深的同事")
    assert "电源板" not in told["text"]

    await agent.press("已解决", current(server, card))
    await merchant.expect("已处理完毕")
    # The escalation's own redraw of the card may still be on its way; wait for the redraw
    # that has nothing left to do (a timeout here fails the test), then check it stayed so.
    edited = await agent.edited()
    while edited["message_id"] != card["message_id"] or agent.buttons(edited):
        edited = await agent.edited()
    assert "已解决" in edited["text"]
    await agent.settle()
    assert agent.buttons(current(server, card)) == []  # nothing more to do on it
    assert "已解决" in current(server, card)["text"]
    assert status(bot_settings) == "resolved"


async def test_bare_command_sent_as_reply_to_the_card_acts_on_that_ticket(
    server: BotApiServer, merchant: ChatUser, agent: ChatUser, bot_settings: Settings
) -> None:
    number = await open_ticket(merchant, "打印机没纸了")
    card = await card_of(server, number)
    await agent.send("/take", reply_to_message_id=card["message_id"])
    assert "王客服" in await agent.reply_text()
    assert status(bot_settings) == "open"
    await agent.send("/resolve")
    usage = await agent.reply_text()
    assert "T-000123" in usage and "按钮" in usage
