"""How each outbox message kind reaches Telegram: registered on the OutboxSender by bot/app.py.

The outbox (scheduler/outbox.py) stores and retries; the drawing of a kind lives with its
views, here in handlers/. Kinds are named by the capability that queues them.
"""

from __future__ import annotations

from telegram import Bot
from telegram.constants import ParseMode

from bot import notify
from bot.data import BotData
from bot.fulfilment import kinds as fulfilment_kinds
from bot.fulfilment.agreement import agreement_to_sign
from bot.fulfilment.policy import Policy as FulfilmentPolicy
from bot.review import kinds as review_kinds
from bot.support import kinds as support_kinds
from bot.support.rules import Policy
from bot.support.sla import undeliverable
from handlers import fulfilment_views, review_cards, support_batch, support_views
from handlers.common import keyboard
from scheduler.outbox import OutboxSender, Send
from storage.outbox import OutboxItem


async def send_text(bot: Bot, data: BotData, item: OutboxItem) -> None:
    """A rendered text with its buttons (kind "text")."""
    await bot.send_message(
        item.chat_id,
        item.payload["text"],
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(item.payload.get("buttons")),
    )


async def send_template(bot: Bot, data: BotData, item: OutboxItem) -> None:
    """A template rendered now, in the payload's language or the recipient's (kind "template")."""
    locale = item.payload.get("locale")
    if locale is None:
        async with data.storage.transaction() as repos:
            locale = await notify.locale_of_user(repos, item.chat_id, data.settings.default_locale)
    text, buttons = notify.render_template(data, locale, item.payload)
    await bot.send_message(
        item.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard(buttons)
    )


async def send_voucher(bot: Bot, data: BotData, item: OutboxItem) -> None:
    """The code's QR voucher, rendered now from the encrypted store in the merchant's language."""
    locale = item.payload.get("locale")
    if locale is None:
        async with data.storage.transaction() as repos:
            locale = await notify.locale_of_user(repos, item.chat_id, data.settings.default_locale)
    await fulfilment_views.send_voucher(
        bot, data, item.chat_id, item.payload["application_id"], locale
    )


async def send_agreement(bot: Bot, data: BotData, item: OutboxItem) -> None:
    """The agreement to sign, in the merchant's language, its button naming the text shown."""
    async with data.storage.transaction() as repos:
        record = await repos.applications.get(item.payload["application_id"])
        locale = await notify.locale_of_user(repos, item.chat_id, data.settings.default_locale)
    if record is None:
        return
    text, buttons = agreement_to_sign(
        data.renderer, FulfilmentPolicy.of(data.settings), locale, record
    )
    await bot.send_message(
        item.chat_id,
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(notify.button_rows(data, locale, buttons)),
    )


async def post_review_card(bot: Bot, data: BotData, item: OutboxItem) -> None:
    """A submitted application's documents and card, in the review chat."""
    await review_cards.post_card(bot, data, item.payload["application_id"])


async def post_ticket_card(bot: Bot, data: BotData, item: OutboxItem) -> None:
    """A new ticket's card in a staff chat."""
    await support_views.post_card(bot, data, item.chat_id, item.payload["ticket_id"])


async def post_ticket_message(bot: Bot, data: BotData, item: OutboxItem) -> None:
    """A ticket's relayed message, reminder or notice, threaded under its card."""
    await support_views.post_to_staff(bot, data, item.chat_id, item.payload)


async def post_ticket_batch(bot: Bot, data: BotData, item: OutboxItem) -> None:
    """A ticket's batch of follow-ups."""
    await support_batch.post_batch(bot, data, item.chat_id, item.payload)


async def copy_message(bot: Bot, data: BotData, item: OutboxItem) -> None:
    """A photo or document copied between a merchant and a staff chat."""
    await support_views.copy_to(bot, data, item.chat_id, item.payload)


async def reply_refused(bot: Bot, data: BotData, item: OutboxItem) -> None:
    """A support reply the merchant cannot receive (403): the ticket and staff must know."""
    if item.chat_id <= 0 or item.payload.get("ticket_id") is None:
        return
    async with data.storage.transaction() as repos:
        policy = Policy.of(data.settings)
        ticket = await undeliverable(repos, policy, int(item.payload["ticket_id"]), item.id)
    if ticket is not None:
        await support_views.refresh_cards(bot, data, ticket.id)


SENDERS: dict[str, Send] = {
    notify.TEXT: send_text,
    notify.TEMPLATE: send_template,
    fulfilment_kinds.VOUCHER: send_voucher,
    fulfilment_kinds.AGREEMENT: send_agreement,
    review_kinds.REVIEW_CARD: post_review_card,
    support_kinds.TICKET_CARD: post_ticket_card,
    support_kinds.TICKET_POST: post_ticket_message,
    support_kinds.TICKET_BATCH: post_ticket_batch,
    support_kinds.COPY: copy_message,
}


def register_senders(outbox: OutboxSender) -> None:
    """Teach the outbox every kind the bot queues (called once, by bot/app.py)."""
    for kind, send in SENDERS.items():
        outbox.register(kind, send)
    outbox.on_refused(reply_refused)
