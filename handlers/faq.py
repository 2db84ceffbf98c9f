"""The FAQ in chat: /faq browsing, free-text questions, 👍/👎 votes and the way to a person."""

from __future__ import annotations

from telegram import CallbackQuery, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import faq_personal as personal
from bot.context import Context
from bot.parsing import strict_int
from bot.settings import Locale
from faq.knowledge import CATEGORIES
from handlers import faq_views as views
from handlers import status, support
from handlers.common import locale_of, main_menu, reply
from storage.faq import FaqQuestion


async def faq_command(update: Update, context: Context) -> None:
    """/faq and the FAQ menu item: the categories."""
    await _send(update, context, views.categories(context.bot_data, locale_of(context)))


async def answer_question(update: Update, context: Context) -> None:
    """Free text outside a form: the answer when confident, else three entries and support."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and message.text is not None and user is not None
    data = context.bot_data
    result = data.faq.ask(message.text, locale_of(context))
    if result.reason == "no_terms":
        # "你好", "ok", "thanks": nothing to look up, so invite a question instead.
        await reply(update, context, "faq/no_question", keyboard=main_menu(context))
        return
    async with data.storage.transaction() as repos:
        record_id = await repos.faq.record(
            user.id,
            question=message.text,
            language=result.language,
            source="asked",
            entry_id=result.entry.id if result.entry else None,
            reason=result.reason,
            score=result.score,
        )
    if result.entry is not None:
        if result.entry.id == personal.STATUS and await _has_application(context, user.id):
            # "我的申请到哪一步了" from someone who applied: their status card, as /status.
            await status.status_command(update, context)
            return
        lead = await _personal_lead(context, user.id, result.language, result.entry.id)
        view = views.answer(
            data, result.language, result.entry, record_id, ask_feedback=True, lead=lead
        )
    else:
        view = views.unknown(data, result.language, result.candidates, record_id)
    await _send(update, context, view)


async def _has_application(context: Context, telegram_id: int) -> bool:
    async with context.bot_data.storage.transaction() as repos:
        return await personal.application_state(repos, telegram_id) is not None


async def _personal_lead(
    context: Context, telegram_id: int, locale: Locale, entry_id: str
) -> str | None:
    """The asker's own facts above a general answer (payouts, a ready code), or None."""
    data = context.bot_data
    if entry_id == personal.PAYOUT:
        async with data.storage.transaction() as repos:
            payouts = await personal.upcoming_payouts(
                repos, telegram_id, data.settings.settlement_days
            )
        return None if payouts is None else views.payout_lead(data, locale, payouts)
    if entry_id == personal.FEES:
        async with data.storage.transaction() as repos:
            schedule = await personal.fee_schedule_of(repos, telegram_id, data.settings)
        return views.fees_lead(data, locale, schedule)
    if entry_id in personal.CODE_TOPICS:
        async with data.storage.transaction() as repos:
            state = await personal.application_state(repos, telegram_id)
        return views.code_lead(data, locale) if personal.has_code(state) else None
    return None


async def on_button(update: Update, context: Context) -> None:
    """An FAQ button (callback data `fq:…`, see handlers.faq_views)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    kind, *args = query.data.split(":")[1:]
    data = context.bot_data
    locale = locale_of(context)
    if kind == "c":
        await query.answer()
        await _edit(query, views.categories(data, locale))
    elif kind == "n":
        await query.answer()
        await _send(update, context, views.categories(data, locale))
    elif kind == "l" and args and args[0] in CATEGORIES:
        await query.answer()
        await _edit(query, views.entries(data, locale, args[0]))
    elif kind == "e" and args:
        await _show_entry(update, context, args[0], _int(args[1:]))
    elif kind == "v" and len(args) == 2:
        await _vote(update, context, _int(args[:1]), solved=args[1] == "1")
    elif kind == "h":
        await _to_support(update, context, _int(args))
    else:
        await _stale(query, context)


async def _show_entry(
    update: Update, context: Context, entry_id: str, asked_id: int | None
) -> None:
    """An entry picked from a list, a related link, or the candidates of a question."""
    query = update.callback_query
    assert query is not None
    data = context.bot_data
    entry = data.knowledge.get(entry_id)
    asked = await _own_record(context, query, asked_id) if asked_id is not None else None
    if entry is None or (asked_id is not None and asked is None):
        await _stale(query, context)
        return
    await query.answer()
    # A candidate answers the question as asked, in the language it was asked in.
    locale: Locale = asked.language if asked else locale_of(context)
    async with data.storage.transaction() as repos:
        record_id = await repos.faq.record(
            query.from_user.id,
            question=asked.question if asked else None,
            language=locale,
            source="candidate" if asked else "browsed",
            entry_id=entry.id,
        )
    lead = await _personal_lead(context, query.from_user.id, locale, entry.id)
    view = views.answer(data, locale, entry, record_id, ask_feedback=True, lead=lead)
    await _send(update, context, view)


async def _vote(update: Update, context: Context, record_id: int | None, *, solved: bool) -> None:
    """👍 or 👎: store it with the question; 👎 offers a person."""
    query = update.callback_query
    assert query is not None
    data = context.bot_data
    record = await _own_record(context, query, record_id)
    entry = data.knowledge.get(record.entry_id or "") if record else None
    if record is None or entry is None:
        await _stale(query, context)
        return
    async with data.storage.transaction() as repos:
        await repos.faq.vote(record.id, solved=solved)
    locale = record.language
    await query.answer(views.faq_label(data, locale, "vote_thanks" if solved else "vote_recorded"))
    # The answer stays; its question line and vote buttons go, showing the vote was taken.
    await _edit(query, views.answer(data, locale, entry, record.id, ask_feedback=False))
    if not solved:
        await _send(update, context, views.not_solved(data, locale, record.id))


async def _to_support(update: Update, context: Context, record_id: int | None) -> None:
    """Contact support about a question: a ticket is started with the question attached."""
    query = update.callback_query
    assert query is not None
    record = await _own_record(context, query, record_id)
    if record is None:
        await _stale(query, context)
        return
    await query.answer()
    await support.open_draft(update, context, faq_question_id=record.id)


async def _own_record(
    context: Context, query: CallbackQuery, record_id: int | None
) -> FaqQuestion | None:
    """The answer record behind a button, if it exists and is this user's."""
    if record_id is None:
        return None
    async with context.bot_data.storage.transaction() as repos:
        record = await repos.faq.get(record_id)
    return record if record is not None and record.telegram_id == query.from_user.id else None


async def _stale(query: CallbackQuery, context: Context) -> None:
    await query.answer(views.faq_label(context.bot_data, locale_of(context), "stale"))


async def _send(update: Update, context: Context, view: views.View) -> None:
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(
        chat.id,
        view.text,
        parse_mode=ParseMode.HTML,
        reply_markup=view.keyboard,
        disable_web_page_preview=True,
    )


async def _edit(query: CallbackQuery, view: views.View) -> None:
    try:
        await query.edit_message_text(
            view.text,
            parse_mode=ParseMode.HTML,
            reply_markup=view.keyboard,
            disable_web_page_preview=True,
        )
    except BadRequest as exc:
        # A double tap asks for the view already shown; Telegram refuses the no-op edit.
        if "not modified" not in str(exc):
            raise


def _int(args: list[str]) -> int | None:
    return strict_int(args[0]) if args else None
