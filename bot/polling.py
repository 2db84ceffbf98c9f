"""Durable long polling (~330 lines: one poller; its offset, acks and inbox marks move together).

It loses no update and handles none twice, whatever moment the process dies.

PTB's Updater confirms a batch (by asking for the next offset) as soon as the updates are
queued, so a crash before they are handled loses them. Here every batch is first written to
the database inbox (storage/inbox.py, encrypted) and only then confirmed; each update is
marked done once handled. At start-up the updates left undone by a crash are handled first. A
batch that Telegram delivers again (received, but the confirming call never made) is
recognised in the inbox and not handled twice; handlers with side effects also claim the
update id in the same transaction as the effect (storage UpdateLog).

An update is deleted from the inbox as soon as it is both handled and acknowledged (a
getUpdates call with a higher offset succeeded): Telegram never sends it again, so nothing
about it needs to stay on disk.

Updates of one chat are handled in order, different chats concurrently, and fetching goes on
while earlier updates are being handled, so a slow download for one merchant holds up no one
else.

On PostgreSQL with several instances (`turns` given), only the leader polls (bot/runner.py
starts and stops the poller as the lead moves) and the updates it stores are handled by
whichever instance takes their chat's turn (bot/turns.py). What it acknowledges is then
deleted in the database (handled rows below the offset), not from this process's memory, so
a new leader, starting without an offset, loses nothing and handles nothing twice: Telegram
delivers again exactly what no one acknowledged, and the inbox recognises it.

In webhook mode on SQLite (`fetch=False`) nothing is polled: bot/webhook.py hands what it
stores to `receive`, and handled updates are pruned after `keep_done`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot.turns import ClusterTurns
from storage.db import utcnow
from storage.inbox import chat_key

log = logging.getLogger(__name__)

_MAX_BACKOFF = 30.0
# A handled update is deleted once acknowledged; one left over from a reused numbering (a fresh
# sandbox server) is deleted after this long.
_KEEP_DONE = timedelta(days=1)
_STOP_GRACE = 30.0  # seconds stop() waits for handlers still running
MARK_SECONDS = 0.05  # handled updates are marked done together, this often at most
# PTB suggests Bot.get_updates instead of do_api_request("getUpdates"); that one parses the
# updates, which _fetch would then turn back into JSON. A filter for the process: a
# catch_warnings() held across a long poll would undo other code's filters when it ends.
warnings.filterwarnings("ignore", "Please use 'Bot.getUpdates'", PTBUserWarning)


def _key(update: Update) -> int:
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else 0


class DurablePoller:
    """getUpdates in a loop; store, confirm, then handle each chat's updates in order."""

    def __init__(
        self,
        app: Application,
        *,
        timeout: float,
        limit: int = 100,
        turns: ClusterTurns | None = None,
        fetch: bool = True,
        keep_done: timedelta = _KEEP_DONE,
    ) -> None:
        self.app = app
        self.timeout = timeout
        self.limit = limit
        self.turns = turns
        self.fetch = fetch
        self.keep_done = keep_done
        self._offset: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._tails: dict[int, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()
        # Every update id below this was acknowledged by a successful getUpdates call.
        self._acked_below: int | None = None
        # Handled updates still in the inbox because they were not acknowledged yet.
        self._unacked: set[int] = set()
        # Handled, not yet recorded as such in the inbox (see _mark_soon).
        self._to_mark: set[int] = set()
        self._to_forget: set[int] = set()
        self._marker: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """True while the loop runs."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Handle what a crash left undone, then poll, in a background task."""
        self._stopping.clear()
        if self.turns is not None:
            self._offset = None  # a new lead: start from whatever no one acknowledged
        self._task = asyncio.create_task(self._loop(), name="durable-poller")

    async def stop(self) -> None:
        """Stop fetching; let running handlers finish; confirm what was received."""
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._running:
            await asyncio.wait(set(self._running), timeout=_STOP_GRACE)
        if self._marker is not None:
            await asyncio.wait([self._marker])
        await self._mark()
        await self._confirm()

    async def _confirm(self) -> None:
        # Everything received is in the inbox: tell the server it may forget it.
        if self._offset is None:
            return
        with contextlib.suppress(TelegramError):
            await self.app.bot.get_updates(offset=self._offset, timeout=0, limit=1)
            await self._acknowledged(self._offset)

    async def _acknowledged(self, below: int | None) -> None:
        """getUpdates succeeded: updates below `below` (None: every one) were acknowledged,
        so the handled ones among them leave the inbox."""
        if self.turns is not None:
            # Any instance may have handled them: the database knows which are done.
            async with self._storage.autocommit() as repos:
                await repos.inbox.forget_handled(below)
            return
        if below is not None:
            self._acked_below = below
        gone = {u for u in self._unacked if below is None or u < below}
        if not gone:
            return
        self._unacked -= gone
        async with self._storage.autocommit() as repos:
            await repos.inbox.forget(gone)

    @property
    def _storage(self):
        return self.app.bot_data.storage

    async def _loop(self) -> None:
        if self.turns is not None:
            # Leftovers are the sweep's (bot/turns.py); every instance runs one.
            async with self._storage.autocommit() as repos:
                await repos.inbox.prune(utcnow() - _KEEP_DONE)
        else:
            await self._recover()
        if not self.fetch:
            await self._prune_forever()
            return
        backoff = 1.0
        while not self._stopping.is_set():
            try:
                fetched = await self._fetch()
            except RetryAfter as exc:
                delay = exc.retry_after
                await asyncio.sleep(delay if isinstance(delay, int | float) else delay.seconds)
                continue
            except Conflict as exc:
                if self.turns is None:
                    log.exception("polling stopped")
                    raise
                # A leader that has just lost the lead may still be in its last long poll.
                log.warning("getUpdates: %s; retrying in %.0fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
                continue
            except InvalidToken:
                log.exception("polling stopped")
                raise
            except (NetworkError, TelegramError) as exc:
                log.warning("getUpdates failed (%s); retrying in %.0fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
                continue
            backoff = 1.0
            if self._offset is not None:
                await self._acknowledged(self._offset)
            elif self._unacked or self.turns is not None:
                # The first call of this process (or of this lead): whatever it does not
                # deliver again was acknowledged by the process (or leader) before.
                await self._acknowledged(fetched[0][0] if fetched else None)
            if not fetched:
                continue
            await self._receive(fetched)

    async def _recover(self) -> None:
        """One process: handle what a crash left undone before anything new."""
        async with self._storage.transaction() as repos:
            await repos.inbox.prune(utcnow() - self.keep_done)
            left = await repos.inbox.pending()
            self._unacked.update(await repos.inbox.handled())
        if left:
            log.info("handling %d update(s) received before a restart", len(left))
        for _, payload in left:
            self._dispatch(Update.de_json(payload, self.app.bot))

    async def _prune_forever(self) -> None:
        """Webhook mode on one process: handled updates go once past keep_done."""
        while not self._stopping.is_set():
            await asyncio.sleep(min(60.0, self.keep_done.total_seconds()))
            with contextlib.suppress(Exception):
                async with self._storage.autocommit() as repos:
                    await repos.inbox.prune(utcnow() - self.keep_done)

    async def _fetch(self) -> list[tuple[int, dict[str, Any]]]:
        """getUpdates, each update as Telegram sent it (the JSON the inbox stores, not PTB's
        objects turned back into JSON)."""
        result = await self.app.bot.do_api_request(
            "getUpdates",
            api_kwargs={
                "offset": self._offset,
                "timeout": self.timeout,
                "limit": self.limit,
                "allowed_updates": Update.ALL_TYPES,
            },
        )
        if not isinstance(result, list):
            return []
        return [(int(raw["update_id"]), raw) for raw in result]

    async def _receive(self, fetched: list[tuple[int, dict[str, Any]]]) -> None:
        stored, updates = fetched, None
        if self.turns is None:  # handled here: parsed once (a turn parses what it handles)
            updates = []
            for update_id, payload in fetched:
                try:
                    updates.append(Update.de_json(payload, self.app.bot))
                except (TypeError, ValueError, KeyError) as exc:
                    # One update the library cannot parse must not stop the bot: skip it.
                    log.error("skipping update %s that cannot be parsed: %r", update_id, exc)
            parsed = {u.update_id for u in updates}
            stored = [(uid, payload) for uid, payload in fetched if uid in parsed]
        if stored:
            await self.receive(stored, updates)
        # Stored: the next getUpdates may confirm them.
        self._offset = fetched[-1][0] + 1

    async def receive(
        self, payloads: list[tuple[int, dict[str, Any]]], updates: list[Update] | None = None
    ) -> list[int]:
        """Store updates in the inbox and start handling the new ones; return their ids
        (a redelivered update is not new). Raises if they cannot be stored."""
        async with self._storage.transaction() as repos:
            fresh = await repos.inbox.receive(payloads)
            new = set(fresh)
            keys = list(dict.fromkeys(chat_key(p) for uid, p in payloads if uid in new))
            if self.turns is not None and self.fetch and keys:
                # Polled by the leader: every instance competes for these chats' turns.
                await repos.inbox.announce(keys, self.turns.cluster.instance_id)
        if self.turns is not None:
            for key in keys:
                self.turns.dispatch(key)
            return fresh
        parsed = updates or [Update.de_json(p, self.app.bot) for _, p in payloads]
        for update in parsed:
            if update.update_id in new:
                self._dispatch(update)
        return fresh

    def _dispatch(self, update: Update) -> None:
        key = _key(update)
        task = asyncio.create_task(self._handle(self._tails.get(key), update))
        self._tails[key] = task
        self._running.add(task)

        def finished(done: asyncio.Task[None]) -> None:
            self._running.discard(done)
            if self._tails.get(key) is done:
                del self._tails[key]

        task.add_done_callback(finished)

    async def _handle(self, before: asyncio.Task[None] | None, update: Update) -> None:
        if before is not None:
            await asyncio.wait([before])  # the chat's earlier update first, whatever it did
        # process_update hands handler errors to the error handler itself.
        await self.app.process_update(update)
        uid = update.update_id
        # Decided at once, so _acknowledged either sees it in _unacked or it is below
        # _acked_below here: it is never left behind.
        acked = self._acked_below is not None and uid < self._acked_below
        if not acked and self.fetch:
            self._unacked.add(uid)
        (self._to_forget if acked else self._to_mark).add(uid)
        if self._marker is None or self._marker.done():
            self._marker = asyncio.create_task(self._mark_soon(), name="inbox-marks")

    async def _mark_soon(self) -> None:
        """Record what was handled in the last MARK_SECONDS in one statement or two, not one
        commit per update. A crash before then handles those updates again at start-up, as
        a crash just before each update's own mark did; handlers with side effects claim the
        update id with the effect (storage UpdateLog), so it takes effect once."""
        while self._to_mark or self._to_forget:  # no await between this and returning
            await asyncio.sleep(MARK_SECONDS)
            await self._mark()

    async def _mark(self) -> None:
        done, gone = self._to_mark, self._to_forget
        self._to_mark, self._to_forget = set(), set()
        if not done and not gone:
            return
        try:
            async with self._storage.autocommit() as repos:
                if gone:
                    await repos.inbox.forget(gone)
                if done:
                    await repos.inbox.mark_done(done)
        except Exception:
            # Left undone, they are handled again at the next start (claimed effects once).
            log.exception("could not mark %d handled update(s) done", len(done) + len(gone))
