"""Running the bot: against Telegram (polling) or inside the local sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.i18n import Renderer
from bot.settings import Settings

log = logging.getLogger(__name__)

SANDBOX_MERCHANT = (10001, "小王")
SANDBOX_STAFF = (20001, "审核员 李")
SANDBOX_REVIEW_CHAT = -1001000000001
SANDBOX_SUPPORT_CHAT = -1001000000002


async def start_bot(settings: Settings, *, renderer: Renderer | None = None) -> Application:
    """Initialise, start and begin polling; the caller must stop_bot() it."""
    app = build_application(settings, renderer=renderer)
    await app.initialize()
    # run_polling() would call these hooks; we drive the lifecycle ourselves so the sandbox,
    # the tests and production share one event loop and one start/stop path.
    if app.post_init:
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(
        timeout=settings.poll_timeout_seconds, allowed_updates=Update.ALL_TYPES
    )
    return app


async def stop_bot(app: Application) -> None:
    """Stop polling and shut down cleanly (pending handler tasks finish first)."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    if app.post_shutdown:
        await app.post_shutdown(app)


async def _wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def run(settings: Settings) -> None:
    """Run until Ctrl-C: against Telegram with a token, else in the local sandbox."""
    if not settings.sandbox:
        app = await start_bot(settings)
        print("merchant-bot is running (polling Telegram). Press Ctrl-C to stop.", flush=True)
        try:
            await _wait_for_stop_signal()
        finally:
            await stop_bot(app)
        return

    from bot.sandbox.server import BotApiServer

    server = BotApiServer(settings.sandbox_host, settings.sandbox_port)
    await server.start()
    server.add_user(SANDBOX_MERCHANT[0], SANDBOX_MERCHANT[1], language_code="zh-hans")
    server.add_user(SANDBOX_STAFF[0], SANDBOX_STAFF[1], language_code="zh-hans")
    review_chat = settings.review_chat_id or SANDBOX_REVIEW_CHAT
    support_chat = settings.support_chat_id or SANDBOX_SUPPORT_CHAT
    server.add_group(review_chat, "审核群 Review")
    server.add_group(support_chat, "客服群 Support")
    settings = settings.model_copy(
        update={
            "telegram_base_url": server.base_url,
            "telegram_file_base_url": server.file_base_url,
            "review_chat_id": review_chat,
            "support_chat_id": support_chat,
            "admin_ids": settings.admin_ids or [SANDBOX_STAFF[0]],
        }
    )
    app = await start_bot(settings)
    print(
        "merchant-bot sandbox is running:\n"
        f"  local Bot API server  {server.base_url}<token>/<method>\n"
        f"  database              {settings.database_path}\n"
        f"  chat page             {server.url}\n"
        "Open the chat page in a browser and send /start. Press Ctrl-C to stop.",
        flush=True,
    )
    try:
        await _wait_for_stop_signal()
    finally:
        print("stopping…", flush=True)
        await stop_bot(app)
        await server.stop()
