"""Support tickets, the merchant's side: /support, describing, follow-ups, /tickets, rating."""

from __future__ import annotations

import contextlib

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import Context
from bot.parsing import strict_int
from bot.support import service as flow
from bot.support.rules import CLOSABLE, Policy, Status
from bot.support.texts import Buttons, support_label
from handlers import support_views as views
from handlers.common import locale_of, text
from storage.tickets import DraftPart, Ticket

# Which ticket the merchant's messages go to when several are open (their last choice).
_FOCUS = "support_focus"


def message_part(message: Message) -> DraftPart | None:
    """What a ticket keeps of a Telegram message; None for stickers, voice notes and such."""
    common = {"chat_id": message.chat_id, "message_id": message.message_id}
    if message.photo:
        return DraftPart(kind="photo", body=message.caption or "", **common)
    if message.document:
        name = message.document.file_name
        return DraftPart(kind="document", body=message.caption or "", file_name=name, **common)
    if message.text:
        return DraftPart(kind="text", body=message.text, **common)
    return None


async def _send(
    update: Update, context: Context, name: str, buttons: Buttons | None = None, **values: object
) -> Message:
    chat = update.effective_chat
    assert chat is not None
    data, locale = context.bot_data, locale_of(context)
    return await views.say(context.bot, data, locale, chat.id, name, buttons, **values)


