"""Support tickets, the merchant's side: /support, describing, follow-ups, /tickets, rating."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import Context
from bot.parsing import strict_int
from bot.support import service as flow
from bot.support.rules import CLOSABLE, Status
from bot.support.texts import Buttons, support_label
from handlers.common import locale_of, text
from handlers.support_views import keyboard, plain_keyboard, refresh_cards
from storage.tickets import DraftPart, Ticket

# Which ticket the merchant's messages go to when several are open (their last choice).
_FOCUS = "support_focus"
_LISTED = 5  # close buttons under /tickets


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
    markup = keyboard(context.bot_data, locale_of(context), buttons) if buttons else None
    return await context.bot.send_message(
        chat.id, text(context, name, **values), parse_mode=ParseMode.HTML, reply_markup=markup
    )


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
        await repos.tickets.start_draft(user.id, faq_question_id)
        question = await repos.faq.get(faq_question_id) if faq_question_id else None
        active = [t.number for t in await flow.routable(repos, data, user.id)]
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
    data = context.bot_data
    part = message_part(message)
    async with data.storage.transaction() as repos:
        taken = await flow.incoming(repos, data, user.id, part)
    if taken.draft is not None:
        await _draft_summary(update, context, taken.draft.parts if part else None)
        return True
    tickets = taken.tickets
    if not tickets or part is None:
        return False
    if (
        message.text
        and all(t.status == Status.RESOLVED and not t.comment_wanted for t in tickets)
        and data.faq.ask(message.text, locale_of(context)).entry is not None
    ):
        # A plain FAQ question after a resolved ticket is answered, not taken as a reopen.
        return False
    focus = context.user_data.extras.get(_FOCUS)
    chosen = tickets[0] if len(tickets) == 1 else next((t for t in tickets if t.id == focus), None)
    if chosen is None:
        await _ask_which(update, context, tickets, message)
        return True
    await _relay(update, context, chosen.id, part)
    return True


async def _draft_summary(update: Update, context: Context, parts: list[DraftPart] | None) -> None:
    if parts is None:  # a sticker or a voice note: say what works
        await _send(update, context, "support/unsupported")
        return
    texts = [p.body for p in parts if p.kind == "text"]
    await _send(
        update,
        context,
        "support/draft_summary",
        [[("btn_create", "tk:new"), ("btn_cancel", "tk:x")]],
        excerpt=(texts[0][:120] + ("…" if len(texts[0]) > 120 else "")) if texts else None,
        texts=len(texts),
        photos=sum(p.kind == "photo" for p in parts),
        documents=sum(p.kind == "document" for p in parts),
    )


async def _ask_which(
    update: Update, context: Context, tickets: list[Ticket], message: Message
) -> None:
    data, locale = context.bot_data, locale_of(context)
    rows = [
        [
            (
                support_label(data, locale, "btn_pick", number=t.number, subject=t.subject[:24]),
                f"tk:m:{t.id}:{message.message_id}",
            )
        ]
        for t in tickets[:_LISTED]
    ]
    # A reply to the message, so the button press can find what to send (reply_to_message).
    await message.reply_text(
        text(context, "support/pick"),
        parse_mode=ParseMode.HTML,
        reply_markup=plain_keyboard(rows),
        do_quote=True,
    )


async def _relay(update: Update, context: Context, ticket_id: int, part: DraftPart) -> None:
    user = update.effective_user
    assert user is not None
    data = context.bot_data
    async with data.storage.transaction() as repos:
        ticket = await repos.tickets.get(ticket_id)
        if ticket is None or ticket.merchant_id != user.id:
            return
        outcome = await flow.from_merchant(repos, data, ticket, part)
    context.user_data.extras[_FOCUS] = ticket_id
    data.kick_outbox()
    if outcome == "comment":
        await _send(update, context, "support/comment_thanks")
    elif outcome != "added":
        await refresh_cards(context.bot, data, ticket_id)


async def tickets_for_merchant(update: Update, context: Context) -> None:
    """/tickets in the private chat: the merchant's tickets, with a Close button for open ones."""
    user = update.effective_user
    assert user is not None
    data, locale = context.bot_data, locale_of(context)
    async with data.storage.transaction() as repos:
        tickets = await repos.tickets.of_merchant(user.id)
    rows = [
        {
            "number": t.number,
            "status": support_label(data, locale, f"status_{t.status}"),
            "subject": t.subject,
            "rating": t.rating,
        }
        for t in tickets
    ]
    closable = [t for t in tickets if t.status in CLOSABLE][:_LISTED]
    markup = plain_keyboard(
        [
            [(support_label(data, locale, "btn_close", number=t.number), f"tk:c:{t.id}")]
            for t in closable
        ]
    )
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(
        chat.id,
        text(context, "support/my_tickets", tickets=rows),
        parse_mode=ParseMode.HTML,
        reply_markup=markup if closable else None,
    )


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
            await repos.tickets.drop_draft(query.from_user.id)
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
        ticket = await flow.create(repos, data, query.from_user.id)
    if ticket is None:
        await _stale(query, context)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    context.user_data.extras[_FOCUS] = ticket.id
    data.kick_outbox()


async def _picked(update: Update, context: Context, ticket_id: int) -> None:
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    original = query.message.reply_to_message
    part = message_part(original) if original else None
    if part is None or await _own(context, query, ticket_id) is None:
        await _stale(query, context)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await _relay(update, context, ticket_id, part)


async def _close(update: Update, context: Context, ticket_id: int) -> None:
    query = update.callback_query
    assert query is not None
    data = context.bot_data
    ticket = await _own(context, query, ticket_id)
    if ticket is None:
        await _stale(query, context)
        return
    async with data.storage.transaction() as repos:
        done = await flow.close_by_merchant(repos, data, ticket)
    if not done:
        await _stale(query, context)
        return
    await query.answer()
    await _send(update, context, "support/closed", number=ticket.number)
    data.kick_outbox()
    await refresh_cards(context.bot, data, ticket_id)


async def _rate(update: Update, context: Context, ticket_id: int, stars: int) -> None:
    query = update.callback_query
    assert query is not None
    data = context.bot_data
    ticket = await _own(context, query, ticket_id)
    if ticket is None:
        await _stale(query, context)
        return
    async with data.storage.transaction() as repos:
        done = await flow.rate(repos, data, ticket, stars)
    if not done:
        await _stale(query, context)
        return
    await query.answer()
    await query.edit_message_text(
        text(context, "support/rated", number=ticket.number, stars=stars),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(
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
