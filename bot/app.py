"""build_application: the ONE place handlers, jobs, error handler and lifecycle hooks are wired."""

from __future__ import annotations

import asyncio
import logging

from telegram import BotCommandScopeDefault, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.commands import bot_commands
from bot.context import CONTEXT_TYPES
from bot.data import BotData
from bot.delivery import DeliveryPolicy
from bot.documents import DocumentStore
from bot.i18n import Renderer
from bot.keys import keys_for
from bot.ocr import DocumentReader
from bot.private_files import private_dir, private_tree
from bot.settings import LOCALES, Settings
from bot.transport import AiohttpRequest
from faq.knowledge import load_knowledge_base
from faq.retrieval import FaqIndex
from handlers import (
    agreement,
    errors,
    faq,
    fulfilment,
    language,
    onboarding,
    privacy,
    report_views,
    reports,
    review,
    senders,
    staff,
    start,
    status,
    support,
    support_card,
    support_staff,
    throttle,
    users,
)
from scheduler import register_jobs
from scheduler.outbox import OutboxSender
from storage import Storage

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "7000000001:sandbox-token-not-a-secret-aaaaaaaaaaaa"


def build_application(settings: Settings, *, renderer: Renderer | None = None) -> Application:
    """Build the bot: services in bot_data, handlers in order, lifecycle hooks."""
    # DATA_DIR holds the key file, documents and usually the database: the bot's alone (the
    # database files are seen to by Storage, documents written earlier are tightened here).
    private_tree(private_dir(settings.data_dir) / "documents")
    keys = keys_for(settings)
    storage = Storage(settings.database, keys)

    async def mark_unreachable(chat_id: int) -> None:
        async with storage.transaction() as repos:
            await repos.users.mark_unreachable(chat_id)
        # Their next message must clear the mark again: don't skip writing their row.
        users.forget_profile(app.user_data.get(chat_id))
        log.info("chat %s blocked the bot; marked unreachable", chat_id)

    token = settings.bot_token.get_secret_value() if not settings.sandbox else SANDBOX_TOKEN
    builder = (
        Application.builder()
        .token(token)
        .context_types(CONTEXT_TYPES)
        .rate_limiter(DeliveryPolicy(on_forbidden=mark_unreachable))
        .request(AiohttpRequest(16, read_timeout=15, write_timeout=30))
        .get_updates_request(AiohttpRequest(read_timeout=settings.poll_timeout_seconds + 10))
        .updater(None)  # bot.polling.DurablePoller confirms updates only once handled
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url)
    if settings.telegram_file_base_url:
        builder = builder.base_file_url(settings.telegram_file_base_url)
    app = builder.build()

    data: BotData = app.bot_data
    data.settings = settings
    data.storage = storage
    data.renderer = renderer or Renderer()
    data.documents = DocumentStore(settings.data_dir / "documents", keys.cipher)
    data.reader = DocumentReader(
        enabled=settings.ocr_enabled,
        workers=settings.ocr_workers,
        limit_seconds=settings.ocr_seconds_per_image,
    )
    data.outbox = OutboxSender()
    # The outbox knows message kinds; how each is sent lives with its views in handlers/.
    senders.register_senders(data.outbox)

    _add_handlers(app)
    register_jobs(app, send_daily=report_views.send_daily)
    return app


