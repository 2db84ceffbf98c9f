"""A reduced load run (bench/load.py runs 500): concurrent merchants lose and repeat nothing."""

from __future__ import annotations

import pytest

from bench.load import run
from tests.postgres import on_both_backends

MERCHANTS = 30


@on_both_backends
@pytest.mark.timeout(300)
async def test_concurrent_merchants_get_every_reply_exactly_once(make_settings) -> None:
    where = make_settings().database  # a SQLite file's path, or a fresh PostgreSQL database
    figures = await run(MERCHANTS, database_url=where if isinstance(where, str) else None)
    assert figures["lost"] == 0, figures
    assert figures["duplicated"] == 0, figures
