"""The bots the benchmarks measure, each in its own process polling a local Bot API server.

    python -m bench.bots merchant BASE_URL WORKDIR   # the real bot, as bot.runner starts it
    python -m bench.bots echo BASE_URL               # a bare python-telegram-bot echo bot

Both use the server's bot token from $BOT_TOKEN (the sandbox answers no other); the merchant
bot keeps its data on PostgreSQL when $DATABASE_URL is set. Either prints "ready" once it
polls, runs until SIGTERM or SIGINT, then prints one JSON line: {"peak_rss_mb": ...}.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import resource
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.logs import configure_logging

if TYPE_CHECKING:
    from bot.settings import Settings

BENCH_REVIEW_CHAT = -1001000000001
BENCH_SUPPORT_CHAT = -1001000000002
# A throwaway database needs no secret key; a fixed one lets this process and the bench share it.
BENCH_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
# The echo bot's replies carry one button, so the simulated merchants have something to press.
ECHO_KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("👍", callback_data="echo")]])


def peak_rss_mb() -> float:
    """This process's peak resident set size: VmHWM on Linux, since ru_maxrss keeps the
    parent's peak across fork and exec (these bots are the bench's children)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def merchant_settings(
    base_url: str, workdir: Path, token: str | None = None, database_url: str | None = None
) -> Settings:
    """The bot's settings for a bench: its own database and data folder, the bench's groups;
    database_url puts the data on PostgreSQL instead of a SQLite file in workdir."""
    from bot.settings import Settings

    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=token,
        telegram_base_url=f"{base_url}/bot",
        telegram_file_base_url=f"{base_url}/file/bot",
        database_path=workdir / "bot.sqlite3",
        database_url=database_url,
        data_dir=workdir / "data",
        review_chat_id=BENCH_REVIEW_CHAT,
        support_chat_id=BENCH_SUPPORT_CHAT,
        encryption_key=BENCH_KEY,
        poll_timeout_seconds=1.0,
        # The simulated merchants answer the form without OCR prefill (photos first), unless
        # bench/ocr_load.py measures it (BENCH_OCR=1).
        ocr_enabled=os.environ.get("BENCH_OCR") == "1",
    )


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def serve_merchant_bot(base_url: str, workdir: Path, token: str) -> None:
    """The real bot, started and stopped by the same functions `merchant-bot run` uses."""
    # Imported here: the echo bot's memory must not include the merchant bot's modules.
    from bot.runner import start_bot, stop_bot

    settings = merchant_settings(base_url, workdir, token, os.environ.get("DATABASE_URL") or None)
    app = await start_bot(settings)
    # Telegram's flood limits (AIORateLimiter: 30 messages/s, 20 per minute per group) would
    # measure Telegram, not the bot; the echo bot has none either. Private, but a bench.
    limiter = app.bot.rate_limiter
    limiter._base_limiter = None  # type: ignore[union-attr]
    limiter._group_max_rate = 0  # type: ignore[union-attr]
    print("ready", flush=True)
    try:
        await _until_signalled()
    finally:
        await stop_bot(app)


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo the text (or say what arrived), with one button."""
    message = update.effective_message
    assert message is not None
    await message.reply_text(message.text or "📎", reply_markup=ECHO_KEYBOARD)


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the button press."""
    assert update.callback_query is not None
    await update.callback_query.answer()


async def serve_echo_bot(base_url: str, token: str) -> None:
    """The framework's floor: a minimal Application with PTB's defaults."""
    app = (
        Application.builder()
        .token(token)
        .base_url(f"{base_url}/bot")
        .base_file_url(f"{base_url}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, _echo))
    app.add_handler(CallbackQueryHandler(_answer))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=1)
        print("ready", flush=True)
        try:
            await _until_signalled()
        finally:
            await app.updater.stop()
            await app.stop()


def main(argv: list[str] | None = None) -> None:
    """Run one bot until signalled, then print its peak RSS as JSON."""
    args = sys.argv[1:] if argv is None else argv
    kind, base_url = args[0], args[1].rstrip("/")
    token = os.environ["BOT_TOKEN"]
    configure_logging("INFO")  # as in production; the parent sends stderr to a file
    profile = None
    if os.environ.get("BENCH_PROFILE") and kind == "merchant":
        import cProfile

        profile = cProfile.Profile(time.thread_time)  # the event loop's CPU, not waits
        profile.enable()
    with contextlib.suppress(KeyboardInterrupt):
        if kind == "merchant":
            asyncio.run(serve_merchant_bot(base_url, Path(args[2]), token))
        elif kind == "echo":
            asyncio.run(serve_echo_bot(base_url, token))
        else:
            raise SystemExit(f"unknown bot {kind!r}: merchant or echo")
    if profile is not None:  # BENCH_PROFILE=DIR: where CPU went, one file per process
        profile.disable()
        profile.dump_stats(Path(os.environ["BENCH_PROFILE"]) / f"merchant-{os.getpid()}.prof")
    print(json.dumps({"peak_rss_mb": round(peak_rss_mb(), 1)}), flush=True)


if __name__ == "__main__":
    main()
