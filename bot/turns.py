"""Each chat's updates handled one at a time and in order across every instance (PostgreSQL).

Whichever instance stores an update (the leader's getUpdates, or any instance's webhook) hands
its chat to `dispatch` at once; the instance takes the chat's turn (an advisory lock, see
bot/cluster.py), handles the chat's waiting updates oldest first, marking each done, and gives
the turn back. An instance that cannot take the turn leaves the update to the holder, which
looks for waiting updates again *after* giving the turn back: the update was stored before the
failed attempt, the failed attempt came before the release, so the holder sees it.

In long-polling mode only the leader stores updates; it announces their chats (NOTIFY, sent
as the batch commits) and every instance that hears it tries for their turns too, so the work
goes to whichever is free first. Every instance also sweeps the inbox every SWEEP_SECONDS for
chats with waiting updates (left by an instance that died mid-turn: its lock went with its
connection), so nothing waits longer than about a second after its handler's instance is
gone. An update interrupted by a crash is handled again; handlers with side effects claim the
update id with the effect (storage UpdateLog), so it takes effect once.

What PTB keeps per person in memory (UserData: the locale, the serial typed after /activate,
the ticket in focus) would be lost whenever the next update reaches another instance: it is
loaded from the database before each update (`load_session`, the first handler; for the first
of a private chat's waiting updates, read in the same query as they are) and stored after it
when it changed (storage/sessions.py).

Round trips per turn: taking it, with the waiting updates and the person's state read in the
same statement (storage/migrations/postgresql/0018); the handlers' own; and one that marks the
last update done, gives the turn back and then looks for updates that came meanwhile
(bot/cluster.py unlock_chat). Earlier updates of a longer turn are marked done one by one,
as they are handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.cluster import Cluster
from storage.db import utcnow
from storage.inbox import (
    INBOX_CHANNEL,
    TAKE_TURN_SQL,
    announced,
    mark_done_sql,
    taken_updates,
    waiting_sql,
)
from storage.sessions import SessionRepository, unseal

log = logging.getLogger(__name__)

SWEEP_SECONDS = 1.0
BATCH = 50  # a chat's waiting updates read per query
STOP_GRACE = 30.0
SESSION_DAYS = 30  # a conversation state untouched this long is deleted (by the leader)

# A chat's waiting updates (id, payload) and the sealed state of the person whose id is the
# chat's (storage/inbox.py pending_with_session).
Waiting = tuple[list[tuple[int, dict[str, Any]]], str | None]


class ClusterTurns:
    """Hands out chats' turns on this instance and runs them."""

    def __init__(
        self, app: Application, cluster: Cluster, *, keep_done: timedelta | None = None
    ) -> None:
        self.app = app
        self.cluster = cluster
        # Webhook mode: Telegram forgets an update once answered, but a lost answer brings it
        # back; a handled update is kept this long to recognise that, then pruned (leader).
        self.keep_done = keep_done
        self._turns: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._stopping = False
        # update id -> (user id, their state as loaded for it)
        self._loaded: dict[int, tuple[int, str | None]] = {}
        # update id -> (the chat's id, the sealed state stored under that id, or None), read
        # with the chat's waiting updates for the first of them
        self._prefetched: dict[int, tuple[int, str | None]] = {}

    async def start(self) -> None:
        """Begin sweeping the inbox for chats with waiting updates, and listening for the
        chats another instance announces (the leader's getUpdates in long-polling mode)."""
        self._stopping = False
        await self.cluster.listen(INBOX_CHANNEL, self._announced)
        self._sweeper = asyncio.create_task(self._sweep(), name="inbox-sweep")

    def _announced(self, payload: str) -> None:
        sender, keys = announced(payload)
        if sender == self.cluster.instance_id:
            return  # stored here: dispatched already
        for key in keys:
            self.dispatch(key)

    async def stop(self) -> None:
        """Take no new turns; let the updates being handled finish (their chats' later
        updates stay in the inbox for the other instances, or the next start)."""
        self._stopping = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._turns:
            await asyncio.wait(set(self._turns.values()), timeout=STOP_GRACE)

    @property
    def busy(self) -> int:
        """Chats whose turn this instance is taking or running now."""
        return len(self._turns)

    def dispatch(self, key: int) -> None:
        """A chat has a waiting update: take its turn here unless it is being run already."""
        if self._stopping:
            return
        if key in self._turns:
            self._again.add(key)  # the running turn looks once more before it ends
            return
        task = asyncio.create_task(self._turn(key), name=f"chat-turn-{key}")
        self._turns[key] = task

        def finished(done: asyncio.Task[None]) -> None:
            if self._turns.get(key) is done:
                del self._turns[key]

        task.add_done_callback(finished)

    async def _turn(self, key: int) -> None:
        try:
            while not self._stopping:
                self._again.discard(key)
                taken = await self.cluster.take_chat(key, TAKE_TURN_SQL, BATCH)
                if taken is None:
                    return  # another instance runs it and looks again before letting go
                generation, rows = taken
                first = taken_updates(self.app.bot_data.storage.keys.cipher, rows)
                unmarked: list[int] = []
                try:
                    await self._handle_waiting(key, generation, unmarked, first)
                finally:
                    waiting = await self._give_back(key, generation, unmarked)
                if not self._stopping and waiting:
                    continue
                if key not in self._again:  # no await between this check and returning
                    return
        except Exception:
            log.exception("chat %s: turn failed; the sweep tries again", key)

    async def _handle_waiting(
        self, key: int, generation: int, unmarked: list[int], first: Waiting
    ) -> None:
        """Handle the chat's waiting updates, oldest first, each marked done before the next
        (`first`: those read as the turn was taken); the last one's mark is left in
        `unmarked` for _give_back to send with the release."""
        storage = self.app.bot_data.storage
        read: Waiting | None = first
        while True:
            if read is not None:
                (waiting, session), read = read, None
            else:
                async with storage.autocommit() as repos:
                    waiting, session = await repos.inbox.pending_with_session(key, limit=BATCH)
            if waiting:
                # The first update starts from the state read with it (see load_session).
                self._prefetched[waiting[0][0]] = (key, session)
            for n, (update_id, payload) in enumerate(waiting):
                if self._stopping or generation != self.cluster.generation:
                    return  # stopping, or the turn was lost with the lock connection
                try:
                    update = Update.de_json(payload, self.app.bot)
                except (TypeError, ValueError, KeyError) as exc:
                    log.error("skipping update %s that cannot be parsed: %r", update_id, exc)
                else:
                    # process_update hands handler errors to the error handler itself.
                    await self.app.process_update(update)
                    await self._save_session(update)
                finally:
                    self._prefetched.pop(update_id, None)
                if n + 1 == len(waiting) < BATCH:
                    unmarked.append(update_id)
                    return  # whatever came meanwhile is found once the turn is given back
                async with storage.autocommit() as repos:
                    await repos.inbox.done(update_id)
            if not waiting:
                return

    async def _give_back(self, key: int, generation: int, unmarked: list[int]) -> bool:
        """Mark the last handled update done, give the turn back, then look for updates
        that came meanwhile: one round trip on the lock connection. True if one waits."""
        waiting = await self.cluster.unlock_chat(
            key,
            generation,
            first=mark_done_sql(unmarked) if unmarked else None,
            then=waiting_sql(key),
        )
        if waiting is not None:
            return waiting
        # The lock connection is gone, and the turn with it: mark and look on the pool.
        async with self.app.bot_data.storage.autocommit() as repos:
            if unmarked:
                await repos.inbox.mark_done(unmarked)
            return await repos.inbox.waiting(key)

    async def load_session(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """First handler of every update: the person's conversation state as last stored."""
        user = update.effective_user if isinstance(update, Update) else None
        if user is None or context.user_data is None:
            return
        storage = self.app.bot_data.storage
        prefetched = self._prefetched.pop(update.update_id, None)
        if prefetched is not None and prefetched[0] == user.id:
            # Read with the chat's waiting updates, just before this one: a private chat.
            state = None if prefetched[1] is None else unseal(prefetched[1], storage.keys.cipher)
        else:
            async with storage.autocommit() as repos:
                state = await repos.sessions.get(user.id)
        # Kept as text: the handlers change extras in place, the copy must not follow.
        self._loaded[update.update_id] = (user.id, _text(state))
        if state is not None:
            context.user_data.locale = state["locale"]
            context.user_data.extras = state["extras"]

    async def _save_session(self, update: Update) -> None:
        loaded = self._loaded.pop(update.update_id, None)
        if loaded is None:
            return  # no person, or a handler before load_session stopped the update
        user_id, before = loaded
        data = self.app.user_data.get(user_id)
        if data is None:
            return
        state = {"locale": data.locale, "extras": data.extras}
        try:
            if _text(state) == before:
                return
        except (TypeError, ValueError) as exc:  # something in extras that JSON cannot hold
            log.error("conversation state of %s not stored: %r", user_id, exc)
            return
        storage = self.app.bot_data.storage
        async with storage.autocommit() as repos:
            await SessionRepository(repos.tx, storage.keys.cipher).put(user_id, state)

    async def _sweep(self) -> None:
        storage = self.app.bot_data.storage
        for sweeps in itertools.count():
            if self._stopping:
                return
            try:
                async with storage.transaction() as repos:
                    if sweeps == 0:
                        await repos.inbox.key_chats()  # rows an earlier version stored
                    keys = await repos.inbox.waiting_chats()
                    leads = self.cluster.is_leader
                    if leads and self.keep_done is not None and sweeps % 60 == 0:  # a minute
                        await repos.inbox.prune(utcnow() - self.keep_done)
                    if leads and sweeps % 600 == 0:  # ten minutes or so
                        sessions = SessionRepository(repos.tx, storage.keys.cipher)
                        await sessions.prune(utcnow() - timedelta(days=SESSION_DAYS))
                for key in keys:
                    if key not in self._turns:
                        self.dispatch(key)
            except Exception as exc:  # the database away for a moment: try again next sweep
                log.warning("inbox sweep failed: %r", exc)
            await asyncio.sleep(SWEEP_SECONDS)


def _text(state: dict[str, object] | None) -> str | None:
    return None if state is None else json.dumps(state, sort_keys=True, ensure_ascii=False)
