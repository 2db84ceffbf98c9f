"""The review chat's words on buttons and short texts, in the staff chats' language (the
deployment's default): labels, inline keyboards and the rejection picker's field names."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.application import form
from bot.data import BotData
from bot.notify import Buttons, button_rows
from bot.settings import Locale
from handlers.common import keyboard


def staff_locale(data: BotData) -> Locale:
    """Staff chats use the deployment's default language."""
    return data.settings.default_locale


def staff_label(data: BotData, key: str, **values: object) -> str:
    """A button label or short text for the staff chats."""
    return data.renderer.plain_label(staff_locale(data), key, **values)


def staff_keyboard(data: BotData, rows: Buttons) -> InlineKeyboardMarkup | None:
    """Inline buttons labelled in the staff chats' language: rows of (label key, data)."""
    return keyboard(button_rows(data, staff_locale(data), rows))


def picker_label(data: BotData, key: str) -> str:
    """The field's full name if two of them fit a phone's row (~10 CJK or ~15 Latin
    characters a button), else its short name; the prompts and summary use the full one."""
    full = staff_label(data, f"field_{key}")
    if len(full) <= (10 if any("\u4e00" <= c <= "\u9fff" for c in full) else 15):
        return full
    return staff_label(data, f"short_{key}")


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
