"""Abuse limits through the local Bot API server: a flooding merchant is told once and the
flood is not read; one merchant's follow-ups cannot hold up another merchant's ticket."""

from __future__ import annotations

import asyncio

from bot.sandbox.server import BotApiServer
from bot.settings import Settings
from tests.e2e.conftest import ADMIN_ID, SUPPORT_CHAT, BotRunner
from tests.e2e.harness import ChatUser

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
