"""Approve asks once more: a confirmation message under the card with Confirm and Cancel,
which ends in a clear final state ("已通过", cancelled, or handled by someone else)."""

from __future__ import annotations

import contextlib

from telegram import CallbackQuery, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import Context
from bot.data import BotData
from handlers.review_views import staff_keyboard, staff_locale


async def ask_approval(query: CallbackQuery, context: Context, app_id: int) -> None:
    """Approve tapped on the card: say what approving does, with Confirm and Cancel."""
    data = context.bot_data
    async with data.storage.transaction() as repos:
        record = await repos.applications.get(app_id)
    if record is None or not isinstance(query.message, Message):
        return
    await query.message.reply_text(
        _text(data, record.number or "", record.answers.get("merchant_name", "")),
        parse_mode=ParseMode.HTML,
        reply_markup=staff_keyboard(
            data,
            [
                [
                    ("btn_approve_confirm", f"rv:{app_id}:approve_yes"),
                    ("btn_approve_cancel", f"rv:{app_id}:approve_no"),
                ]
            ],
        ),
        do_quote=True,
    )


async def finish(query: CallbackQuery, context: Context, app_id: int, final: str) -> None:
    """The confirmation message ends in its final state ('approved', 'cancelled', 'too_late')
    and loses its buttons."""
    data = context.bot_data
    async with data.storage.transaction() as repos:
        record = await repos.applications.get(app_id)
    if record is None or not isinstance(query.message, Message):
        return
    body = _text(
        data,
        record.number or "",
        record.answers.get("merchant_name", ""),
        final=final,
        who=query.from_user.first_name,
        state=data.renderer.label(staff_locale(data), f"state_{record.state}"),
    )
    with contextlib.suppress(BadRequest):  # tapped twice: already in that state
        await query.message.edit_text(body, parse_mode=ParseMode.HTML, reply_markup=None)


async def finish_rejection(query: CallbackQuery, context: Context, final: str) -> None:
    """The rejection's summary (or picker) ends with 'rejected', 'aborted' or 'too_late'."""
    data = context.bot_data
    if not isinstance(query.message, Message):
        return
    line = data.renderer.render(
        staff_locale(data), "review/reject_final", final=final, who=query.from_user.first_name
    )
    with contextlib.suppress(BadRequest):
        await query.message.edit_text(
            f"{query.message.text_html}\n\n{line}", parse_mode=ParseMode.HTML, reply_markup=None
        )


def _text(data: BotData, number: str, merchant_name: str, **final: str) -> str:
    values = {"final": "", "who": "", "state": "", **final}
    return data.renderer.render(
        staff_locale(data),
        "review/approve_confirm",
        number=number,
        merchant_name=merchant_name,
        **values,
    )
