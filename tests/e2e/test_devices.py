"""Shipping binds a device: /ship takes the POS serial, /activate accepts only that serial, and
its two steps live in the database, so a restart in between asks nothing twice."""

from __future__ import annotations

import re

import pytest
from telegram.ext import Application

from bot.runner import stop_bot
from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.application_steps import ENTERPRISE_EN, INDIVIDUAL_ZH, approve_on_card, fill, sign
from tests.e2e.conftest import ADMIN_ID, REVIEW_CHAT, BotRunner
from tests.e2e.harness import ChatUser
from tests.e2e.test_review import CODE, REVIEWER_ID, card_of
from tests.postgres import on_both_backends, read_rows

TEXTS = {
    "zh-CN": {
        "answers": INDIVIDUAL_ZH,
        "submit": "确认提交",
        "agreement": "服务协议",
        "signed": "协议已签署",
        "shipped": "POS 机已寄出",
        "mismatch": "与寄给您的 POS 机不一致",
        "ask_code": "申请码",
        "activated": "激活成功",
    },
    "en": {
        "answers": ENTERPRISE_EN,
        "submit": "Submit",
        "agreement": "Service Agreement",
        "signed": "Agreement signed",
        "shipped": "has shipped",
        "mismatch": "is not the serial number of the POS machine we shipped to you",
        "ask_code": "application code",
        "activated": "is activated",
    },
}


@pytest.fixture
async def reviewer(server: BotApiServer, bot: Application) -> ChatUser:
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(REVIEW_CHAT)
    await admin.send(f"/staff add {REVIEWER_ID} reviewer")
    await admin.reply()
    return ChatUser(server, REVIEWER_ID, "李审核").in_chat(REVIEW_CHAT)


async def signed_application(
    merchant: ChatUser, reviewer: ChatUser, texts: dict
) -> tuple[str, str]:
    """Apply, get approved and sign; return (application number, code)."""
    await fill(merchant, texts["answers"])
    await merchant.press(texts["submit"])
    number = re.search(r"AP\d{8}-\d{4}", (await merchant.reply())["text"]).group(0)  # type: ignore[union-attr]
    await approve_on_card(reviewer, await card_of(reviewer, number))
    code = ""
    while not code:
        message = await merchant.reply()
        found = CODE.search(message.get("caption") or "")
        code = found.group(0) if found else ""
    await sign(merchant, await merchant.expect(texts["agreement"]))
    await merchant.expect(texts["signed"])
    return number, code


@on_both_backends
@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_serial_bound_at_ship_checked_at_activate_across_a_restart(
    server: BotApiServer,
    bot: Application,
    run_bot: BotRunner,
    reviewer: ChatUser,
    bot_settings: Settings,
    language: str,
) -> None:
    texts = TEXTS[language]
    merchant = ChatUser(
        server, 10001, "小王", language_code="zh-hans" if language == "zh-CN" else "en"
    )
    number, code = await signed_application(merchant, reviewer, texts)

    # The serial is required and must look like one.
    await reviewer.expect("可以发货")
    await reviewer.send(f"/ship {number} 顺丰 SF1234567890")
    assert "POS 机序列号" in (await reviewer.expect("用法"))["text"]
    await reviewer.send(f"/ship {number} 12 顺丰 SF1234567890")
    assert "不像 POS 机序列号" in await reviewer.reply_text()
    await reviewer.send(f"/ship {number} sn8800-1234-5678 顺丰 SF1234567890")
    assert "SN880012345678" in await reviewer.reply_text()
    shipped = await merchant.expect(texts["shipped"])
    assert "SN880012345678" in shipped["text"]
    assert read_rows(bot_settings, "SELECT terminal_serial FROM shipments") == [("SN880012345678",)]

    await merchant.send("/activate")
    await merchant.reply()
    await merchant.send("SN99990000111")  # another device
    wrong = await merchant.reply_text()
    assert texts["mismatch"] in wrong and "5678" in wrong
    await merchant.send("SN880012345678")
    assert texts["ask_code"] in await merchant.reply_text()

    # A restart between the two steps: the code is taken at once, nothing is asked again.
    await stop_bot(bot)
    await run_bot()
    await merchant.send(code)
    done = await merchant.expect(texts["activated"])
    assert "SN880012345678" in done["text"]
    assert read_rows(bot_settings, "SELECT serial FROM terminals") == [("SN880012345678",)]
    assert read_rows(bot_settings, "SELECT COUNT(*) FROM activation_sessions") == [(0,)]


async def test_one_device_is_shipped_once_and_a_one_shot_activate_checks_the_serial(
    server: BotApiServer, bot: Application, reviewer: ChatUser, merchant: ChatUser
) -> None:
    texts = TEXTS["zh-CN"]
    number, code = await signed_application(merchant, reviewer, texts)
    await reviewer.send(f"/ship {number} SN88001234567 顺丰 SF1")
    await merchant.expect(texts["shipped"])
    await merchant.send(f"/activate SN11112222333 {code}")
    assert texts["mismatch"] in await merchant.reply_text()

    other = ChatUser(server, 10003, "小李")
    other_number, _ = await signed_application(other, reviewer, texts)
    await reviewer.expect("可以发货")
    await reviewer.send(f"/ship {other_number} SN88001234567 顺丰 SF2")
    assert "已寄给或绑定到其他商户" in await reviewer.reply_text()
