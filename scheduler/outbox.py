"""The one sender of queued notifications: retries with backoff, never loses, never repeats.

It knows message kinds, not how each is drawn: every kind's sender is registered when the
application is built (bot/app.py wires the ones in handlers/senders.py), so this module imports
nothing above storage.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from storage import Storage
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

BATCH = 20
MAX_BACKOFF = timedelta(minutes=5)


class HasStorage(Protocol):
    """What the sender needs of the bot's data: the database. Senders get the whole thing."""

    storage: Storage


# A kind's sender: (bot, the bot's data, the queued item). It raises Telegram's errors as they
# come; the outbox turns them into retry, give-up or done.
Send = Callable[[Bot, Any, OutboxItem], Awaitable[None]]


class OutboxSender:
    """Delivers due outbox rows; one run at a time per process, leases across processes."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._senders: dict[str, Send] = {}
        self._on_refused: list[Send] = []

    def register(self, kind: str, send: Send) -> None:
        """How items of ``kind`` are sent (at app build time, once per kind)."""
        if kind in self._senders:
            raise ValueError(f"outbox kind {kind!r} registered twice")
        self._senders[kind] = send

    def on_refused(self, hook: Send) -> None:
        """Called after an item is given up because the chat blocked the bot (403)."""
        self._on_refused.append(hook)

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds this sender can deliver."""
        return frozenset(self._senders)

    async def run(self, bot: Bot, data: HasStorage) -> int:
        """Deliver everything due now; return how many were delivered."""
        delivered = 0
        async with self._lock:
            while True:
                async with data.storage.transaction() as repos:
                    items = await repos.outbox.lease_due(BATCH)
                if not items:
                    return delivered
                for item in items:
                    delivered += await self._deliver(bot, data, item)

    async def _deliver(self, bot: Bot, data: HasStorage, item: OutboxItem) -> int:
        try:
            await self._send(bot, data, item)
        except Forbidden as exc:
            await self._finish(data, item, give_up=str(exc))
            for hook in self._on_refused:
                await hook(bot, data, item)
            return 0
        except BadRequest as exc:
            log.error("outbox %s to chat %s refused: %s", item.id, item.chat_id, exc)
            await self._finish(data, item, give_up=str(exc))
            return 0
        except RetryAfter as exc:
            delay = exc.retry_after
            wait = delay if isinstance(delay, timedelta) else timedelta(seconds=delay)
            await self._finish(data, item, retry=(str(exc), wait))
            return 0
        except (TelegramError, OSError) as exc:
            backoff = min(timedelta(seconds=2**item.attempts), MAX_BACKOFF)
            log.warning("outbox %s: %r; retry in %s", item.id, exc, backoff)
            await self._finish(data, item, retry=(repr(exc), backoff))
            return 0
        await self._finish(data, item)
        return 1

    async def _finish(
        self,
        data: HasStorage,
        item: OutboxItem,
        *,
        give_up: str | None = None,
        retry: tuple[str, timedelta] | None = None,
    ) -> None:
        async with data.storage.transaction() as repos:
            if give_up is not None:
                await repos.outbox.give_up(item.id, give_up)
            elif retry is not None:
                await repos.outbox.retry_later(item.id, *retry)
            else:
                await repos.outbox.mark_sent(item.id)

    async def _send(self, bot: Bot, data: HasStorage, item: OutboxItem) -> None:
        send = self._senders.get(item.kind)
        if send is None:
            raise BadRequest(f"unknown outbox kind {item.kind!r}")
        await send(bot, data, item)