def _add_handlers(app: Application) -> None:
    # group -2 runs first for every update: a flood is dropped before it costs anything.
    app.add_handler(TypeHandler(Update, throttle.Throttle(app.bot_data.settings)), group=-2)
    # group -1 next: record the user and load their locale.
    app.add_handler(TypeHandler(Update, users.remember_user), group=-1)

    # order matters: commands and buttons before the free-text catch-all.
    app.add_handler(CommandHandler("start", start.start))
    app.add_handler(CommandHandler("help", start.help_command))
    app.add_handler(CommandHandler("language", language.choose_language))
    app.add_handler(CommandHandler("apply", onboarding.apply_command, filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("status", status.status_command, filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("cancel", status.cancel_command, filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("faq", faq.faq_command))
    app.add_handler(CommandHandler("today", reports.today_command, filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("summary", reports.summary_command, filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("week", reports.week_command, filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("details", reports.details_command, filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("settings", reports.settings_command, filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("code", fulfilment.code_command, filters.ChatType.PRIVATE))
    app.add_handler(
        CommandHandler("agreement", agreement.agreement_command, filters.ChatType.PRIVATE)
    )
    app.add_handler(
        CommandHandler("activate", fulfilment.activate_command, filters.ChatType.PRIVATE)
    )
    # Data rights: any chat, but they answer (with data) only in the private one.
    app.add_handler(CommandHandler("privacy", privacy.privacy_command))
    app.add_handler(CommandHandler("mydata", privacy.mydata_command))
    app.add_handler(CommandHandler("deletemydata", privacy.deletemydata_command))
    app.add_handler(CallbackQueryHandler(privacy.on_button, pattern=r"^pv:"))
    # Staff commands work anywhere; every one checks the sender's role itself.
    app.add_handler(CommandHandler("staff", staff.staff_command))
    app.add_handler(CommandHandler("queue", staff.queue_command))
    app.add_handler(CommandHandler("ship", staff.ship_command))
    app.add_handler(CommandHandler("revoke", staff.revoke_command))
    app.add_handler(CommandHandler("support", support.support_command, filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("tickets", support_staff.tickets_command))
    app.add_handler(CommandHandler("reply", support_staff.reply_command))
    app.add_handler(CommandHandler("take", support_staff.take_command))
    app.add_handler(CommandHandler("pending", support_staff.pending_command))
    app.add_handler(CommandHandler("resolve", support_staff.resolve_command))
    app.add_handler(CommandHandler("escalate", support_staff.escalate_command))
    app.add_handler(CommandHandler("note", support_staff.note_command))
    app.add_handler(CallbackQueryHandler(support.on_button, pattern=r"^tk:"))
    app.add_handler(CallbackQueryHandler(support_card.on_card_button, pattern=r"^ts:"))
    app.add_handler(CallbackQueryHandler(review.on_card_button, pattern=r"^rv:\d+:\w+$"))
    app.add_handler(CallbackQueryHandler(review.on_reject_button, pattern=r"^rj:"))
    app.add_handler(CallbackQueryHandler(agreement.on_sign, pattern=r"^ag:"))
    app.add_handler(CallbackQueryHandler(agreement.on_sign_confirm, pattern=r"^agc:"))
    app.add_handler(CallbackQueryHandler(agreement.on_sign_later, pattern=r"^agx:"))
    # order matters: a reply in a group to a ticket's message answers the merchant (text,
    # photo, document); replies to anything else go on to review.on_reason_reply from there.
    app.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & filters.REPLY & ~filters.COMMAND,
            support_staff.on_group_reply,
        )
    )
    # A reviewer's reply to a "reason for …" prompt, in a group.
    app.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & filters.REPLY & filters.TEXT & ~filters.COMMAND,
            review.on_reason_reply,
        )
    )
    # A reviewer's reason typed without replying to the prompt, in the review chat.
    app.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & filters.TEXT & ~filters.REPLY & ~filters.COMMAND,
            review.on_group_text,
        )
    )
    app.add_handler(CallbackQueryHandler(onboarding.on_button, pattern=r"^ap:"))
    app.add_handler(CallbackQueryHandler(faq.on_button, pattern=r"^fq:"))
    app.add_handler(CallbackQueryHandler(reports.on_button, pattern=r"^rp:"))
    app.add_handler(CallbackQueryHandler(language.language_chosen, pattern=r"^lang:"))
    app.add_handler(CallbackQueryHandler(start.menu_button, pattern=r"^menu:"))
    # order matters: after every button handler, the answer to buttons none of them claims.
    app.add_handler(CallbackQueryHandler(start.unknown_button))
    app.add_handler(MessageHandler(filters.COMMAND, start.unknown_command))
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, start.private_message)
    )
    app.add_error_handler(errors.on_error)


async def _post_init(app: Application) -> None:
    data: BotData = app.bot_data
    await data.storage.open()
    async with data.storage.transaction() as repos:
        # Identifiers stored before the duplicate check existed get their blind index.
        if indexed := await repos.checks.backfill():
            log.info("indexed %d identifying answers for duplicate checks", indexed)
    # jieba's first dictionary load makes the build take ~0.5 s: once, off the event loop.
    data.knowledge = load_knowledge_base()
    data.faq = await asyncio.to_thread(FaqIndex.build, data.knowledge)
    # The default menu is zh-CN; Telegram shows the "en" one to English-language clients.
    for locale in LOCALES:
        await app.bot.set_my_commands(
            bot_commands(data.renderer, locale),
            scope=BotCommandScopeDefault(),
            language_code=None if locale == data.settings.default_locale else locale[:2],
        )
    log.info("bot @%s ready", app.bot.username)


async def _post_shutdown(app: Application) -> None:
    data: BotData = app.bot_data
    if data.reader is not None:
        await asyncio.to_thread(data.reader.close)
    await data.storage.close()
