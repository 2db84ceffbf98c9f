"""How support reaches Telegram: keyboards, the ticket card posted and refreshed in staff chats.

The texts themselves are drawn in bot/support/texts.py.

Callback data (all under Telegram's 64 bytes):
    tk:new             create the ticket from the description
    tk:x               cancel the description
    tk:m:<t>:<msg>     send the merchant's message <msg> to ticket <t> (several were open)
    tk:c:<t>           the merchant closes ticket <t>
    tk:r:<t>:<1-5>     the merchant rates ticket <t>
    tk:s:<t>           no comment on the rating
    ts:<t>:<action>    a ticket card's button in a staff chat: take, reply, resolve, escalate
"""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode

from bot import notify
from bot.data import BotData
from bot.settings import Locale
from bot.support.card import TicketCard, ticket_card
from bot.support.rules import Policy
from bot.support.service import Taken
from bot.support.texts import (
    Buttons,
    Labelled,
    card_view,
    copy_caption,
    history_text,
    staff_post,
    support_label,
)
from handlers.posted import edit_posted
from storage.tickets import DraftPart, Ticket

log = logging.getLogger(__name__)

LISTED = 5  # tickets offered as buttons (to pick or to close)


def keyboard(data: BotData, locale: Locale, buttons: Buttons) -> InlineKeyboardMarkup:
    """Inline keyboard with labels from support/labels.j2."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(support_label(data, locale, k), callback_data=cb)
                for k, cb in row
            ]
            for row in buttons
        ]
    )


def plain_keyboard(rows: Labelled) -> InlineKeyboardMarkup | None:
    """Inline keyboard from (label already rendered, callback data) rows; None without any."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=cb) for label, cb in row] for row in rows]
    )


async def _thread(data: BotData, chat_id: int, ticket_id: int) -> ReplyParameters | None:
    """Follow-ups in a staff chat reply to the ticket's card there, so the thread reads well."""
    async with data.storage.transaction() as repos:
        cards = [
            m for c, m in await repos.tickets.staff_messages(ticket_id, "card") if c == chat_id
        ]
    if not cards:
        return None
    return ReplyParameters(message_id=cards[-1], allow_sending_without_reply=True)


async def _remember(
    data: BotData, chat_id: int, message_id: int, ticket_id: int, kind: str
) -> None:
    async with data.storage.transaction() as repos:
        await repos.tickets.remember_staff_message(chat_id, message_id, ticket_id, kind)


async def load_card(data: BotData, ticket_id: int) -> TicketCard | None:
    """The ticket card's facts, read in a transaction of their own."""
    async with data.storage.transaction() as repos:
        ticket = await repos.tickets.get(ticket_id)
        return await ticket_card(repos, Policy.of(data.settings), ticket) if ticket else None


async def post_card(bot: Bot, data: BotData, chat_id: int, ticket_id: int) -> None:
    """Post the ticket's card to a staff chat and remember it."""
    card = await load_card(data, ticket_id)
    if card is None:
        return
    text, buttons = card_view(data, card)
    message = await bot.send_message(
        chat_id, text, parse_mode=ParseMode.HTML, reply_markup=plain_keyboard(buttons)
    )
    await _remember(data, chat_id, message.message_id, ticket_id, "card")


async def post_to_staff(bot: Bot, data: BotData, chat_id: int, payload: dict) -> None:
    """A ticket's message in a staff chat (relay, reminder, notice, an escalation's history),
    drawn now, threaded and remembered."""
    ticket_id = int(payload["ticket_id"])
    if "history" in payload:
        async with data.storage.transaction() as repos:
            text = await history_text(data, repos, ticket_id, payload["history"])
    else:
        text = staff_post(data, payload)
    message = await bot.send_message(
        chat_id,
        text,
        parse_mode=ParseMode.HTML,
        reply_parameters=await _thread(data, chat_id, ticket_id),
    )
    await _remember(data, chat_id, message.message_id, ticket_id, payload.get("map", "message"))


