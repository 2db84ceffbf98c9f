"""The database layer: migrations recorded once, transactions atomic, savepoints nest."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from pathlib import Path

import pytest

from bot.keys import keys_from_master
from storage import Storage
from storage.db import Database, _migration_files


async def _versions(storage: Storage) -> list[int]:
    async with storage.autocommit() as repos:
        rows = await repos.tx.fetchall("SELECT version FROM schema_migrations ORDER BY version")
    return [r[0] for r in rows]


async def test_migrations_are_applied_once_and_recorded(storage: Storage) -> None:
    first = await _versions(storage)
    await storage.close()
    await storage.open()  # a second start applies nothing new
    versions = await _versions(storage)
    assert versions == first == list(range(1, len(versions) + 1))
    if isinstance(storage.db, Database):
        with sqlite3.connect(storage.db.path) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_instances_starting_together_migrate_once(database: Path | str) -> None:
    keys = keys_from_master(secrets.token_bytes(32))
    stores = [Storage(database, keys) for _ in range(3)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        assert await _versions(stores[0]) == list(range(1, len(_migration_files()) + 1))
        async with stores[1].transaction() as repos:
            await repos.users.upsert_seen(1, first_name="a", username=None, language_code="zh")
        async with stores[2].autocommit() as repos:
            assert await repos.users.get(1) is not None
    finally:
        for store in stores:
            await store.close()


def test_both_backends_have_the_same_migrations() -> None:
    sqlite = [name for _, name, _ in _migration_files()]
    assert sqlite == [name for _, name, _ in _migration_files("postgresql")]


async def test_failed_transaction_leaves_nothing_behind(storage: Storage) -> None:
    with pytest.raises(RuntimeError):
        async with storage.transaction() as repos:
            await repos.users.upsert_seen(1, first_name="a", username=None, language_code="zh")
            raise RuntimeError("boom")
    async with storage.transaction() as repos:
        assert await repos.users.get(1) is None


async def test_a_transaction_failing_at_its_first_statement_leaves_none_open(
    storage: Storage,
) -> None:
    for _ in range(2):  # the second attempt would fail to begin if the first were left open
        with pytest.raises(Exception, match="no_such_table"):
            async with storage.transaction() as repos:
                await repos.tx.execute("INSERT INTO no_such_table VALUES (1)")
    async with storage.transaction() as repos:
        await repos.users.upsert_seen(1, first_name="a", username=None, language_code="zh")
    async with storage.transaction() as repos:
        assert await repos.users.get(1) is not None


async def test_a_nested_block_opening_the_transaction_commits_with_it(storage: Storage) -> None:
    async with storage.transaction() as repos:
        async with storage.transaction() as inner:  # the first statement is its SAVEPOINT
            await inner.users.upsert_seen(1, first_name="a", username=None, language_code="zh")
        await repos.users.upsert_seen(2, first_name="b", username=None, language_code="zh")
    async with storage.autocommit() as repos:
        assert await repos.users.get(1) is not None and await repos.users.get(2) is not None


async def test_nested_transaction_rolls_back_only_its_own_work(storage: Storage) -> None:
    async with storage.transaction() as repos:
        await repos.users.upsert_seen(1, first_name="outer", username=None, language_code="zh")
        with pytest.raises(ValueError):
            async with storage.transaction() as inner:
                await inner.users.upsert_seen(
                    2, first_name="inner", username=None, language_code="en"
                )
                raise ValueError
    async with storage.transaction() as repos:
        assert await repos.users.get(1) is not None
        assert await repos.users.get(2) is None


async def test_sensitive_answers_are_stored_encrypted(storage: Storage) -> None:
    async with storage.transaction() as repos:
        await repos.users.upsert_seen(7, first_name="x", username=None, language_code="zh")
        app_id = await repos.applications.create_draft(7)
        await repos.applications.save_answer(
            app_id, "legal_rep_id", "11010519491231002X", sensitive=True
        )
        await repos.applications.save_answer(app_id, "merchant_name", "小店", sensitive=False)
    async with storage.transaction() as repos:
        draft = await repos.applications.draft_of(7)
    assert draft is not None and draft.answers["legal_rep_id"] == "11010519491231002X"
    async with storage.autocommit() as repos:
        rows = await repos.tx.fetchall("SELECT field, value FROM application_answers")
    stored = {r[0]: r[1] for r in rows}
    assert "11010519491231002X" not in stored["legal_rep_id"]


async def test_application_numbers_count_per_day(storage: Storage) -> None:
    numbers = []
    async with storage.transaction() as repos:
        for uid in (1, 2, 3):
            await repos.users.upsert_seen(uid, first_name="x", username=None, language_code="zh")
            app_id = await repos.applications.create_draft(uid)
            day = "20261125" if uid < 3 else "20261126"
            numbers.append(await repos.applications.submit(app_id, actor=uid, day=day))
    assert numbers == ["AP20261125-0001", "AP20261125-0002", "AP20261126-0001"]


async def test_an_update_is_claimed_only_once(storage: Storage) -> None:
    async with storage.transaction() as repos:
        assert await repos.updates.claim(42)
        assert not await repos.updates.claim(42)
