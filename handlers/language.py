"""/language: switch between zh-CN and en, remembered per user."""

from __future__ import annotations

from telegram import BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.commands import bot_commands
from bot.context import Context
from bot.settings import LOCALES
from handlers.common import label, main_menu, text


async def choose_language(update: Update, context: Context) -> None:
    """Offer the two languages as buttons."""
    buttons = [
        InlineKeyboardButton(label(context, "lang_zh"), callback_data="lang:zh-CN"),
        InlineKeyboardButton(label(context, "lang_en"), callback_data="lang:en"),
    ]
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(
        chat.id,
        text(context, "language_prompt"),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([buttons]),
    )


async def language_chosen(update: Update, context: Context) -> None:
    """Store the choice, answer in the new language and localise this chat's command menu."""
    query = update.callback_query
    assert query is not None and query.data is not None
    locale = query.data.removeprefix("lang:")
    if locale not in LOCALES:
        await query.answer(label(context, "stale_button"))  # not a button we ever made
        return
    async with context.bot_data.storage.transaction() as repos:
        await repos.users.set_locale(query.from_user.id, locale)  # type: ignore[arg-type]
    context.user_data.locale = locale  # type: ignore[assignment,union-attr]
    await query.answer()
    await query.edit_message_text(text(context, "language_set"), parse_mode=ParseMode.HTML)
    if query.message is not None and query.message.chat.type == "private":
        await context.bot.set_my_commands(
            bot_commands(context.bot_data.renderer, locale),  # type: ignore[arg-type]
            scope=BotCommandScopeChat(query.message.chat.id),
        )
    await context.bot.send_message(
        query.from_user.id,
        text(context, "start", name=query.from_user.first_name),
        parse_mode=ParseMode.HTML,
        reply_markup=main_menu(context),
    )
