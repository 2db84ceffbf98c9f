"""Several instances on one PostgreSQL database: who leads, whose turn a chat is (over 300
lines: the election, the chats' turns and the notices share one connection and its lock).

The role API (read by /readyz and the metrics): ``bot_data.cluster.role`` is "single" (SQLite:
one process does everything), "leader" or "follower"; ``is_leader`` is True for "single" and
"leader", the instance that runs the timed jobs and, in long-polling mode, calls getUpdates;
``connected`` is False while a PostgreSQL instance has lost its election connection (it
follows until it is back); ``instance_id`` ("pid@host#random") names it in logs and in
PostgreSQL's pg_stat_activity (application_name "merchant-bot <instance_id>").

Leadership is a PostgreSQL session advisory lock held on a connection of its own: when the
leader dies its connection closes and the lock is free at once (for a machine that vanishes,
TCP keepalives close it within about 15 s); every follower tries to take it every
RETRY_SECONDS. The leader checks its connection as often and steps down the moment it fails,
so two instances believe they lead for at most that long (and the jobs they run claim their
work in the database anyway).

A chat's turn is a session advisory lock on the same connection, keyed by the chat id: while
an instance holds it, no other handles that chat's updates (bot/turns.py). If the connection
breaks, every lock it held is gone; ``generation`` changes so that turns in progress stop.
The connection also LISTENs for the channels callers name (``listen``): in long-polling mode
the leader announces the chats it stored so that every instance competes for their turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

log = logging.getLogger(__name__)

Role = Literal["single", "leader", "follower"]

# pg_advisory_lock keys: "mbleader" in ASCII, far above any Telegram chat id (about 1e13).
LEADER_LOCK = int.from_bytes(b"mbleader", "big")
RETRY_SECONDS = 1.0
_CHECK_TIMEOUT = 3.0
# Server-side keepalives on the lock connection: a vanished machine's locks go within ~15 s.
_KEEPALIVE = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
}
APPLICATION_NAME = "merchant-bot "  # + the instance id: pg_stat_activity shows who leads


class SingleProcess:
    """SQLite: this process is the whole bot."""

    role: Role = "single"
    is_leader = True
    connected = True
    generation = 0
    instance_id = f"{os.getpid()}@{socket.gethostname()}"

    def on_change(self, callback: Callable[[Role], None]) -> None:
        """Roles never change here."""

    async def gone(self, owners: Sequence[str]) -> list[str]:
        """No other instance to outlive (SQLite claims carry no owner)."""
        return []

    async def start(self) -> None:
        """Nothing to elect."""

    async def stop(self) -> None:
        """Nothing to release."""


class Cluster:
    """This instance's place among the instances sharing one PostgreSQL database."""

    def __init__(self, url: str, *, retry_seconds: float = RETRY_SECONDS) -> None:
        self.url = url
        self.retry_seconds = retry_seconds
        self.instance_id = f"{os.getpid()}@{socket.gethostname()}#{secrets.token_hex(3)}"
        self.role: Role = "follower"
        self.generation = 0  # bumped each time the lock connection is replaced
        self._conn = None  # asyncpg.Connection: advisory locks live as long as it does
        self._use = asyncio.Lock()  # one statement at a time on the connection
        self._connecting = asyncio.Lock()  # one connection at a time, however many ask
        self._notices: dict[str, Callable[[str], None]] = {}  # channel -> callback(payload)
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[Role], None]] = []
        self._became_leader = asyncio.Event()

    @property
    def is_leader(self) -> bool:
        """True while this instance holds the leader lock."""
        return self.role == "leader"

    @property
    def connected(self) -> bool:
        """True while the election connection is open (a follower without it cannot lead)."""
        return self._conn is not None and not self._conn.is_closed()

    def on_change(self, callback: Callable[[Role], None]) -> None:
        """Call `callback(new_role)` whenever this instance gains or loses the lead."""
        self._listeners.append(callback)

    async def start(self) -> None:
        """Connect and try for the lead at once, then keep trying (or checking) in the
        background."""
        await self._attempt()
        self._task = asyncio.create_task(self._run(), name="cluster-election")

    async def stop(self) -> None:
        """Stop electing; closing the connection hands the lead (and every chat) on."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._drop()

    async def wait_leader(self) -> None:
        """Return once this instance leads (for tests and tools)."""
        while not self.is_leader:
            self._became_leader.clear()
            await self._became_leader.wait()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.retry_seconds)
            await self._attempt()

    async def _attempt(self) -> None:
        """A follower tries for the lock; the leader checks it still has its connection."""
        try:
            async with asyncio.timeout(_CHECK_TIMEOUT):
                conn = await self._connection()
                async with self._use:
                    if self.is_leader:
                        await conn.fetchval("SELECT 1")
                        return
                    got = await conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK)
        except Exception as exc:  # asyncpg's errors, OSError, TimeoutError: all the same here
            log.warning("cluster: lost the database connection (%s)", type(exc).__name__)
            await self._drop()
            return
        if got:
            self._set_role("leader")

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        """Call `callback(payload)` for each NOTIFY on `channel`, on this connection and on
        every one that replaces it (a notice sent while there is none is missed: the inbox
        sweep finds what it announced)."""
        self._notices[channel] = callback
        try:
            conn = await self._connection()
            async with self._use:
                await conn.add_listener(channel, self._notice)
        except Exception as exc:
            log.warning("cluster: cannot listen on %s (%s)", channel, type(exc).__name__)
            await self._drop()

    def _notice(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        callback = self._notices.get(channel)
        if callback is not None:
            try:
                callback(payload)
            except Exception:
                log.exception("cluster: notice on %s failed", channel)

    async def _connection(self):  # -> asyncpg.Connection
        async with self._connecting:
            # Two callers at once must not both connect: a lock taken on the connection the
            # second one replaced would never be given back.
            if self._conn is None or self._conn.is_closed():
                import asyncpg

                conn = await asyncpg.connect(
                    self.url,
                    server_settings={
                        **_KEEPALIVE,
                        "application_name": _application_name(self.instance_id),
                    },
                )
                try:
                    for channel in self._notices:
                        await conn.add_listener(channel, self._notice)
                except BaseException:
                    conn.terminate()
                    raise
                self._conn = conn
                self.generation += 1
            return self._conn

    async def _drop(self) -> None:
        """Close the lock connection (releasing every lock on it) and follow."""
        conn, self._conn = self._conn, None
        if conn is not None:
            self.generation += 1
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)
            if not conn.is_closed():
                conn.terminate()
        self._set_role("follower")

    def _set_role(self, role: Role) -> None:
        if role == self.role:
            return
        self.role = role
        log.info("cluster: this instance (%s) is now the %s", self.instance_id, role)
        if role == "leader":
            self._became_leader.set()
        for callback in self._listeners:
            try:
                callback(role)
            except Exception:
                log.exception("cluster role listener failed")

    async def gone(self, owners: Sequence[str]) -> list[str]:
        """Those of `owners` (instance ids) with no connection to the database left: killed,
        or stopped. [] when this cannot be told (no connection: assume all are alive)."""
        if not owners:
            return []
        try:
            conn = await self._connection()
            async with self._use:
                rows = await conn.fetch(
                    "SELECT DISTINCT application_name FROM pg_stat_activity"
                    " WHERE application_name LIKE $1",
                    APPLICATION_NAME + "%",
                )
        except Exception as exc:
            log.warning("cluster: cannot list the instances (%s)", type(exc).__name__)
            return []
        alive = {r[0] for r in rows}
        return [o for o in owners if _application_name(o) not in alive]

    async def take_chat(self, key: int, query: str, *args: Any) -> tuple[int, list[Any]] | None:
        """Take a chat's turn if no instance holds it, and read with it, in one round trip:
        `query` (the caller's; $1 is `key`, then `args`) takes the turn itself and returns
        rows whose first column says whether it did (storage/inbox.py TAKE_TURN_SQL). The
        connection's generation (give it to unlock_chat) and the rows if the turn was taken;
        None if another instance holds it (or there is no connection)."""
        try:
            conn = await self._connection()
            async with self._use:
                generation = self.generation
                rows = await conn.fetch(query, key, *args)
        except Exception as exc:
            log.warning("cluster: cannot take chat %s's turn (%s)", key, type(exc).__name__)
            await self._drop()
            return None
        if not rows or not rows[0][0]:
            return None
        return generation, rows

    async def unlock_chat(
        self, key: int, generation: int, *, first: str | None = None, then: str | None = None
    ) -> bool | None:
        """Give a chat's turn back, in one round trip with two statements of the caller's
        (SQL without parameters): `first` committed before the turn is given back, `then`
        run after it, in a snapshot of its own. True if `then` found a row, else False; None
        if the connection the turn was taken on is gone (its locks went with it, and neither
        statement may have run)."""
        if generation != self.generation or self._conn is None:
            return None
        script = [f"SELECT pg_advisory_unlock({int(key)})"]
        if first:
            script[:0] = ["BEGIN", first, "COMMIT"]
        if then:
            script.append(then)
        try:
            async with self._use:
                # Several statements: the simple query protocol, the last one's status back.
                status = await self._conn.execute(";\n".join(script))
        except Exception as exc:
            log.warning("cluster: cannot release chat %s (%s)", key, type(exc).__name__)
            await self._drop()
            return None
        return then is not None and status == "SELECT 1"


class Poller(Protocol):
    """What poll_while_leading drives (bot.polling.DurablePoller)."""

    @property
    def running(self) -> bool: ...

    def start(self) -> None: ...

    async def stop(self) -> None: ...


async def poll_while_leading(poller: Poller, cluster: Cluster) -> None:
    """Run the poller exactly while this instance leads (run it as a task; cancel the task to
    stop following, then stop the poller)."""
    changed = asyncio.Event()
    cluster.on_change(lambda _role: changed.set())
    while True:
        if cluster.is_leader and not poller.running:
            poller.start()
        elif not cluster.is_leader and poller.running:
            await poller.stop()
        await changed.wait()
        changed.clear()


def _application_name(instance_id: str) -> str:
    return (APPLICATION_NAME + instance_id)[:63]  # PostgreSQL keeps 63 bytes of it


def cluster_for(database: object) -> Cluster | SingleProcess:
    """A Cluster on PostgreSQL (a postgresql:// URL), else the single SQLite process."""
    if isinstance(database, str) and database.startswith(("postgresql://", "postgres://")):
        return Cluster(database)
    return SingleProcess()
