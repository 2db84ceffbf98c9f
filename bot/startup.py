"""Reaching the Bot API at start-up: wait for it when it is away, stop when the token is wrong.

An unreachable Bot API (Telegram blocked, the network not up yet, a self-hosted server still
starting) is logged as one line per attempt and retried with backoff (1 s doubling to a
minute) until it answers or the operator stops the bot. A token Telegram refuses will never
start working: that is a configuration error, one line naming BOT_TOKEN and exit code 2.
"""

from __future__ import annotations

import asyncio
import logging

from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.settings import ConfigError

log = logging.getLogger(__name__)

FIRST_DELAY = 1.0
MAX_DELAY = 60.0


async def initialize(app: Application, *, first_delay: float = FIRST_DELAY) -> None:
    """``app.initialize()`` (which calls getMe), retried while the Bot API is unreachable."""
    delay = first_delay
    while True:
        try:
            await app.initialize()
            return
        except InvalidToken:
            await app.bot.request.shutdown()  # its connections, before the process stops
            raise ConfigError(
                "BOT_TOKEN: the Bot API refused the token (Unauthorized); "
                "copy it again from @BotFather"
            ) from None
        except NetworkError as exc:
            await app.bot.request.shutdown()  # opened again by the next attempt
            where = app.bot.base_url.removesuffix(app.bot.token).rstrip("/") or "the Bot API"
            log.warning(
                "cannot reach the Bot API at %s (%s); retrying in %.0f s",
                where,
                _reason(exc),
                delay,
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_DELAY)


def _reason(exc: NetworkError) -> str:
    """The short cause of a network error, without httpx's nested reprs."""
    text = str(exc.message if hasattr(exc, "message") else exc)
    return text.removeprefix("httpx.").split("\n", 1)[0][:160] or type(exc).__name__
