"""Pooled PostgreSQL connections go back to the pool without asyncpg's reset round trip
(storage/postgres.py _on_release): nothing a later user would trip over is left on them."""

from __future__ import annotations

import asyncio
import secrets

import asyncpg

from bot.keys import keys_from_master
from storage import Storage


async def _sessions(url: str) -> list[tuple[str, int]]:
    """(state, advisory locks held) of every other session on the test database."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT a.state, (SELECT COUNT(*) FROM pg_locks AS l WHERE l.pid = a.pid"
            " AND l.locktype = 'advisory') AS locks FROM pg_stat_activity AS a"
            " WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return [(r["state"], r["locks"]) for r in rows]


async def test_after_start_up_no_connection_holds_the_migration_lock(pg_database: str) -> None:
    storage = Storage(pg_database, keys_from_master(secrets.token_bytes(32)))
    await storage.open()
    try:
        sessions = await _sessions(pg_database)
        assert sessions, "the pool keeps a connection open"
        assert all(locks == 0 for _, locks in sessions), sessions
        # A second instance starting now is not kept waiting for the lock.
        other = Storage(pg_database, storage.keys)
        await asyncio.wait_for(other.open(), timeout=30)
        await other.close()
    finally:
        await storage.close()


async def test_a_cancelled_transaction_leaves_no_connection_idle_in_it(pg_database: str) -> None:
    storage = Storage(pg_database, keys_from_master(secrets.token_bytes(32)))
    await storage.open()
    inside = asyncio.Event()
    try:

        async def write_then_hang() -> None:
            async with storage.transaction() as repos:
                await repos.users.upsert_seen(5, first_name="a", username=None, language_code="zh")
                inside.set()
                await asyncio.sleep(3600)

        task = asyncio.create_task(write_then_hang())
        await inside.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert all(state != "idle in transaction" for state, _ in await _sessions(pg_database))
        for _ in range(5):  # every pooled connection is usable and saw no half transaction
            async with storage.autocommit() as repos:
                assert await repos.users.get(5) is None
    finally:
        await storage.close()