async def copy_to(bot: Bot, data: BotData, chat_id: int, payload: dict) -> None:
    """Copy a photo or document (merchant -> staff chat, or staff chat -> merchant), its
    caption drawn now in the reader's language."""
    ticket_id = payload.get("ticket_id")
    staff_chat = chat_id < 0
    reply = await _thread(data, chat_id, ticket_id) if staff_chat and ticket_id else None
    locale = data.settings.default_locale
    if "merchant_caption" in payload:
        async with data.storage.transaction() as repos:
            locale = await notify.locale_of_user(repos, chat_id, locale)
    copied = await bot.copy_message(
        chat_id,
        payload["from_chat_id"],
        payload["message_id"],
        caption=copy_caption(data, locale, payload),
        parse_mode=ParseMode.HTML,
        reply_parameters=reply,
    )
    if staff_chat and ticket_id:
        await _remember(data, chat_id, copied.message_id, int(ticket_id), "message")


async def refresh_cards(bot: Bot, data: BotData, ticket_id: int) -> None:
    """Show the ticket's new state on every card already posted.

    Only after a change of status, assignee or tier: every edit counts against Telegram's
    20 requests a minute per group, and new messages show in the thread below the card anyway.
    """
    card = await load_card(data, ticket_id)
    if card is not None:
        await redraw(bot, data, card)


async def redraw(bot: Bot, data: BotData, card: TicketCard) -> None:
    """Draw the card's facts (text and buttons, in one pass) on every card already posted."""
    text, buttons = card_view(data, card)
    markup = plain_keyboard(buttons)
    await edit_posted(bot, card.posted, text, markup, what=f"card of ticket {card.ticket.id}")


# --- the merchant's chat ---------------------------------------------------------------------


async def say(
    bot: Bot,
    data: BotData,
    locale: Locale,
    chat_id: int,
    name: str,
    buttons: Buttons | None = None,
    **values: object,
) -> Message:
    """Send a support template to the merchant, with support's buttons if any."""
    return await bot.send_message(
        chat_id,
        data.renderer.render(locale, name, **values),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(data, locale, buttons) if buttons else None,
    )


async def show_taken(
    bot: Bot, data: BotData, locale: Locale, message: Message, taken: Taken
) -> bool:
    """Answer a merchant's message as support took it; False if it was none of support's."""
    chat_id = message.chat_id
    if taken.outcome in ("not_support", "stale"):
        return False
    if taken.outcome == "unsupported":  # a sticker or a voice note: say what works
        await say(bot, data, locale, chat_id, "support/unsupported")
    elif taken.outcome == "described" and taken.draft is not None:
        await _draft_summary(bot, data, locale, chat_id, taken.draft.parts)
    elif taken.outcome == "pick":
        await _ask_which(data, locale, message, taken.tickets)
    elif taken.outcome == "comment":
        await say(bot, data, locale, chat_id, "support/comment_thanks")
    elif taken.card is not None:  # answered, reopened: back with staff
        await redraw(bot, data, taken.card)
    return True


async def _draft_summary(
    bot: Bot, data: BotData, locale: Locale, chat_id: int, parts: list[DraftPart]
) -> None:
    texts = [p.body for p in parts if p.kind == "text"]
    await say(
        bot,
        data,
        locale,
        chat_id,
        "support/draft_summary",
        [[("btn_create", "tk:new"), ("btn_cancel", "tk:x")]],
        excerpt=(texts[0][:120] + ("…" if len(texts[0]) > 120 else "")) if texts else None,
        texts=len(texts),
        photos=sum(p.kind == "photo" for p in parts),
        documents=sum(p.kind == "document" for p in parts),
    )


async def _ask_which(
    data: BotData, locale: Locale, message: Message, tickets: list[Ticket]
) -> None:
    rows = [
        [
            (
                support_label(data, locale, "btn_pick", number=t.number, subject=t.subject[:24]),
                f"tk:m:{t.id}:{message.message_id}",
            )
        ]
        for t in tickets[:LISTED]
    ]
    # A reply to the message, so the button press can find what to send (reply_to_message).
    await message.reply_text(
        data.renderer.render(locale, "support/pick"),
        parse_mode=ParseMode.HTML,
        reply_markup=plain_keyboard(rows),
        do_quote=True,
    )
