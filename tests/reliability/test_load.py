"""A reduced load run (bench/load.py runs 500): concurrent merchants lose and repeat nothing."""

from __future__ import annotations

import pytest

from bench.load import run

MERCHANTS = 30


@pytest.mark.timeout(300)
async def test_concurrent_merchants_get_every_reply_exactly_once() -> None:
    figures = await run(MERCHANTS)
    assert figures["lost"] == 0, figures
    assert figures["duplicated"] == 0, figures
