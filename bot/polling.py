"""Long polling that confirms an update only after it was handled.

PTB's Updater confirms a batch (by asking for the next offset) as soon as the updates are
queued, so a crash before they are handled loses them. Here a batch is handled first and
confirmed after, so a crash at any moment means the batch is delivered again; handlers with
side effects claim the update id in the same transaction as the effect (storage UpdateLog),
which makes the repeat harmless.

Within a batch, updates of one chat are handled in order and different chats concurrently,
so a slow download for one merchant does not hold up the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections import defaultdict

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

log = logging.getLogger(__name__)

_MAX_BACKOFF = 30.0


def _key(update: Update) -> int:
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else 0


class DurablePoller:
    """getUpdates in a loop; handle the batch; only then move the offset past it."""

    def __init__(self, app: Application, *, timeout: float, limit: int = 100) -> None:
        self.app = app
        self.timeout = timeout
        self.limit = limit
        self._offset: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._handling: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """True while the loop runs."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Begin polling in a background task."""
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop(), name="durable-poller")

    async def stop(self) -> None:
        """Stop fetching; a batch being handled is finished (and confirmed) first."""
        self._stopping.set()
        if self._handling is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._handling)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._confirm()

    async def _confirm(self) -> None:
        # Tell the server the handled updates may be forgotten (a zero-timeout call).
        if self._offset is None:
            return
        with contextlib.suppress(TelegramError):
            await self.app.bot.get_updates(offset=self._offset, timeout=0, limit=1)

    async def _loop(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            try:
                updates = await self.app.bot.get_updates(
                    offset=self._offset,
                    timeout=self.timeout,
                    limit=self.limit,
                    allowed_updates=Update.ALL_TYPES,
                )
            except RetryAfter as exc:
                delay = exc.retry_after
                await asyncio.sleep(delay if isinstance(delay, int | float) else delay.seconds)
                continue
            except (InvalidToken, Conflict):
                log.exception("polling stopped")
                raise
            except (NetworkError, TelegramError) as exc:
                log.warning("getUpdates failed (%s); retrying in %.0fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
                continue
            except (TypeError, ValueError, KeyError) as exc:
                # One update the library cannot parse must not stop the bot: skip it.
                await self._skip_unparsable(exc)
                continue
            backoff = 1.0
            if not updates:
                continue
            self._handling = asyncio.create_task(self._handle(updates))
            await asyncio.shield(self._handling)
            self._handling = None
            self._offset = updates[-1].update_id + 1

    async def _skip_unparsable(self, exc: Exception) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "use Bot.get_updates": that is what failed
                raw = await self.app.bot.do_api_request(
                    "getUpdates", api_kwargs={"offset": self._offset, "limit": 1, "timeout": 0}
                )
        except TelegramError:
            await asyncio.sleep(1)
            return
        if isinstance(raw, list) and raw:
            update_id = int(raw[0]["update_id"])
            log.error("skipping update %s that cannot be parsed: %r", update_id, exc)
            self._offset = update_id + 1

    async def _handle(self, updates: list[Update]) -> None:
        by_chat: dict[int, list[Update]] = defaultdict(list)
        for update in updates:
            by_chat[_key(update)].append(update)

        async def in_order(chat_updates: list[Update]) -> None:
            for update in chat_updates:
                # process_update hands handler errors to the error handler itself.
                await self.app.process_update(update)

        await asyncio.gather(*(in_order(u) for u in by_chat.values()))
