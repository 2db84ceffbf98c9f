"""Webhook ingress: Telegram POSTs each update; it is answered 200 only once it is stored.

Every instance serves the path of WEBHOOK_URL (a load balancer spreads the POSTs). A request
without the right X-Telegram-Bot-Api-Secret-Token is refused (403; the token is never
logged). The update goes into the shared inbox (storage/inbox.py) before the answer, so an
instance dying after the 200 loses nothing (another handles it); one that cannot store it
answers 503 and Telegram sends it again. A redelivered update_id with the same content is
recognised there and not handled twice.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from telegram import Bot, Update
from telegram.error import TelegramError

from bot.masking import register_secret
from bot.settings import ConfigError, Settings

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_MAX_BODY = 1024 * 1024  # an update is a few kilobytes; Telegram sends no files this way

# Stores updates and starts handling the new ones (DurablePoller.receive).
Receive = Callable[[list[tuple[int, dict[str, Any]]]], Awaitable[list[int]]]


def build_webhook_app(path: str, secret: str, bot: Bot, receive: Receive) -> web.Application:
    """The aiohttp app serving POST `path`."""
    register_secret(secret)  # python-telegram-bot logs setWebhook's parameters at DEBUG
    expected = secret.encode()

    async def on_update(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook: refused a request from %s without the secret", request.remote)
            return web.json_response({"ok": False}, status=403)
        try:
            payload = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return web.json_response({"ok": False, "error": "not JSON"}, status=400)
        update_id = payload.get("update_id") if isinstance(payload, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return web.json_response({"ok": False, "error": "no update_id"}, status=400)
        try:
            Update.de_json(payload, bot)
        except (TypeError, ValueError, KeyError) as exc:
            # It would fail the same way every time Telegram sent it again: skip it.
            log.error("skipping update %s that cannot be parsed: %r", update_id, exc)
            return web.json_response({"ok": True})
        try:
            await receive([(update_id, payload)])
        except Exception as exc:  # the database away: Telegram retries on anything but 2xx
            log.error("webhook: update %s not stored (%r); answered 503", update_id, exc)
            return web.json_response({"ok": False}, status=503)
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=_MAX_BODY)
    app.router.add_post(path, on_update)
    return app


async def start_webhook(settings: Settings, bot: Bot, receive: Receive) -> web.AppRunner:
    """Serve the webhook path on WEBHOOK_LISTEN_HOST:WEBHOOK_LISTEN_PORT."""
    assert settings.webhook_secret is not None
    app = build_webhook_app(
        settings.webhook_path, settings.webhook_secret.get_secret_value(), bot, receive
    )
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_listen_host, settings.webhook_listen_port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        where = f"{settings.webhook_listen_host}:{settings.webhook_listen_port}"
        raise ConfigError(
            f"WEBHOOK_LISTEN_PORT: cannot listen on {where}: {exc.strerror}"
        ) from None
    return runner


def listening_port(runner: web.AppRunner) -> int:
    """The port the webhook listens on (the one chosen when WEBHOOK_LISTEN_PORT is 0)."""
    return int(runner.addresses[0][1])


async def register_webhook(settings: Settings, bot: Bot) -> bool:
    """Ask Telegram to POST updates to WEBHOOK_URL with the secret; False if it refused
    (logged: updates reach this instance only once it is set)."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    register_secret(settings.webhook_secret.get_secret_value())
    try:
        await bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )
    except TelegramError as exc:
        log.error("setWebhook failed (%s); updates arrive only once a webhook is set", exc)
        return False
    return True


async def unregister_webhook(bot: Bot) -> None:
    """Long polling again: Telegram refuses getUpdates while a webhook is set."""
    try:
        await bot.delete_webhook(drop_pending_updates=False)
    except TelegramError as exc:
        log.warning("deleteWebhook failed (%s); getUpdates will say if one is still set", exc)
