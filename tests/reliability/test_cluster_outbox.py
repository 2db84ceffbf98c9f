"""Two outbox senders on one PostgreSQL database deliver every message once, in each chat's
order, through the local Bot API server."""

from __future__ import annotations

import asyncio
import random
import secrets
from types import SimpleNamespace

import pytest
from telegram import Bot

from bot.keys import keys_from_master
from sandbox.server import BotApiServer
from scheduler.outbox import OutboxSender
from storage import Storage
from storage.outbox import OutboxItem

CHATS = [71001 + n for n in range(12)]
PER_CHAT = 15


@pytest.mark.timeout(120)
async def test_two_senders_deliver_each_message_once_and_in_order(
    pg_database: str, server: BotApiServer
) -> None:
    keys = keys_from_master(secrets.token_bytes(32))
    stores = [Storage(pg_database, keys), Storage(pg_database, keys)]  # two instances' pools
    for store in stores:
        await store.open()
    for chat in CHATS:
        server.add_user(chat, f"商户{chat}")
    bot = Bot(server.token, base_url=server.base_url)
    await bot.initialize()
    rng = random.Random(5)
    senders_used: list[int] = []

    def sender(index: int) -> OutboxSender:
        outbox = OutboxSender()

        async def send(bot: Bot, data: object, item: OutboxItem) -> None:
            await asyncio.sleep(rng.uniform(0, 0.01))  # the two interleave
            await bot.send_message(item.chat_id, item.payload["text"])
            senders_used.append(index)

        outbox.register("text", send)
        return outbox

    try:
        async with stores[0].transaction() as repos:
            for n in range(PER_CHAT):
                for chat in CHATS:
                    await repos.outbox.put(chat, "text", {"text": f"{chat}-{n}"})

        async def keep_sending(index: int) -> None:
            outbox, data = sender(index), SimpleNamespace(storage=stores[index])
            while True:
                await outbox.run(bot, data)
                async with stores[index].autocommit() as repos:
                    if await repos.outbox.pending_count() == 0:
                        return
                await asyncio.sleep(0.01)

        await asyncio.wait_for(asyncio.gather(keep_sending(0), keep_sending(1)), 90)
    finally:
        await bot.shutdown()
        for store in stores:
            await store.close()

    for chat in CHATS:
        texts = [m["text"] for m in server.messages(chat)]
        assert texts == [f"{chat}-{n}" for n in range(PER_CHAT)]  # once each, in order
    assert set(senders_used) == {0, 1}  # both senders really delivered
