"""What staff see in the review chat: the application card (text and buttons, drawn in one
render from the card's facts), and what a press on its buttons shows: the answer, Approve's
confirmation under the card (Confirm / Cancel, ending in a clear final state: "已通过",
cancelled, or handled by someone else), the rejection's field picker, then the card redrawn.
A press is drawn from the facts the service read with it: nothing here reads storage."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from babel.dates import format_datetime
from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.application import form
from bot.data import BotData
from bot.i18n import Buttons
from bot.message_fit import fit
from bot.review.card import ReviewCard
from bot.review.service import CardPress, Pressed
from bot.settings import Locale, Settings
from handlers.posted import edit_posted
from storage.readings import CHECKS


def message_link(chat_id: int, message_id: int) -> str | None:
    """https://t.me/c/… for a message in a supergroup (ids -100…); None elsewhere."""
    text = str(chat_id)
    if not text.startswith("-100"):
        return None
    return f"https://t.me/c/{text[4:]}/{message_id}"


def card_values(settings: Settings, card: ReviewCard) -> tuple[dict, Buttons]:
    """The card's template values (review/card, labels named there) and its buttons (Take /
    Approve / Reject while the application waits for a decision), as label keys: no text."""
    record, readings, chat_id = card.record, card.readings, settings.review_chat_id
    changed = set(record.flags) if card.changed is None else card.changed
    album = card.album if chat_id is not None else None
    submitted = record.submitted_at or record.created_at
    actions = [("btn_take", "take")] if record.state == "submitted" else []
    if record.state in ("submitted", "under_review"):
        actions += [("btn_approve", "approve"), ("btn_reject", "reject")]
    values = {
        "number": record.number or "",
        "state": record.state,
        "reviewer": card.reviewer,
        "submitted_at": format_datetime(
            submitted, "yyyy-MM-dd HH:mm", tzinfo=settings.zone, locale="zh_CN"
        ),
        "rows": card.rows,
        "checks": [f"check_{item}_{readings[item]}" for item in CHECKS if item in readings],
        "resubmitted": card.resubmitted,
        "duplicates": card.duplicates,
        "language": card.merchant_locale.replace("-", "_"),
        "flags": [
            # Asked again and answered the same: the reviewer should look twice.
            {"field": f, "reason": r, "unchanged": card.changed is not None and f not in changed}
            for f, r in record.flags.items()
        ],
        "merchant_no": record.merchant_no,
        "fees": card.fees,
        "album": {"slots": album.slots, "link": message_link(chat_id, album.message_id)}
        if album and chat_id is not None
        else None,
    }
    return values, [[(key, f"rv:{record.id}:{action}") for key, action in actions]]


def markup(rows: Buttons) -> InlineKeyboardMarkup | None:
    """Inline keyboard from rows of (label as shown, callback data); None without buttons."""
    buttons = [[InlineKeyboardButton(t, callback_data=cb) for t, cb in row] for row in rows]
    return InlineKeyboardMarkup(buttons) if any(buttons) else None


def card_view(data: BotData, card: ReviewCard) -> tuple[str, InlineKeyboardMarkup | None]:
    """The card's HTML text and its buttons, in one render of review/card; the text cut to fit
    one message as a last resort (answers are bounded, but every reason given when many
    fields were sent back can be long)."""
    values, buttons = card_values(data.settings, card)
    text, labelled = data.renderer.view(
        data.settings.default_locale, "review/card", buttons, **values
    )
    return fit(text), markup(labelled)


async def redraw(bot: Bot, data: BotData, card: ReviewCard) -> None:
    """Draw the card's facts on every card already posted."""
    text, keyboard = card_view(data, card)
    what = f"card of application {card.record.id}"
    await edit_posted(bot, card.posted, text, keyboard, what=what)


# --- a press on the card -------------------------------------------------------------------


@dataclass(frozen=True)
class PressView:
    """Everything a press shows, drawn: the answer, Approve's confirmation, the rejection's
    field picker, the card as it now stands."""

    alert: str | None = None  # the answer to the press as an alert; None: a silent answer
    confirmation: str | None = None  # Approve's confirmation, asked or in its final state
    confirm_keyboard: InlineKeyboardMarkup | None = None  # asked: Confirm / Cancel
    final: bool = False  # the confirmation message is edited into its final state
    picker: tuple[str, InlineKeyboardMarkup] | None = None  # Reject: the field picker to send
    card: tuple[str, InlineKeyboardMarkup | None] | None = None  # redrawn where it is posted


