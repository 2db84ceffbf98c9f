"""The one place that maps Telegram errors on outgoing calls to what the bot does about them.

- An expired callback query (answered too late, e.g. after a restart) is not an error.
- RetryAfter (429): AIORateLimiter waits `retry_after` and retries, so the message still arrives;
  each 429 is counted (merchant_bot_telegram_429_total). Sends flagged allow_paid_broadcast
  (the daily summary push with SUMMARY_PAID_BROADCAST) are paced by AIORateLimiter on their
  own 1,000/s budget, apart from the 30/s everything else shares.
- Forbidden (403, bot blocked): the chat is marked unreachable and the error is re-raised.
- Network errors and 5xx: retried with exponential backoff. A timed-out *send* is not
  retried, because Telegram may already have delivered it and a retry would duplicate it.
  getMe is not retried here: start-up (bot/startup.py) and the health check retry or
  report it themselves, with one line each.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter

from bot import metrics

log = logging.getLogger(__name__)

ForbiddenHook = Callable[[int], Awaitable[None]]

# Calls that change nothing when repeated; safe to retry after a timeout.
_IDEMPOTENT_PREFIXES = ("get", "answer", "edit", "delete", "set", "sendChatAction")


class DeliveryPolicy(AIORateLimiter):
    """AIORateLimiter (Telegram's flood limits, 429 retries) plus network retries and 403 hooks."""

    def __init__(
        self,
        *,
        on_forbidden: ForbiddenHook | None = None,
        network_retries: int = 4,
        backoff_base: float = 0.5,
        max_retries: int = 5,
    ) -> None:
        super().__init__(max_retries=max_retries)
        self.on_forbidden = on_forbidden
        self.network_retries = network_retries
        self.backoff_base = backoff_base

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Send one request under the policy described in the module docstring."""

        async def counted(*c_args: Any, **c_kwargs: Any) -> Any:
            try:
                return await callback(*c_args, **c_kwargs)
            except RetryAfter:
                metrics.rate_limited(endpoint)
                raise

        attempt = 0
        while True:
            try:
                return await super().process_request(
                    counted, args, kwargs, endpoint, data, rate_limit_args
                )
            except Forbidden:
                chat_id = data.get("chat_id")
                if self.on_forbidden is not None and isinstance(chat_id, int) and chat_id > 0:
                    await self.on_forbidden(chat_id)
                raise
            except BadRequest as exc:
                if endpoint == "answerCallbackQuery" and "query is too old" in str(exc).lower():
                    # The spinner on the user's button has already gone; the press itself is
                    # still handled (e.g. an update delivered again after a restart).
                    log.info("callback query expired before it was answered")
                    return True
                raise
            except NetworkError as exc:
                retriable = not isinstance(exc, TimedOut) or endpoint.startswith(
                    _IDEMPOTENT_PREFIXES
                )
                if not retriable or attempt >= self.network_retries or endpoint == "getMe":
                    raise
                delay = self.backoff_base * 2**attempt
                attempt += 1
                log.warning(
                    "%s failed (%s); retry %d/%d in %.1fs",
                    endpoint,
                    exc,
                    attempt,
                    self.network_retries,
                    delay,
                )
                await asyncio.sleep(delay)
