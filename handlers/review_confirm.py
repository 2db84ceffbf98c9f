"""What the reviewer who pressed a card's button sees: the answer to the press, Approve's
confirmation under the card (Confirm / Cancel, ending in a clear final state: "已通过",
cancelled, or handled by someone else), the rejection's field picker, and the card redrawn."""

from __future__ import annotations

import contextlib

from telegram import Bot, CallbackQuery, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.data import BotData
from bot.review.card import ReviewCard
from bot.review.service import CardPress
from bot.settings import Locale
from handlers.review_labels import picker_keyboard, staff_keyboard, staff_label, staff_locale
from handlers.review_views import redraw
from storage.applications import ApplicationRecord


async def show_press(
    bot: Bot,
    data: BotData,
    query: CallbackQuery,
    locale: Locale,
    card: ReviewCard | None,
    action: str,
    outcome: CardPress,
) -> None:
    """Answer a press on an application's card as it came out (`locale`: the presser's) and
    draw what it changed from the card's facts (read with the press): the confirmation, the
    picker, then the card."""
    if outcome == CardPress.OWN:
        # In the presser's own language: the alert is for them, not for the chat.
        own = data.renderer.plain_label(locale, "review_own_application")
        await query.answer(own, show_alert=True)
        return
    late = outcome == CardPress.TOO_LATE  # someone else acted first, or the card is old
    if late:
        await query.answer(staff_label(data, "review_too_late"), show_alert=True)
    else:
        await query.answer()
    if card is None:
        return
    if action == "approve_yes":
        await _finish(query, data, card.record, "too_late" if late else "approved")
    elif action == "approve_no":
        await _finish(query, data, card.record, "cancelled")
    elif action == "approve" and not late:
        await _ask(query, data, card.record)
    elif action == "reject" and not late:
        await _send_picker(bot, data, query, card.record)
    # Asking, cancelling and picking change nothing on the card.
    if late or action not in ("approve", "approve_no", "reject"):
        await redraw(bot, data, card)


async def _ask(query: CallbackQuery, data: BotData, record: ApplicationRecord) -> None:
    """Approve tapped on the card: say what approving does, with Confirm and Cancel."""
    if not isinstance(query.message, Message):
        return
    await query.message.reply_text(
        _text(data, record.number or "", record.answers.get("merchant_name", "")),
        parse_mode=ParseMode.HTML,
        reply_markup=staff_keyboard(
            data,
            [
                [
                    ("btn_approve_confirm", f"rv:{record.id}:approve_yes"),
                    ("btn_approve_cancel", f"rv:{record.id}:approve_no"),
                ]
            ],
        ),
        do_quote=True,
    )


async def _finish(
    query: CallbackQuery, data: BotData, record: ApplicationRecord, final: str
) -> None:
    """The confirmation message ends in its final state ('approved', 'cancelled', 'too_late')
    and loses its buttons."""
    if not isinstance(query.message, Message):
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


def _text(data: BotData, number: str, merchant_name: str, **final: str) -> str:
    values = {"final": "", "who": "", "state": "", **final}
    return data.renderer.render(
        staff_locale(data),
        "review/approve_confirm",
        number=number,
        merchant_name=merchant_name,
        **values,
    )


async def _send_picker(
    bot: Bot, data: BotData, query: CallbackQuery, record: ApplicationRecord
) -> None:
    assert query.message is not None
    await bot.send_message(
        query.message.chat.id,
        data.renderer.render(staff_locale(data), "review/reject_pick", number=record.number),
        parse_mode=ParseMode.HTML,
        reply_markup=picker_keyboard(data, record.id, []),
    )


async def finish_rejection(query: CallbackQuery, data: BotData, final: str) -> None:
    """The rejection's summary (or picker) ends with 'rejected', 'aborted' or 'too_late'."""
    if not isinstance(query.message, Message):
        return
    line = data.renderer.render(
        staff_locale(data), "review/reject_final", final=final, who=query.from_user.first_name
    )
    with contextlib.suppress(BadRequest):
        await query.message.edit_text(
            f"{query.message.text_html}\n\n{line}", parse_mode=ParseMode.HTML, reply_markup=None
        )
