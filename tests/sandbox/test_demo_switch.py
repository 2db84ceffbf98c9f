"""The page's demo switch: the control endpoint, and what it does to the bot's database."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.demo_switch import DemoSwitch
from bot.keys import keys_from_master
from sandbox.server import BotApiServer
from storage import Storage
from tests.sandbox.conftest import MERCHANT


class RecordingDemo:
    """A stand-in for the bot's demo data that remembers what it was asked."""

    def __init__(self) -> None:
        self.on: dict[int, bool] = {}

    async def status(self, user_id: int) -> dict[str, Any]:
        return {"on": self.on.get(user_id, False), "merchant_no": "822330100000001"}

    async def turn(self, user_id: int, on: bool) -> dict[str, Any]:
        self.on[user_id] = on
        return {**await self.status(user_id), "added": 7 if on else 0}


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    """A migrated database, as the running bot has it."""
    store = Storage(tmp_path / "bot.sqlite3", keys_from_master(secrets.token_bytes(32)))
    await store.open()
    yield store
    await store.close()


async def test_without_the_bot_the_page_hides_the_switch_and_the_api_says_why(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{server.url}sandbox/api/state") as response:
        assert (await response.json())["result"]["demo_available"] is False
    async with http.post(f"{server.url}sandbox/api/demo", json={"on": True}) as response:
        body = await response.json()
    assert response.status == 404 and "make run" in body["error"]


async def test_switch_turns_demo_data_on_for_the_pages_merchant_and_tells_other_pages(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    demo = RecordingDemo()
    server.demo = demo
    api = f"{server.url}sandbox/api"
    async with http.get(f"{api}/state") as response:
        assert (await response.json())["result"]["demo_available"] is True
    async with http.get(f"{api}/demo", params={"user_id": str(MERCHANT)}) as response:
        assert (await response.json())["result"]["on"] is False

    seq = server.last_seq()
    async with http.post(f"{api}/demo", json={"user_id": MERCHANT, "on": True}) as response:
        result = (await response.json())["result"]
    assert result == {"on": True, "merchant_no": "822330100000001", "added": 7}
    assert demo.on == {MERCHANT: True}
    (entry,) = [e for e in server.state.feed[seq:] if e["kind"] == "demo"]
    assert entry["chat_id"] == MERCHANT and entry["demo"]["on"] is True

    async with http.post(f"{api}/demo", json={"user_id": MERCHANT, "on": "yes"}) as response:
        assert response.status == 400


async def test_demo_switch_links_the_first_demo_shop_and_unlinks_it_again(
    storage: Storage,
) -> None:
    switch = DemoSwitch(storage, "Asia/Shanghai")
    assert (await switch.status(MERCHANT))["on"] is False

    on = await switch.turn(MERCHANT, True)
    assert on["on"] is True and on["added"] > 0 and on["name"] == "老杭州面馆"
    async with storage.transaction() as repos:
        assert [m.merchant_no for m in await repos.merchants.by_telegram(MERCHANT)] == [
            on["merchant_no"]
        ]

    off = await switch.turn(MERCHANT, False)
    assert off["on"] is False
    async with storage.transaction() as repos:
        assert await repos.merchants.by_telegram(MERCHANT) == []

    again = await switch.turn(MERCHANT, True)
    assert again["on"] is True and again["added"] == 0  # the rows were kept
