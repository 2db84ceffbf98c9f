"""The privacy notice's buttons: I agree (record it, go on with the form), I don't agree.

handlers/privacy.py routes the pv:ok and pv:no presses here, in the private chat only.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from telegram import CallbackQuery, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot import privacy
from bot.context import Context
from bot.privacy import service
from handlers.application_views import ask, draft_of
from handlers.common import drop_keyboard, text
from handlers.privacy_views import consent_text, plabel, send_consent
from handlers.status_views import send_status


async def _show_agreed(query: CallbackQuery, context: Context, agreed_at: datetime) -> None:
    """The notice, edited to say when the merchant agreed (and without its buttons)."""
    with contextlib.suppress(TelegramError):
        await query.edit_message_text(consent_text(context, agreed_at), parse_mode=ParseMode.HTML)


async def agree(update: Update, context: Context, digest: str) -> None:
    """I agree: record version, text hash and time, then ask the question the form is at."""
    query = update.callback_query
    assert query is not None
    user = query.from_user
    body = consent_text(context)
    sha256 = privacy.notice_hash(body)
    if not digest or not sha256.startswith(digest):
        # The notice changed since it was shown (new version, retention, language).
        await query.answer(plabel(context, "notice_changed"))
        await drop_keyboard(query.message)
        await send_consent(user.id, context)
        return
    locale = context.user_data.locale if context.user_data else "zh-CN"
    async with context.bot_data.storage.transaction() as repos:
        consent, record = await service.agree(repos, user.id, locale=locale, text_sha256=sha256)
    # The answer and the edit at once: one Bot API round trip before the question, not two.
    await asyncio.gather(
        query.answer(plabel(context, "agreed")), _show_agreed(query, context, consent.agreed_at)
    )
    if record is not None:
        await ask(user.id, context, draft_of(record), consented=True)  # just recorded
    else:
        await send_status(user.id, context, None)


async def decline(update: Update, context: Context) -> None:
    """I don't agree: end the application (a draft is deleted), collect nothing."""
    query = update.callback_query
    assert query is not None
    user = query.from_user
    await query.answer()
    await drop_keyboard(query.message)
    async with context.bot_data.storage.transaction() as repos:
        orphans = await service.decline(repos, user.id)
    await service.delete_files(context.bot_data, orphans)
    await context.bot.send_message(
        user.id, text(context, "privacy/declined"), parse_mode=ParseMode.HTML
    )
