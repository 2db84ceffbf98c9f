"""The application card in the review chat, posted and kept current: its documents (one album)
and the card with its buttons when an application is submitted, every posted card redrawn
when its state changes, and the merchant's language for a rejection's reasons. The card's
facts are read in one call (bot/review/card.py) and drawn by review_views.py."""

from __future__ import annotations

from telegram import Bot
from telegram.constants import ParseMode

from bot import notify
from bot.data import BotData
from bot.review.card import ReviewCard, review_card
from handlers.review_album import post_documents
from handlers.review_views import card_view, redraw


async def other_language(data: BotData, application_id: int) -> str | None:
    """The merchant's language when it is not the staff chats' (reasons should be in it)."""
    locale = data.settings.default_locale
    async with data.storage.transaction() as repos:
        record = await repos.applications.get(application_id)
        merchant = (
            await notify.locale_of_user(repos, record.merchant_id, locale) if record else None
        )
    if merchant is None or merchant == locale:
        return None
    key = "merchant_language_" + merchant.replace("-", "_")
    return data.renderer.plain_label(locale, key)


async def load_card(data: BotData, application_id: int) -> ReviewCard | None:
    """The card's facts, read in a transaction of their own."""
    async with data.storage.transaction() as repos:
        return await review_card(repos, application_id, data.settings)


async def post_card(bot: Bot, data: BotData, application_id: int) -> None:
    """Post the new or changed documents (one album) and then the card with its buttons.

    Every document shown is written to the staff audit log (chat, application, kind, time)
    as soon as Telegram has it, so a failure later in the post cannot leave a view unrecorded.
    """
    chat_id = data.settings.review_chat_id
    async with data.storage.transaction() as repos:
        record = await repos.applications.get(application_id)
    if chat_id is None or record is None:
        return
    posted = await post_documents(bot, data, record, chat_id, data.settings.default_locale)
    if posted:
        await _audit_shown(data, chat_id, application_id, posted)
    card = await load_card(data, application_id)
    assert card is not None
    text, keyboard = card_view(data, card)
    message = await bot.send_message(
        chat_id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard
    )
    async with data.storage.transaction() as repos:
        await repos.staff.remember_message(chat_id, message.message_id, application_id, "card")


async def _audit_shown(data: BotData, chat_id: int, application_id: int, slots: list[str]) -> None:
    async with data.storage.transaction() as repos:
        for slot in slots:
            await repos.audit.record(
                "document_shown", chat_id=chat_id, application_id=application_id, detail=slot
            )


async def refresh_cards(bot: Bot, data: BotData, application_id: int) -> None:
    """Show the application's new state (and buttons) on every card already posted."""
    card = await load_card(data, application_id)
    if card is not None:
        await redraw(bot, data, card)
