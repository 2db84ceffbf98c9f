"""The review chat's words on buttons and short texts, in the staff chats' language (the
deployment's default): labels and inline keyboards."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

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
