"""Fees disclosed before signing: the rates in the agreement, on /status, on the review card and
in the FAQ, a second signing step that states them, and the signature that keeps them."""

from __future__ import annotations

import re

import pytest
from telegram.ext import Application

from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.application_steps import ENTERPRISE_EN, INDIVIDUAL_ZH, approve_on_card, fill
from tests.e2e.conftest import ADMIN_ID, REVIEW_CHAT, SUPPORT_CHAT
from tests.e2e.harness import ChatUser
from tests.e2e.test_review import REVIEWER_ID, card_of
from tests.e2e.test_review_integrity import settled
from tests.postgres import on_both_backends, read_rows


@pytest.fixture
def rates() -> dict[str, object]:
    """The operator's fee schedule: 0.55% debit capped at ¥20, 0.60% credit, 0.38% QR, ¥99
    deposit, as written in the environment."""
    return dict(
        fee_debit_rate="0.55%",
        fee_credit_rate="0.6%",
        fee_scan_rate="0.38%",
        fee_debit_cap_fen=2000,
        fee_deposit_fen=9900,
    )


@pytest.fixture
def bot_settings(make_settings, server: BotApiServer, rates: dict[str, object]) -> Settings:
    """Settings with the test's fee schedule."""
    return make_settings(
        telegram_base_url=server.base_url,
        telegram_file_base_url=server.file_base_url,
        review_chat_id=REVIEW_CHAT,
        support_chat_id=SUPPORT_CHAT,
        admin_ids=[ADMIN_ID],
        **rates,
    )


@pytest.fixture
async def reviewer(server: BotApiServer, bot: Application) -> ChatUser:
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(REVIEW_CHAT)
    await admin.send(f"/staff add {REVIEWER_ID} reviewer")
    await admin.reply()
    return ChatUser(server, REVIEWER_ID, "李审核").in_chat(REVIEW_CHAT)


async def approved(merchant: ChatUser, reviewer: ChatUser, answers, submit: str) -> dict:
    """Apply, get approved; return the agreement message."""
    await fill(merchant, answers)
    await merchant.press(submit)
    message = await merchant.reply()
    number = re.search(r"AP\d{8}-\d{4}", message["text"]).group(0)  # type: ignore[union-attr]
    card = await card_of(reviewer, number)
    assert "借记卡 0.55%（封顶 ¥20.00）" in card["text"] or "由客服确认" in card["text"]
    await approve_on_card(reviewer, card)
    for _ in range(5):
        message = await merchant.reply()
        if merchant.buttons(message):
            return message
    raise AssertionError("no agreement to sign")


@on_both_backends
async def test_chinese_merchant_reads_the_rates_confirms_them_and_they_are_kept(
    merchant: ChatUser, reviewer: ChatUser, bot_settings: Settings
) -> None:
    agreement = await approved(merchant, reviewer, INDIVIDUAL_ZH, "确认提交")
    body = agreement["text"]
    assert "借记卡：0.55%，单笔封顶 ¥20.00" in body and "信用卡：0.60%" in body
    assert "扫码（支付宝、微信、云闪付）：0.38%" in body and "押金：¥99.00" in body
    assert "双方确认的费率" not in body

    await merchant.send("/status")
    status = await merchant.reply_text()
    assert "费率：借记卡 0.55%（封顶 ¥20.00） · 信用卡 0.60% · 扫码 0.38% · 押金 ¥99.00" in status

    # The first tap signs nothing: it states the rates and asks once more.
    await merchant.press("我同意并签署", agreement)
    confirm = await merchant.reply()
    assert "再确认一次费率" in confirm["text"] and "0.55%" in confirm["text"]
    assert merchant.buttons(confirm) == ["✅ 确认签署", "暂不签署"]
    assert read_rows(bot_settings, "SELECT COUNT(*) FROM agreement_signatures") == [(0,)]

    await merchant.press("确认签署", confirm)
    await merchant.expect("协议已签署")
    final = await settled(merchant.server, confirm)
    assert final["text"].rstrip().endswith("已签署") and not merchant.buttons(final)
    [row] = read_rows(
        bot_settings,
        "SELECT version, fee_debit_bp, fee_credit_bp, fee_scan_bp, fee_debit_cap_fen,"
        " fee_deposit_fen FROM agreement_signatures",
    )
    assert row == ("v2", 55, 60, 38, 2000, 9900)

    # The FAQ's fee answer quotes the merchant's rates.
    await merchant.send("手续费怎么收")
    answer = await merchant.reply_text()
    assert "适用于您的费率" in answer and "信用卡：0.60%" in answer
    # Asked about one kind of card, and in the merchant's own words, it is the same answer.
    await merchant.send("刷信用卡的手续费怎么算")
    answer = await merchant.reply_text()
    assert "适用于您的费率" in answer and "信用卡：0.60%" in answer


async def test_english_merchant_sees_rates_in_english_and_can_say_not_now(
    english_merchant: ChatUser, reviewer: ChatUser, bot_settings: Settings
) -> None:
    agreement = await approved(english_merchant, reviewer, ENTERPRISE_EN, "Submit")
    body = agreement["text"]
    assert "Debit cards: 0.55%, at most CN¥20.00 per transaction" in body
    assert "Credit cards: 0.60%" in body and "Deposit: CN¥99.00" in body

    await english_merchant.press("I agree and sign", agreement)
    confirm = await english_merchant.reply()
    assert "confirm the rates once more" in confirm["text"]
    await english_merchant.press("Not now", confirm)
    edited = await english_merchant.edited()
    assert edited["text"].endswith("send /agreement to see the agreement again and sign it.")
    assert read_rows(bot_settings, "SELECT COUNT(*) FROM agreement_signatures") == [(0,)]

    await english_merchant.send("/agreement")
    again = await english_merchant.reply()
    await english_merchant.press("I agree and sign", again)
    await english_merchant.press("Confirm and sign", await english_merchant.reply())
    await english_merchant.expect("Agreement signed")

    await english_merchant.send("/status")
    assert "Rates: debit 0.55% (max CN¥20.00) · credit 0.60% · QR 0.38%" in (
        await english_merchant.reply_text()
    )


@pytest.mark.parametrize("rates", [{}])  # no schedule configured
async def test_without_a_schedule_support_confirms_and_signing_still_asks_twice(
    merchant: ChatUser, reviewer: ChatUser, bot_settings: Settings
) -> None:
    agreement = await approved(merchant, reviewer, INDIVIDUAL_ZH, "确认提交")
    assert "具体费率由客服与您确认" in agreement["text"]
    await merchant.press("我同意并签署", agreement)
    confirm = await merchant.reply()
    assert "具体费率由客服与您确认" in confirm["text"] and "确认签署" in " ".join(
        merchant.buttons(confirm)
    )
    await merchant.press("确认签署", confirm)
    await merchant.expect("协议已签署")
    assert read_rows(
        bot_settings, "SELECT version, fee_debit_bp, fee_deposit_fen FROM agreement_signatures"
    ) == [("v2", None, None)]
