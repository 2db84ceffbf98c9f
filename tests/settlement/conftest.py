"""Fixtures for transactions and summaries: a fresh SQLite file and small row builders."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.keys import keys_from_master
from bot.money import parse_yuan
from storage import Storage
from storage.merchants import MerchantRepository
from storage.transactions import NewTransaction, TransactionRepository

SHANGHAI = "Asia/Shanghai"


@pytest.fixture
async def storage(database: Path | str) -> AsyncIterator[Storage]:
    """A migrated database: a real SQLite file under tmp_path, or a PostgreSQL database."""
    store = Storage(database, keys_from_master(secrets.token_bytes(32)))
    await store.open()
    yield store
    await store.close()


async def add_merchant(
    storage: Storage,
    merchant_no: str = "M3301000001",
    *,
    name: str = "老杭州面馆",
    telegram_id: int | None = 10001,
    timezone: str = SHANGHAI,
    created_at: str = "2026-01-01T00:00:00+00:00",
) -> None:
    """Create a merchant that has existed since created_at."""
    async with storage.transaction() as repos:
        await MerchantRepository(repos.tx).create(merchant_no, name, telegram_id, timezone)
        # back-dated so that summaries for past days are due
        await repos.tx.execute(
            "UPDATE merchants SET created_at = ? WHERE merchant_no = ?", (created_at, merchant_no)
        )


def txn(
    external_id: str,
    kind: str,
    yuan: str,
    at: str,
    *,
    fee: str = "0",
    merchant_no: str = "M3301000001",
    terminal: str = "SN01",
    channel: str = "card",
    original_id: str | None = None,
) -> NewTransaction:
    """A transaction from readable values: yuan as text, at as ISO 8601 with offset."""
    return NewTransaction(
        external_id=external_id,
        merchant_no=merchant_no,
        terminal_sn=terminal,
        type=kind,  # type: ignore[arg-type]
        amount=parse_yuan(yuan),
        fee=parse_yuan(fee),
        channel=channel,  # type: ignore[arg-type]
        occurred_at=datetime.fromisoformat(at),
        original_id=original_id,
    )


async def add_transactions(storage: Storage, *rows: NewTransaction) -> None:
    """Store rows through the same path as imports (pre-auth links inferred)."""
    async with storage.transaction() as repos:
        repo = TransactionRepository(repos.tx)
        for row in rows:
            assert (await repo.add(row)).status == "added"
