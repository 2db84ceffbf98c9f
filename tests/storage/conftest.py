"""Every storage test runs on both backends: a SQLite file and a PostgreSQL database."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.keys import keys_from_master
from storage import Storage


@pytest.fixture
async def storage(database: Path | str) -> AsyncIterator[Storage]:
    store = Storage(database, keys_from_master(secrets.token_bytes(32)))
    await store.open()
    yield store
    await store.close()
