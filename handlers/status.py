"""/status and /cancel: where the merchant's application is, and the way out of it.

/cancel asks first: withdraw a submitted application (before shipping) or discard the draft;
the confirming buttons are the form's (handlers/onboarding.py).
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode

from bot.application.service import WITHDRAWABLE
from bot.context import Context
from handlers.application_views import (
    draft_of,
    send_cancel_confirm,
    send_draft_reminder,
    send_withdraw_confirm,
)
from handlers.common import text
from handlers.status_views import send_status


async def status_command(update: Update, context: Context) -> None:
    """/status and the status button."""
    user = update.effective_user
    assert user is not None
    if update.callback_query:
        await update.callback_query.answer()
    async with context.bot_data.storage.transaction() as repos:
        latest = await repos.applications.latest_of(user.id)
    if latest is not None and latest.state == "draft":
        await send_draft_reminder(user.id, context, draft_of(latest))
        return
    await send_status(user.id, context, latest)


async def cancel_command(update: Update, context: Context) -> None:
    """/cancel: confirm before discarding the draft."""
    user = update.effective_user
    assert user is not None
    async with context.bot_data.storage.transaction() as repos:
        draft = await repos.applications.draft_of(user.id)
        latest = None if draft else await repos.applications.latest_of(user.id)
    if draft is None and latest is not None and latest.state in WITHDRAWABLE:
        # Withdraw a submitted application (any state before shipping).
        await send_withdraw_confirm(user.id, context, latest)
        return
    if draft is None:
        await context.bot.send_message(
            user.id, text(context, "apply/nothing_to_cancel"), parse_mode=ParseMode.HTML
        )
        return
    await send_cancel_confirm(user.id, context, draft_of(draft))


__all__ = ["cancel_command", "status_command"]
