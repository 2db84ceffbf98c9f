"""Runs before every other handler: records the user and loads their locale."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import Context
from bot.i18n import locale_for


async def remember_user(update: Update, context: Context) -> None:
    """Record who wrote and pick their locale: their /language choice, else Telegram's.

    Edits of earlier messages stop here: answers, commands and questions come from new
    messages only (an edited answer would otherwise be taken for the next question's).
    """
    if update.edited_message or update.edited_channel_post or update.edited_business_message:
        raise ApplicationHandlerStop
    query = update.callback_query
    if query is not None and not query.data:
        # No button of ours has empty data (PTB's patterns would all match it): ignore it.
        await query.answer()
        raise ApplicationHandlerStop
    user = update.effective_user
    if user is None or user.is_bot or context.user_data is None:
        return
    settings = context.bot_data.settings
    async with context.bot_data.storage.transaction() as repos:
        stored = await repos.users.upsert_seen(
            user.id,
            first_name=user.first_name,
            username=user.username,
            language_code=user.language_code,
        )
    context.user_data.locale = stored.locale or locale_for(
        user.language_code, settings.default_locale
    )
