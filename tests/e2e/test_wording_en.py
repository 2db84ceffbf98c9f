"""Staff chats in English (DEFAULT_LOCALE=en): labels that fit a phone, one name for one
action."""

from __future__ import annotations

import pytest
from telegram.ext import Application

from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.application_steps import ENTERPRISE_EN, fill
from tests.e2e.conftest import ADMIN_ID, REVIEW_CHAT, SUPPORT_CHAT
from tests.e2e.harness import ChatUser
from tests.e2e.test_review import REVIEWER_ID, card_of


@pytest.fixture
def bot_settings(make_settings, server: BotApiServer) -> Settings:
    return make_settings(
        bot_token=server.token,
        telegram_base_url=server.base_url,
        telegram_file_base_url=server.file_base_url,
        review_chat_id=REVIEW_CHAT,
        support_chat_id=SUPPORT_CHAT,
        admin_ids=[ADMIN_ID],
        default_locale="en",
    )


@pytest.fixture
async def reviewer(server: BotApiServer, bot: Application) -> ChatUser:
    """A reviewer whose own Telegram is in Chinese, in an English review group."""
    admin = ChatUser(server, ADMIN_ID, "Admin").in_chat(REVIEW_CHAT)
    await admin.send(f"/staff add {REVIEWER_ID} reviewer")
    await admin.reply()
    return ChatUser(server, REVIEWER_ID, "李审核").in_chat(REVIEW_CHAT)


async def test_send_back_picker_fits_a_phone_and_names_one_action(
    english_merchant: ChatUser, reviewer: ChatUser
) -> None:
    await fill(english_merchant, ENTERPRISE_EN)
    await english_merchant.press("Submit")
    submitted = await english_merchant.expect("Application submitted")
    number = submitted["text"].split("Application number: ")[1].split()[0]

    card = await card_of(reviewer, number)
    assert reviewer.buttons(card) == ["🙋 Take", "✅ Approve", "❌ Send back"]
    await reviewer.press("Send back", card)
    picker = await reviewer.expect("Send back application")
    fields = reviewer.buttons(picker)[:-2]
    assert "Credit code" in fields and "ID front" in fields and "Business type" in fields
    assert all(len(f) <= 15 for f in fields), fields  # two a row fit a phone
    assert reviewer.buttons(picker)[-2:] == ["Next: give reasons", "Don't send back"]
    await reviewer.press("ID front", picker)
    picker = await reviewer.edited()
    await reviewer.press("Next: give reasons", picker)
    prompt = await reviewer.expect("ID card (portrait side)")  # the full name in the message
    assert "The merchant uses" not in prompt["text"]  # an English merchant, English staff
    await reviewer.server.send_text(REVIEWER_ID, "The photo is blurred", chat_id=REVIEW_CHAT)
    summary = await reviewer.expect("Please confirm")
    assert reviewer.buttons(summary) == ["✅ Send back", "Don't send back"]
    assert "Reply to this message" not in prompt["text"]
