"""The global error handler: a polite answer in the user's language, details in the log."""

from __future__ import annotations

import contextlib
import logging
import uuid

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError

from bot.context import Context
from handlers.common import text

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    """Log the failure with a trace id and tell the user, who never sees a traceback."""
    trace_id = uuid.uuid4().hex[:8]
    error = context.error
    log.error(
        "trace=%s update=%s failed: %r",
        trace_id,
        update.update_id if isinstance(update, Update) else None,
        error,
        exc_info=error,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if isinstance(error, Forbidden):
        return  # the user blocked the bot; delivery already marked them unreachable
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    try:
        await context.bot.send_message(
            update.effective_chat.id,
            text(context, "error", trace_id=trace_id),
            parse_mode=ParseMode.HTML,
        )
    except TelegramError as exc:
        log.warning("trace=%s could not tell the user about the failure: %r", trace_id, exc)
