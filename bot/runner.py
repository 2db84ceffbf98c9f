"""Running the bot: against Telegram (polling) or inside the local sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sqlite3
from datetime import timedelta

from aiohttp import web
from pydantic import SecretStr
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, TypeHandler

from bot import metrics
from bot.app import build_application
from bot.cluster import Cluster, cluster_for, poll_while_leading
from bot.demo import FEE_RATES as DEMO_FEE_RATES
from bot.i18n import Renderer
from bot.ingest_api import build_ingest_app, start_ingest_server
from bot.ops import ops_url, start_ops
from bot.polling import DurablePoller
from bot.settings import ConfigError, Settings
from bot.startup import initialize
from bot.turns import ClusterTurns
from bot.webhook import register_webhook, start_webhook, unregister_webhook
from scheduler import run_leader_jobs_now
from storage import Storage

log = logging.getLogger(__name__)

SANDBOX_MERCHANT = (10001, "小王")
SANDBOX_STAFF = (20001, "审核员 李")
SANDBOX_REVIEW_CHAT = -1001000000001
SANDBOX_SUPPORT_CHAT = -1001000000002
# The sandbox shows a fee schedule unless the operator set one (FEE_*): the rates its demo
# transactions are charged (bot/demo.py), so the agreement, the second signing step, /status,
# the review card and the fee answer show numbers that agree with the demo's fees.
SANDBOX_FEES = {
    "fee_debit_rate": int(DEMO_FEE_RATES["card"] * 10_000),  # basis points
    "fee_credit_rate": int(DEMO_FEE_RATES["card"] * 10_000),
    "fee_scan_rate": int(DEMO_FEE_RATES["alipay"] * 10_000),
}
HEALTH_TIMEOUT = 5.0  # seconds /healthz waits for the database and for Telegram
# Webhook mode: a handled update is kept (encrypted) this long to recognise a redelivery.
WEBHOOK_KEEP_DONE = timedelta(hours=1)


async def start_bot(settings: Settings, *, renderer: Renderer | None = None) -> Application:
    """Initialise, start and begin polling (or serving the webhook); the caller must
    stop_bot() it."""
    app = build_application(settings, renderer=renderer)
    data = app.bot_data
    data.cluster = cluster = cluster_for(settings.database)
    await initialize(app)  # waits for an unreachable Bot API; a refused token: ConfigError
    metrics.instrument(app)
    # run_polling() would call these hooks; we drive the lifecycle ourselves so the sandbox,
    # the tests and production share one event loop and one start/stop path.
    if app.post_init:
        await app.post_init(app)
    await app.start()
    await cluster.start()
    webhook = settings.webhook_url is not None
    turns = None
    if isinstance(cluster, Cluster):
        turns = ClusterTurns(app, cluster, keep_done=WEBHOOK_KEEP_DONE if webhook else None)
        await turns.start()
        # first of all: the person's conversation state, whichever instance last had it
        app.add_handler(TypeHandler(Update, turns.load_session), group=-3)
        cluster.on_change(lambda role: role == "leader" and run_leader_jobs_now(app))
    data.turns = turns
    poller = DurablePoller(
        app,
        timeout=settings.poll_timeout_seconds,
        turns=turns,
        fetch=not webhook,
        **({"keep_done": WEBHOOK_KEEP_DONE} if webhook else {}),
    )
    data.poller = poller
    data.follow_lead = None
    data.webhook = None
    if webhook:
        try:
            data.webhook = await start_webhook(settings, app.bot, poller.receive)
        except ConfigError:
            await stop_bot(app)
            raise
        await register_webhook(settings, app.bot)
    else:
        await unregister_webhook(app.bot)
    if turns is None:
        poller.start()  # one process: polls, or (webhook) handles what a crash left
    elif not webhook:
        data.follow_lead = asyncio.create_task(poll_while_leading(poller, cluster))
    return app


async def stop_bot(app: Application) -> None:
    """Stop polling and shut down cleanly (pending handler tasks finish first)."""
    data = app.bot_data
    webhook = getattr(data, "webhook", None)
    if webhook is not None:
        await webhook.cleanup()  # no new updates; Telegram sends the next ones elsewhere
    follow = getattr(data, "follow_lead", None)
    if follow is not None:
        follow.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follow
    poller: DurablePoller | None = getattr(data, "poller", None)
    if poller is not None and poller.running:
        await poller.stop()
    turns: ClusterTurns | None = getattr(data, "turns", None)
    if turns is not None:
        await turns.stop()
    cluster = getattr(data, "cluster", None)
    if cluster is not None:
        await cluster.stop()  # the lead and every chat's turn go to the other instances
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
        ingest: web.AppRunner | None = None
        ops: web.AppRunner | None = None
        try:
            ingest = await start_ingest(settings, app)
            ops = await start_ops(settings, app.bot_data)
            how = (
                f"webhook {settings.webhook_url}, listening on"
                f" {settings.webhook_listen_host}:{settings.webhook_listen_port}"
                if settings.webhook_url
                else "polling Telegram"
            )
            role = app.bot_data.cluster.role
            print(f"merchant-bot is running ({how}; {role}). Press Ctrl-C to stop.", flush=True)
            if ingest is not None:
                print(f"  ingest API  {_ingest_url(settings)}", flush=True)
            if ops is not None:
                print(f"  metrics     {ops_url(ops)}", flush=True)
            await _wait_for_stop_signal()
        finally:
            for runner in (ingest, ops):
                if runner is not None:
                    await runner.cleanup()
            await stop_bot(app)
        return

    from bot.demo_switch import DemoSwitch
    from sandbox.server import BotApiServer

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
            # The server's random per-run token: it answers no other (see sandbox/guard.py).
            "bot_token": SecretStr(server.token),
            "telegram_base_url": server.base_url,
            "telegram_file_base_url": server.file_base_url,
            "review_chat_id": review_chat,
            "support_chat_id": support_chat,
            "admin_ids": settings.admin_ids or [SANDBOX_STAFF[0]],
            **(SANDBOX_FEES if settings.fee_debit_rate is None else {}),
        }
    )
    app = await start_bot(settings)
    server.demo = DemoSwitch(app.bot_data.storage, settings.timezone)  # the page's demo switch
    ingest = ops = None
    try:
        ingest = await start_ingest(settings, app)
        ops = await start_ops(settings, app.bot_data, sandbox=True)  # if OPS_PORT is set
        print(
            "merchant-bot sandbox is running:\n"
            f"  local Bot API server  {server.base_url}<token>/<method>\n"
            f"  database              {settings.database_label}\n"
            f"  chat page             {server.url}\n"
            + (f"  ingest API            {_ingest_url(settings)}\n" if ingest else "")
            + (f"  metrics               {ops_url(ops)}\n" if ops else "")
            + "Open the chat page in a browser and send /start. Press Ctrl-C to stop.",
            flush=True,
        )
        await _wait_for_stop_signal()
    finally:
        print("stopping…", flush=True)
        for runner in (ingest, ops):
            if runner is not None:
                await runner.cleanup()
        await stop_bot(app)
        await server.stop()


async def start_ingest(settings: Settings, app: Application) -> web.AppRunner | None:
    """Serve POST /api/transactions and /healthz beside the bot, if INGEST_SECRET is set."""
    secret = settings.ingest_secret.get_secret_value() if settings.ingest_secret else ""
    if not secret:
        return None
    storage = app.bot_data.storage

    async def health() -> dict[str, object]:
        return {"database": await _database_ok(storage), "telegram": await _telegram_ok(app)}

    ingest = build_ingest_app(storage, secret, health)
    try:
        return await start_ingest_server(ingest, settings.ingest_host, settings.ingest_port)
    except OSError as exc:
        where = f"{settings.ingest_host}:{settings.ingest_port}"
        raise ConfigError(f"INGEST_PORT: cannot listen on {where}: {exc.strerror}") from None


def _ingest_url(settings: Settings) -> str:
    return f"http://{settings.ingest_host}:{settings.ingest_port}/api/transactions"


async def _database_ok(storage: Storage) -> bool:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT), storage.transaction() as repos:
            await repos.tx.fetchone("SELECT 1")
    except (sqlite3.Error, RuntimeError, TimeoutError):
        return False
    return True


async def _telegram_ok(app: Application) -> bool:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            await app.bot.get_me()
    except (TelegramError, TimeoutError):
        return False
    return True