async def show_press(
    bot: Bot, data: BotData, query: CallbackQuery, locale: Locale, pressed: Pressed, action: str
) -> None:
    """Answer a press on an application's card as it came out (`locale`: the presser's) and
    show what it changed, drawn in one pass from the card's facts read with the press: the
    confirmation, the picker, then the card on every chat it is posted in."""
    view = _press_view(data, locale, pressed, action, query.from_user.first_name)
    if view.alert is not None:
        await query.answer(view.alert, show_alert=True)
    else:
        await query.answer()
    message = query.message if isinstance(query.message, Message) else None
    if view.confirmation is not None and message is not None:
        if view.final:  # and without buttons
            with contextlib.suppress(BadRequest):  # tapped twice: already in that state
                await message.edit_text(
                    view.confirmation, parse_mode=ParseMode.HTML, reply_markup=None
                )
        else:
            await message.reply_text(
                view.confirmation,
                parse_mode=ParseMode.HTML,
                reply_markup=view.confirm_keyboard,
                do_quote=True,
            )
    if view.picker is not None:
        assert query.message is not None
        text, keyboard = view.picker
        await bot.send_message(
            query.message.chat.id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard
        )
    if view.card is not None and pressed.card is not None:
        text, keyboard = view.card
        what = f"card of application {pressed.card.record.id}"
        await edit_posted(bot, pressed.card.posted, text, keyboard, what=what)


def _press_view(
    data: BotData, locale: Locale, pressed: Pressed, action: str, who: str
) -> PressView:
    """What a press shows: first the values it needs (no text), then every text at once."""
    renderer, staff = data.renderer, data.settings.default_locale
    card, outcome = pressed.card, pressed.outcome
    late = outcome == CardPress.TOO_LATE  # someone else acted first, or the card is old
    # Asking, cancelling and picking change nothing on the card.
    redrawn = card is not None and (late or action not in ("approve", "approve_no", "reject"))
    values, buttons = card_values(data.settings, card) if card and redrawn else ({}, [])
    picking = card is not None and outcome == CardPress.DONE and action == "reject"
    picker = picker_keyboard(data, card.record.id, []) if card and picking else None
    if outcome == CardPress.OWN:
        # In the presser's own language: the alert is for them, not for the chat.
        return PressView(alert=renderer.plain_label(locale, "review_own_application"))
    alert = renderer.plain_label(staff, "review_too_late") if late else None
    if card is None:
        return PressView(alert=alert)
    record = card.record
    named = {
        "number": record.number or "",
        "merchant_name": record.answers.get("merchant_name", ""),
    }
    confirmation, asked, final = None, [], action in ("approve_yes", "approve_no")
    if final:
        ending = "cancelled" if action == "approve_no" else "too_late" if late else "approved"
        state = renderer.label(staff, f"state_{record.state}")
        confirmation = renderer.render(
            staff, "review/approve_confirm", final=ending, who=who, state=state, **named
        )
    elif action == "approve" and not late:
        confirm = [
            [
                ("btn_approve_confirm", f"rv:{record.id}:approve_yes"),
                ("btn_approve_cancel", f"rv:{record.id}:approve_no"),
            ]
        ]
        confirmation, asked = renderer.view(
            staff, "review/approve_confirm", confirm, final="", who="", state="", **named
        )
    picked = renderer.render(staff, "review/reject_pick", number=record.number) if picker else ""
    text, labelled = renderer.view(staff, "review/card", buttons, **values) if redrawn else ("", [])
    confirm_keyboard, card_keyboard = (
        InlineKeyboardMarkup(
            [[InlineKeyboardButton(t, callback_data=cb) for t, cb in row] for row in rows]
        )
        if any(rows)
        else None
        for rows in (asked, labelled)
    )
    return PressView(
        alert,
        confirmation,
        confirm_keyboard,
        final,
        (picked, picker) if picker is not None else None,
        (fit(text), card_keyboard) if redrawn else None,
    )


def picker_label(data: BotData, key: str) -> str:
    """The field's full name if two of them fit a phone's row (~10 CJK or ~15 Latin
    characters a button), else its short name; the prompts and summary use the full one."""
    staff = data.settings.default_locale
    full = data.renderer.plain_label(staff, f"field_{key}")
    if len(full) <= (10 if any("\u4e00" <= c <= "\u9fff" for c in full) else 15):
        return full
    return data.renderer.plain_label(staff, f"short_{key}")


def picker_keyboard(data: BotData, app_id: int, chosen: list[str]) -> InlineKeyboardMarkup:
    """The rejection's field picker: a toggle per field (☑️ when chosen), Next and Abort."""
    staff = data.settings.default_locale
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
            InlineKeyboardButton(
                data.renderer.plain_label(staff, key), callback_data=f"rj:{app_id}:{action}"
            )
            for key, action in navigation
        ]
    )
    return InlineKeyboardMarkup(rows)


async def finish_rejection(query: CallbackQuery, data: BotData, final: str) -> None:
    """The rejection's summary (or picker) ends with 'rejected', 'aborted' or 'too_late'."""
    if not isinstance(query.message, Message):
        return
    line = data.renderer.render(
        data.settings.default_locale,
        "review/reject_final",
        final=final,
        who=query.from_user.first_name,
    )
    with contextlib.suppress(BadRequest):
        await query.message.edit_text(
            f"{query.message.text_html}\n\n{line}", parse_mode=ParseMode.HTML, reply_markup=None
        )
