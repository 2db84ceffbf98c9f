"""A card drawn again on every staff chat it is posted in (review and ticket cards)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest

log = logging.getLogger(__name__)


async def edit_posted(
    bot: Bot,
    posted: Iterable[tuple[int, int]],
    text: str,
    keyboard: InlineKeyboardMarkup | None,
    *,
    what: str,
) -> None:
    """Edit each posted copy (chat id, message id) to `text` and `keyboard`. A copy already
    showing them is left as it is; one that cannot be edited (deleted, too old) is logged
    as `what` and the others are still edited."""
    for chat_id, message_id in posted:
        try:
            await bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
            )
        except BadRequest as exc:
            if "not modified" not in str(exc):
                log.warning("%s in %s not refreshed: %s", what, chat_id, exc)
