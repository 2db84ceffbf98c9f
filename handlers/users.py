"""Runs before every other handler: records the user and loads their locale."""

from __future__ import annotations

import time

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import Context, UserData
from bot.notify import locale_for

# How long an unchanged profile goes without being written again (it refreshes updated_at and
# clears unreachable_at, which forget_profile() also forces when a user blocks the bot).
PROFILE_REFRESH = 600.0


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
    data = context.user_data
    profile = (user.first_name, user.username, user.language_code)
    if data.profile == profile and time.monotonic() - data.profile_at < PROFILE_REFRESH:
        return  # known, unchanged, written recently: no database round trip for this update
    async with context.bot_data.storage.autocommit() as repos:
        stored = await repos.users.upsert_seen(
            user.id,
            first_name=user.first_name,
            username=user.username,
            language_code=user.language_code,
        )
    data.locale = stored.locale or locale_for(user.language_code, settings.default_locale)
    data.profile, data.profile_at = profile, time.monotonic()


def forget_profile(user_data: UserData | None) -> None:
    """Make the next update write the user row again (e.g. after they blocked the bot)."""
    if user_data is not None:
        user_data.profile = None
