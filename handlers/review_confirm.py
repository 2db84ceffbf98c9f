"""What the reviewer who pressed a card's button sees: the answer to the press, Approve's
confirmation under the card (Confirm / Cancel, ending in a clear final state: "已通过",
cancelled, or handled by someone else), the rejection's field picker, and the card redrawn."""

from __future__ import annotations

import contextlib

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.application import form
from bot.data import BotData
from bot.review.service import CardPress
from bot.settings import Locale
from handlers.review_views import (
    load_card,
    picker_label,
    redraw,
    staff_keyboard,
    staff_label,
    staff_locale,
)
from storage.applications import ApplicationRecord


async def show_press(
    bot: Bot,
    data: BotData,
    query: CallbackQuery,
    locale: Locale,
    app_id: int,
    action: str,
    outcome: CardPress,
) -> None:
    """Answer a press on application `app_id`'s card as it came out (`locale`: the presser's)
    and draw what it changed, from the card's facts read once: the confirmation, the picker
    or the card."""
    if outcome == CardPress.OWN:
        # In the presser's own language: the alert is for them, not for the chat.
        own = data.renderer.plain_label(locale, "review_own_application")
        await query.answer(own, show_alert=True)
        return
    card = await load_card(data, app_id)
    if outcome == CardPress.TOO_LATE:
        # Someone else acted first, or the card is out of date.
        await query.answer(staff_label(data, "review_too_late"), show_alert=True)
        if card is None:
            return
        if action == "approve_yes":
            await _finish(query, data, card.record, "too_late")
        await redraw(bot, data, card)
        return
    await query.answer()
    if card is None:
        return
    if action in ("approve", "approve_no"):
        await (
            _ask(query, data, card.record)
            if action == "approve"
            else _finish(query, data, card.record, "cancelled")
        )
        return
    if action == "approve_yes":
        await _finish(query, data, card.record, "approved")
    if action == "reject":
        await _send_picker(bot, data, query, card.record)
    else:
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


def picker_keyboard(data: BotData, app_id: int, chosen: list[str]) -> InlineKeyboardMarkup:
    """The rejection's field picker: a toggle per field (☑️ when chosen), Next and Abort."""
    buttons = [
        InlineKeyboardButton(
            ("☑️ " if q.key in chosen else "") + picker_label(data, q.key),
            callback_data=f"rj:{app_id}:t:{q.key}",
        )
        for q in form.QUESTIONS
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    navigation = (("btn_reject_next", "n"), ("btn_reject_abort", "a"))
    rows.append(
        [
            InlineKeyboardButton(staff_label(data, key), callback_data=f"rj:{app_id}:{action}")
            for key, action in navigation
        ]
    )
    return InlineKeyboardMarkup(rows)


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
