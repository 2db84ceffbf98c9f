"""/start, /help, the main menu and whatever arrives that no other flow claims."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from handlers import faq, fulfilment, onboarding, reports, status, support
from handlers.common import MENU_ITEMS, label, main_menu, reply


async def start(update: Update, context: Context) -> None:
    """Greet the merchant and show the main menu."""
    user = update.effective_user
    name = user.first_name if user else ""
    await reply(update, context, "start", name=name, keyboard=main_menu(context))


async def help_command(update: Update, context: Context) -> None:
    """List the commands: the merchant's in private, the staff commands of a staff group."""
    chat = update.effective_chat
    if chat is not None and chat.type != "private":
        settings = context.bot_data.settings
        support_chats = {settings.support_chat_id, settings.escalation_chat_id} - {None}
        await reply(
            update,
            context,
            "staff/help",
            review=chat.id == settings.review_chat_id,
            support=chat.id in support_chats,
        )
        return
    await reply(update, context, "help", keyboard=main_menu(context))


async def menu_button(update: Update, context: Context) -> None:
    """A main-menu button whose flow has not landed yet: say so, kindly."""
    query = update.callback_query
    assert query is not None and query.data is not None
    item = query.data.removeprefix("menu:")
    if item not in (*MENU_ITEMS, "back"):
        await query.answer(label(context, "stale_button"))  # not a button we ever made
        return
    if item not in ("apply", "status", "code"):
        await query.answer()
    if item == "apply":
        await onboarding.apply_command(update, context)
        return
    if item == "status":
        await status.status_command(update, context)
        return
    if item == "code":
        await fulfilment.code_command(update, context)
        return
    if item == "faq":
        await faq.faq_command(update, context)
        return
    if item == "summary":
        await reports.report_menu(update, context)
        return
    if item == "support":
        await support.support_command(update, context)
        return
    if item == "back":
        await reply(
            update, context, "start", name=query.from_user.first_name, keyboard=main_menu(context)
        )
        return
    if item in MENU_ITEMS:
        await reply(update, context, "coming_soon", feature=label(context, f"menu_{item}"))


async def unknown_button(update: Update, context: Context) -> None:
    """A button no handler claims (forged, or from a release long gone): say it expired."""
    query = update.callback_query
    assert query is not None
    await query.answer(label(context, "stale_button"))


async def unknown_command(update: Update, context: Context) -> None:
    """A command no handler knows."""
    message = update.effective_message
    command = (message.text or "").split()[0] if message else ""
    await reply(update, context, "unknown_command", command=command, keyboard=main_menu(context))


async def private_message(update: Update, context: Context) -> None:
    """Anything but a command in the private chat: a form answer if a form runs, else a question."""
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    # order matters: a running form claims the text before the FAQ reads it as a question.
    if await onboarding.on_message(update, context):
        return
    if await fulfilment.in_activation(context, user.id):
        await fulfilment.on_activation_text(update, context)
        return
    # order matters: an open ticket (or one being described) takes the merchant's words,
    # photos and documents before the FAQ reads them as a question.
    if await support.take_message(update, context):
        return
    if message.text:
        await faq.answer_question(update, context)
        return
    await reply(update, context, "not_understood", keyboard=main_menu(context))
