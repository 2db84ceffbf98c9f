"""Shared pieces for handlers: rendering a template into a reply, the main menu keyboard."""

from __future__ import annotations

import contextlib
import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.context import Context
from bot.settings import Locale

MENU_ITEMS: tuple[str, ...] = ("apply", "status", "code", "faq", "support", "summary", "settings")


def keyboard(rows: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    """Inline keyboard from the JSON stored in an outbox payload (see bot.notify.button_rows)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["text"], callback_data=b["data"]) for b in row] for row in rows]
    )


def locale_of(context: Context) -> Locale:
    """The locale to answer this user in (set by handlers.users.remember_user)."""
    return (
        context.user_data.locale if context.user_data else context.bot_data.settings.default_locale
    )


def text(context: Context, name: str, /, **values: object) -> str:
    """Render message template `name` in the user's locale."""
    return context.bot_data.renderer.render(locale_of(context), name, **values)


def label(context: Context, key: str, /, **values: object) -> str:
    """A plain-text label (for buttons) in the user's locale."""
    return context.bot_data.renderer.plain_label(locale_of(context), key, **values)


def main_menu(context: Context) -> InlineKeyboardMarkup:
    """The main menu: two buttons a row, as thumbs reach them on a phone."""
    buttons = [
        InlineKeyboardButton(label(context, f"menu_{item}"), callback_data=f"menu:{item}")
        for item in MENU_ITEMS
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup(rows)


async def reply(
    update: Update,
    context: Context,
    name: str,
    /,
    *,
    keyboard: InlineKeyboardMarkup | None = None,
    **values: object,
) -> Message:
    """Send template `name` to the chat the update came from, as Telegram HTML."""
    chat = update.effective_chat
    assert chat is not None
    return await context.bot.send_message(
        chat.id,
        text(context, name, **values),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
        disable_web_page_preview=True,
    )


async def drop_keyboard(message: object) -> None:
    """Remove the buttons of a message the user has acted on (old buttons only confuse);
    a failure here (the message is too old to edit) does not matter."""
    if isinstance(message, Message) and message.reply_markup:
        with contextlib.suppress(TelegramError):
            await message.edit_reply_markup(None)


async def settle_question(message: object, pressed: str | None) -> None:
    """Edit a question the user has answered with a button into its final form: its text
    with the pressed button's label under it, and no buttons (one Bot API call, as dropping
    the keyboard alone would be); a failure here does not matter."""
    if not isinstance(message, Message) or not message.reply_markup:
        return
    chosen = next(
        (
            b.text
            for row in message.reply_markup.inline_keyboard
            for b in row
            if b.callback_data == pressed
        ),
        None,
    )
    if chosen is None or not message.text:
        await drop_keyboard(message)
        return
    with contextlib.suppress(TelegramError):
        await message.edit_text(
            f"{message.text_html}\n\n✓ {html.escape(chosen)}",
            parse_mode=ParseMode.HTML,
            reply_markup=None,
            disable_web_page_preview=True,
        )
