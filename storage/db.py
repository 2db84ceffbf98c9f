"""Database connections, migrations and the one transaction helper, for two backends (over
300 lines: SQLite's connection, start-up and migrations belong together).

SQLite (the embedded default: one file, one shared connection) and PostgreSQL (several
instances on one server, through asyncpg's connection pool). Repositories see only Tx and
write SQL both understand, with ? placeholders; PgTx numbers them ($1, $2, ...) for
PostgreSQL. asyncpg rather than psycopg: the fastest driver, and the ? -> $n translation is
the only dialect code it needs (no %-escaping of LIKE patterns).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.private_files import private_dir, private_file

log = logging.getLogger(__name__)

_T = TypeVar("_T")
BUSY_MS = 5000  # how long a statement waits for another process's write to finish
WAL_ATTEMPTS = 40  # about 40 s of retries in all (the waits grow by 50 ms each time)
STARTUP_BUSY_MS = 30000  # the same while opening and migrating (several may start at once)
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def utcnow() -> datetime:
    """The current time in UTC; every stored timestamp is UTC."""
    return datetime.now(UTC)


class Database:
    """One aiosqlite connection shared by the process, serialised by an asyncio lock.

    SQLite allows one writer at a time anyway; the lock keeps one task's statements
    from landing inside another task's open transaction on the shared connection.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._begin = False  # a transaction's BEGIN, waiting to go with its first statement
        self._depth: contextvars.ContextVar[int] = contextvars.ContextVar(
            f"tx_depth_{id(self)}", default=0
        )

    async def connect(self) -> list[str]:
        """Open the file (creating its directory), set pragmas and apply pending migrations;
        return the names of the migrations applied."""
        private_dir(self.path.parent, tighten=False)  # an existing parent may be shared
        # SQLite gives the -wal and -shm files the mode of the database file: creating it
        # 0600 before SQLite opens it makes all three private, whatever the umask.
        for path in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
            if path == self.path or path.exists():
                private_file(path)
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        self._conn.row_factory = aiosqlite.Row
        # busy_timeout first: switching to WAL waits for another process opening the file.
        # Processes starting together wait for each other's migrations: longer at start-up.
        await self._conn.execute(f"PRAGMA busy_timeout={STARTUP_BUSY_MS}")
        await _switch_to_wal(self._conn)
        await self._conn.execute("PRAGMA foreign_keys=ON")
        await self._conn.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows (handled updates, delivered messages, purged applications) are
        # overwritten with zeros, not left readable in free space; temporary sort data stays
        # in memory instead of temp files.
        await self._conn.execute("PRAGMA secure_delete=ON")
        await self._conn.execute("PRAGMA temp_store=MEMORY")
        applied = await migrate(self)
        await self._conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        return applied

    async def compact(self) -> None:
        """Rebuild the file and empty the write-ahead log, so that no free page or old log
        frame still holds what was deleted or rewritten (before secure_delete was on)."""
        async with self._lock:
            await self._run(_statement, "VACUUM")
            # Read to the end: a statement left half-read would keep a later SAVEPOINT from
            # opening ("SQL statements in progress").
            await self._run(_rows, "PRAGMA wal_checkpoint(TRUNCATE)", ())

    async def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not connected")
        return self._conn

    async def _run(self, fn: Callable[..., _T], *args: Any) -> _T:
        """fn(the sqlite3 connection, *args) on aiosqlite's thread: one trip. A transaction's
        BEGIN waiting to be sent goes in the same trip (aiosqlite's _execute queues a function
        for its thread; its public calls each make a trip of their own)."""
        if self._begin:
            self._begin = False
            return await self.conn._execute(_begun, fn, self.conn._conn, *args)
        return await self.conn._execute(fn, self.conn._conn, *args)

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[Tx]:
        """Statements that each stand alone (reads, one-statement writes), without the
        BEGIN/COMMIT round trips; inside a transaction they simply join it.

        The lock is held for the whole block, so no other task's statements interleave.
        """
        if self._depth.get() > 0:
            yield Tx(self)
            return
        async with self._lock:
            yield Tx(self)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """Run the block atomically; nested calls in the same task become SAVEPOINTs.

        BEGIN IMMEDIATE goes to SQLite with the block's first statement, in the same trip to
        aiosqlite's thread (nothing is read before it, so the transaction sees the same data),
        and a block that ran no statement sends neither BEGIN nor COMMIT.
        """
        depth = self._depth.get()
        if depth == 0:
            async with self._lock:
                token = self._depth.set(1)
                self._begin = True
                try:
                    try:
                        yield Tx(self)
                    except BaseException:
                        if not self._begin:  # something ran (or BEGIN failed: nothing to undo)
                            await self._run(_rollback)
                        raise
                    if not self._begin:
                        await self._run(_statement, "COMMIT")
                finally:
                    self._begin = False
                    self._depth.reset(token)
        else:
            name = f"sp{depth}"
            token = self._depth.set(depth + 1)
            try:
                await self._run(_statement, f"SAVEPOINT {name}")
                try:
                    yield Tx(self)
                except BaseException:
                    await self._run(_statement, f"ROLLBACK TO {name}")
                    await self._run(_statement, f"RELEASE {name}")
                    raise
                await self._run(_statement, f"RELEASE {name}")
            finally:
                self._depth.reset(token)