async def _edit(
    query: CallbackQuery, context: Context, name: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    try:
        await query.edit_message_text(
            text(context, name), parse_mode=ParseMode.HTML, reply_markup=markup
        )
    except BadRequest as exc:
        if "not modified" not in str(exc):
            raise


async def support_command(update: Update, context: Context) -> None:
    """/support and the main-menu button: ask for a description."""
    await open_draft(update, context)


async def open_draft(update: Update, context: Context, faq_question_id: int | None = None) -> None:
    """Start describing a ticket (an FAQ question it comes from is attached)."""
    user = update.effective_user
    assert user is not None
    data = context.bot_data
    async with data.storage.transaction() as repos:
        await repos.ticket_drafts.start_draft(user.id, faq_question_id)
        question = await repos.faq.get(faq_question_id) if faq_question_id else None
        active = [t.number for t in await flow.routable(repos, Policy.of(data.settings), user.id)]
    await _send(
        update,
        context,
        "support/describe",
        [[("btn_cancel", "tk:x")]],
        question=question.question if question else None,
        active=active,
    )


async def take_message(update: Update, context: Context) -> bool:
    """Claim a private message for support: a description being written, or an open ticket."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    data, locale = context.bot_data, locale_of(context)
    sender = flow.Sender(user.id, locale, user.first_name)
    focus, part = context.user_data.extras.get(_FOCUS), message_part(message)
    policy = Policy.of(data.settings)
    async with data.storage.transaction() as repos:
        taken = await flow.take_message(repos, policy, data.faq, sender, part, focus)
    if taken.ticket is not None:
        context.user_data.extras[_FOCUS] = taken.ticket.id
        data.kick_outbox()
    return await views.show_taken(context.bot, data, locale, message, taken)


async def tickets_for_merchant(update: Update, context: Context) -> None:
    """/tickets in the private chat: the merchant's tickets, with a Close button for open ones."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    body, markup = await _my_tickets(context, user.id)
    await context.bot.send_message(chat.id, body, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _my_tickets(context: Context, user_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
    data, locale = context.bot_data, locale_of(context)
    async with data.storage.transaction() as repos:
        tickets = await repos.tickets.of_merchant(user_id)
    rows = [
        {
            "number": t.number,
            "status": support_label(data, locale, f"status_{t.status}"),
            "subject": t.subject,
            "rating": t.rating,
        }
        for t in tickets
    ]
    closable = [t for t in tickets if t.status in CLOSABLE][: views.LISTED]
    markup = views.plain_keyboard(
        [
            [(support_label(data, locale, "btn_close", number=t.number), f"tk:c:{t.id}")]
            for t in closable
        ]
    )
    return text(context, "support/my_tickets", tickets=rows), markup if closable else None


async def on_button(update: Update, context: Context) -> None:
    """A support button in the merchant's chat (callback data `tk:…`, see support_views)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    kind, *args = query.data.split(":")[1:]
    parsed = [strict_int(a) for a in args]
    # Every argument a number, or the button is not one of ours.
    numbers = [n for n in parsed if n is not None] if None not in parsed else []
    if kind == "new":
        await _create(update, context)
    elif kind == "x":
        async with context.bot_data.storage.transaction() as repos:
            await repos.ticket_drafts.drop_draft(query.from_user.id)
        await query.answer()
        await _edit(query, context, "support/draft_cancelled")
    elif kind == "m" and len(numbers) == 2:
        await _picked(update, context, numbers[0])
    elif kind == "c" and numbers:
        await _close(update, context, numbers[0])
    elif kind == "r" and len(numbers) == 2:
        await _rate(update, context, numbers[0], numbers[1])
    elif kind == "s" and numbers:
        await _skip_comment(update, context, numbers[0])
    else:
        await _stale(query, context)


async def _stale(query: CallbackQuery, context: Context) -> None:
    await query.answer(support_label(context.bot_data, locale_of(context), "stale"))


async def _own(context: Context, query: CallbackQuery, ticket_id: int) -> Ticket | None:
    async with context.bot_data.storage.transaction() as repos:
        ticket = await repos.tickets.get(ticket_id)
    return ticket if ticket and ticket.merchant_id == query.from_user.id else None


async def _create(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    data = context.bot_data
    async with data.storage.transaction() as repos:
        ticket = await flow.create(repos, Policy.of(data.settings), query.from_user.id)
    if ticket is None:
        await _stale(query, context)
        return
    await query.answer()
    # The summary said "tap Create ticket": it ends saying it was done, not just buttonless.
    sent = data.renderer.label(locale_of(context), "ticket_draft_sent", number=ticket.number)
    if isinstance(query.message, Message):
        await query.edit_message_text(
            f"{query.message.text_html}\n\n{sent}", parse_mode=ParseMode.HTML, reply_markup=None
        )
    context.user_data.extras[_FOCUS] = ticket.id
    data.kick_outbox()


async def _picked(update: Update, context: Context, ticket_id: int) -> None:
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    original = query.message.reply_to_message
    part = message_part(original) if original else None
    if part is None:
        await _stale(query, context)
        return
    data, locale = context.bot_data, locale_of(context)
    sender = flow.Sender(query.from_user.id, locale, query.from_user.first_name)
    async with data.storage.transaction() as repos:
        taken = await flow.to_ticket(repos, Policy.of(data.settings), sender, ticket_id, part)
    if taken.ticket is None:
        await _stale(query, context)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    context.user_data.extras[_FOCUS] = ticket_id
    data.kick_outbox()
    await views.show_taken(context.bot, data, locale, query.message, taken)


async def _close(update: Update, context: Context, ticket_id: int) -> None:
    query = update.callback_query
    assert query is not None
    data = context.bot_data
    ticket = await _own(context, query, ticket_id)
    if ticket is None:
        await _stale(query, context)
        return
    async with data.storage.transaction() as repos:
        done = await flow.close_by_merchant(repos, Policy.of(data.settings), ticket)
    if not done:
        await _stale(query, context)
        return
    await query.answer()
    # The list the button was on shows the ticket closed, without its Close button.
    body, markup = await _my_tickets(context, query.from_user.id)
    with contextlib.suppress(BadRequest):
        await query.edit_message_text(body, parse_mode=ParseMode.HTML, reply_markup=markup)
    await _send(update, context, "support/closed", number=ticket.number)
    data.kick_outbox()
    await views.refresh_cards(context.bot, data, ticket_id)


async def _rate(update: Update, context: Context, ticket_id: int, stars: int) -> None:
    query = update.callback_query
    assert query is not None
    data = context.bot_data
    ticket = await _own(context, query, ticket_id)
    if ticket is None:
        await _stale(query, context)
        return
    async with data.storage.transaction() as repos:
        done = await flow.rate(repos, Policy.of(data.settings), ticket, stars)
    if not done:
        await _stale(query, context)
        return
    await query.answer()
    await query.edit_message_text(
        text(context, "support/rated", number=ticket.number, stars=stars),
        parse_mode=ParseMode.HTML,
        reply_markup=views.keyboard(
            data, locale_of(context), [[("btn_no_comment", f"tk:s:{ticket_id}")]]
        ),
    )
    data.kick_outbox()


async def _skip_comment(update: Update, context: Context, ticket_id: int) -> None:
    query = update.callback_query
    assert query is not None
    ticket = await _own(context, query, ticket_id)
    if ticket is None or ticket.status != Status.RESOLVED:
        await _stale(query, context)
        return
    async with context.bot_data.storage.transaction() as repos:
        await repos.tickets.note_fields(ticket.id, comment_wanted=0)
    await query.answer()
    await query.edit_message_reply_markup(None)
    await _send(update, context, "support/comment_thanks")
