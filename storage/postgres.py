"""The PostgreSQL backend: an asyncpg pool, the same Tx methods, migrations under a lock.

Each transaction() takes a connection from the pool for its whole block (nested calls in
the same task become SAVEPOINTs on it); autocommit() reads on a pooled connection, or
joins the task's open transaction. Migrations run while holding an advisory lock, so
instances starting at the same moment apply each one exactly once.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from storage.db import Tx, _migration_files, utcnow

log = logging.getLogger(__name__)

# pg_advisory_lock key held while migrating: "merchant" in ASCII.
MIGRATION_LOCK = 0x6D65726368616E74


@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """The statement with each ? outside a quoted string replaced by $1, $2, ..."""
    out, n, quote = [], 0, ""
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "?":
            n += 1
            out.append(f"${n}")
            continue
        out.append(char)
    return "".join(out)


def _rowcount(status: str) -> int:
    """Rows changed, from a command tag such as "UPDATE 3" or "INSERT 0 1"."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PgTx(Tx):
    """Tx on one PostgreSQL connection."""

    dialect = "postgresql"

    def __init__(self, conn: asyncpg.Connection) -> None:  # type: ignore[override]
        self._pg = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return _rowcount(await self._pg.execute(numbered(sql), *params))

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT into a table with an id column and return the new id."""
        return await self._pg.fetchval(numbered(sql) + " RETURNING id", *params)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return await self._pg.fetchrow(numbered(sql), *params)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(await self._pg.fetch(numbered(sql), *params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        # One prepared statement; row by row because asyncpg's executemany counts nothing.
        statement = numbered(sql)
        return sum([_rowcount(await self._pg.execute(statement, *row)) for row in rows])


async def _on_release(conn: asyncpg.Connection) -> None:
    """Instead of asyncpg's reset of a connection going back to the pool (unlock every
    advisory lock, CLOSE ALL, UNLISTEN *, RESET ALL: a round trip each time, three per
    update): pooled connections here take no session lock, LISTEN, SET or cursor. A
    transaction left open by a cancelled task is rolled back."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


class PgDatabase:
    """A pool of connections to one PostgreSQL database."""

    dialect = "postgresql"

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.url = url
        self._sizes = (min_size, max_size)
        self._pool: asyncpg.Pool | None = None
        self._conn: contextvars.ContextVar[asyncpg.Connection | None] = contextvars.ContextVar(
            f"pg_conn_{id(self)}", default=None
        )

    async def connect(self) -> list[str]:
        """Open the pool and apply pending migrations; return the names applied."""
        self._pool = await asyncpg.create_pool(
            self.url, min_size=self._sizes[0], max_size=self._sizes[1], reset=_on_release
        )
        try:
            return await self._migrate()
        except BaseException:
            await self.close()
            raise

    async def _migrate(self) -> list[str]:
        applied = []
        # A connection of its own: the session lock goes with it, whatever happens, and the
        # pooled connections never hold one (see _on_release).
        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = {r[0] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            for version, name, sql in _migration_files("postgresql"):
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(sql)  # no arguments: the whole script at once
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at)"
                        " VALUES ($1, $2, $3)",
                        version,
                        name,
                        utcnow().isoformat(),
                    )
                log.info("applied migration %s", name)
                applied.append(name)
        finally:
            await conn.close()
        return applied

    async def compact(self) -> None:
        """Nothing to do: PostgreSQL's autovacuum reclaims deleted rows."""

    async def close(self) -> None:
        """Close the pool."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("database is not connected")
        return self._pool

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[Tx]:
        """Statements that each stand alone, on a pooled connection; inside a transaction
        they join it."""
        conn = self._conn.get()
        if conn is not None:
            yield PgTx(conn)
            return
        async with self.pool.acquire() as conn:
            yield PgTx(conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """Run the block atomically on one pooled connection; nested calls in the same task
        become SAVEPOINTs."""
        conn = self._conn.get()
        if conn is not None:
            async with conn.transaction():
                yield PgTx(conn)
            return
        async with self.pool.acquire() as conn:
            token = self._conn.set(conn)
            try:
                async with conn.transaction():
                    yield PgTx(conn)
            finally:
                self._conn.reset(token)
