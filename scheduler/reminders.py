"""Reminders to staff: submissions waiting too long for review."""

from __future__ import annotations

from datetime import timedelta

from telegram.ext import ContextTypes

from bot import notify
from bot.data import BotData
from storage.db import utcnow


async def remind_waiting_reviews(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell the review chat, once a day per application, what has waited too long."""
    data: BotData = context.bot_data  # type: ignore[assignment]
    threshold = timedelta(hours=data.settings.review_reminder_hours)
    now = utcnow()
    async with data.storage.transaction() as repos:
        waiting = [
            a
            for a in await repos.applications.open_queue()
            if a.submitted_at and now - a.submitted_at > threshold
        ]
        for app in waiting:
            hours = int((now - app.submitted_at).total_seconds() // 3600)  # type: ignore[operator]
            await notify.to_staff_chat(
                repos,
                data.settings.review_chat_id,
                data.settings.default_locale,
                "review/reminder",
                dedupe=f"review-reminder:{app.id}:{now.date().isoformat()}",
                number=app.number,
                hours=hours,
            )
    if waiting:
        data.kick_outbox()