# What runs on aiosqlite's thread, given the sqlite3 connection. Each Tx call is one trip
# (execute and fetch together): a trip hands the GIL over twice, and the handoffs were most of
# the time the bot spent on the database.


def _begun(fn: Callable[..., _T], conn: sqlite3.Connection, *args: Any) -> _T:
    conn.execute("BEGIN IMMEDIATE")
    return fn(conn, *args)


def _statement(conn: sqlite3.Connection, sql: str) -> None:
    conn.execute(sql)


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:  # not when BEGIN itself failed (the database busy)
        conn.execute("ROLLBACK")


def _changed(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
    return conn.execute(sql, params).rowcount


def _inserted(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int | None:
    return conn.execute(sql, params).lastrowid


def _rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
    return conn.execute(sql, params).fetchall()


def _changed_many(conn: sqlite3.Connection, sql: str, rows: Iterable[Sequence[Any]]) -> int:
    return conn.executemany(sql, rows).rowcount


class Tx:
    """The handle repositories use inside a transaction: plain SQL with ? placeholders.

    This is the SQLite one; PgTx gives the same methods on a PostgreSQL connection.
    """

    dialect = "sqlite"

    def __init__(self, db: Database) -> None:
        self._db = db

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement and return the number of rows it changed."""
        return await self._db._run(_changed, sql, params)

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT and return the new row id."""
        rowid = await self._db._run(_inserted, sql, params)
        assert rowid is not None
        return rowid

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        """Return the first row, or None (for statements that find one row: by key, with
        LIMIT 1 or an aggregate; every row the statement returns is fetched)."""
        return next(iter(await self._db._run(_rows, sql, params)), None)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Return every row."""
        return await self._db._run(_rows, sql, params)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """Run one statement for many parameter rows; return the number of rows changed."""
        return await self._db._run(_changed_many, sql, rows)


def among(tx: Tx, column: str, values: Iterable[Any]) -> tuple[str, tuple[Any, ...]]:
    """A condition "column is one of values" with one parameter whatever the count (no limit
    on the number of parameters): json_each on SQLite, = ANY(array) on PostgreSQL."""
    if tx.dialect == "postgresql":
        return f"{column} = ANY(?)", (list(values),)
    return f"{column} IN (SELECT value FROM json_each(?))", (json.dumps(list(values)),)


async def _switch_to_wal(conn: aiosqlite.Connection) -> None:
    """PRAGMA journal_mode=WAL, tried again while another process opening the same new file
    holds it: SQLite answers "database is locked" at once there, without the busy timeout."""
    for attempt in range(WAL_ATTEMPTS):
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt + 1 == WAL_ATTEMPTS:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))


def _migration_files(dialect: str = "sqlite") -> list[tuple[int, str, str]]:
    folder = resources.files("storage") / "migrations"
    if dialect == "postgresql":
        folder = folder / "postgresql"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def migrate(db: Database) -> list[str]:
    """Apply, in order, every migration not yet recorded; return the names applied."""
    conn = db.conn
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT version FROM schema_migrations") as cursor:
        done = {row[0] for row in await cursor.fetchall()}
    applied = []
    for version, name, sql in _migration_files():
        if version in done:
            continue
        # executescript would COMMIT implicitly; run statements one by one inside BEGIN.
        await conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process starting at the same moment may have applied it meanwhile.
            async with conn.execute(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (version,)
            ) as cursor:
                if await cursor.fetchone() is not None:
                    await conn.execute("ROLLBACK")
                    continue
            for statement in _split_sql(sql):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, utcnow().isoformat()),
            )
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
        log.info("applied migration %s", name)
        applied.append(name)
    return applied


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements; sqlite3 decides where one is complete."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        part.strip().startswith("--") for part in buffer.strip().splitlines()
    ):
        raise ValueError(f"incomplete statement at the end of a migration: {buffer.strip()!r}")
    return statements
